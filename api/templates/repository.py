"""WhatsApp templates in Postgres: the picker's scoped reads, and the sync's writes for one
(tenant, WABA) — the sync runs as a job, whose tenant comes from the channel it syncs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, ChannelKind, ChannelStatus, MessageTemplate
from api.tenancy import ScopedRepository

DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class SyncedTemplate:
    """One template as Graph lists it."""

    external_id: str | None
    name: str
    language: str
    category: str | None
    status: str
    reason: str | None
    components: list[Any]
    parameter_format: str | None
    quality_score: str | None


class TemplateRepository(ScopedRepository[MessageTemplate]):
    model = MessageTemplate

    async def list_page(
        self,
        *,
        waba_ids: list[str] | None,
        status: str | None,
        search: str | None,
        after: tuple[str, str, uuid.UUID] | None,
        limit: int,
    ) -> list[MessageTemplate]:
        """By name, language, id (keyset); `status` None means every status."""
        statement = self.scoped()
        if waba_ids is not None:
            statement = statement.where(MessageTemplate.waba_id.in_(waba_ids))
        if status is not None:
            statement = statement.where(MessageTemplate.status == status)
        if search:
            statement = statement.where(MessageTemplate.name.ilike(f"%{_like(search)}%"))
        key = (MessageTemplate.name, MessageTemplate.language, MessageTemplate.id)
        if after is not None:
            statement = statement.where(tuple_(*key) > tuple_(*after))
        result = await self.session.execute(statement.order_by(*key).limit(limit))
        return list(result.scalars())

    async def by_name(self, waba_id: str, name: str, language: str) -> MessageTemplate | None:
        statement = self.scoped().where(
            MessageTemplate.waba_id == waba_id,
            MessageTemplate.name == name,
            MessageTemplate.language == language,
        )
        return (await self.session.execute(statement)).scalar_one_or_none()


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TemplateStore:
    """The sync's writes and the lookups jobs need, for one tenant named explicitly."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def sync_channel(self, waba_id: str) -> Channel | None:
        """A live WhatsApp number of this tenant on the WABA, whose token can list templates."""
        statement = (
            select(Channel)
            .where(
                Channel.tenant_id == self.tenant_id,
                Channel.kind == ChannelKind.WHATSAPP,
                Channel.waba_id == waba_id,
                Channel.status == ChannelStatus.ACTIVE,
            )
            .order_by(Channel.is_primary.desc(), Channel.created_at)
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def upsert(self, waba_id: str, templates: list[SyncedTemplate], now: datetime) -> None:
        for template in templates:
            values = {
                "tenant_id": self.tenant_id,
                "waba_id": waba_id,
                "name": template.name,
                "language": template.language,
                "external_id": template.external_id,
                "category": template.category,
                "status": template.status,
                "reason": template.reason,
                "components": template.components,
                "parameter_format": template.parameter_format,
                "quality_score": template.quality_score,
                "synced_at": now,
            }
            changed = {k: v for k, v in values.items() if k not in ("tenant_id", "waba_id")}
            await self.session.execute(
                insert(MessageTemplate)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["tenant_id", "waba_id", "name", "language"],
                    set_={**changed, "updated_at": func.now()},
                )
            )

    async def mark_missing_deleted(
        self, waba_id: str, seen: set[tuple[str, str]], now: datetime
    ) -> int:
        """Templates Meta no longer lists were deleted there: keep the row, say so."""
        criteria = [
            MessageTemplate.tenant_id == self.tenant_id,
            MessageTemplate.waba_id == waba_id,
            MessageTemplate.status != DELETED,
        ]
        if seen:
            criteria.append(
                tuple_(MessageTemplate.name, MessageTemplate.language).not_in(list(seen))
            )
        result = await self.session.execute(
            update(MessageTemplate)
            .where(and_(*criteria))
            .values(status=DELETED, synced_at=now)
            .returning(MessageTemplate.id)
        )
        return len(result.all())

    async def has_content(self, waba_id: str, name: str, language: str) -> bool:
        """Whether the template's components are known (a status webhook may come first)."""
        statement = select(MessageTemplate.id).where(
            MessageTemplate.tenant_id == self.tenant_id,
            MessageTemplate.waba_id == waba_id,
            MessageTemplate.name == name,
            MessageTemplate.language == language,
            or_(
                func.jsonb_array_length(MessageTemplate.components) > 0,
                MessageTemplate.synced_at.is_not(None),
            ),
        )
        return (await self.session.execute(statement)).first() is not None


async def template_by_id(session: AsyncSession, template_id: uuid.UUID) -> MessageTemplate | None:
    """For the send job, which holds the message (and so its tenant) already."""
    return await session.get(MessageTemplate, template_id)


async def live_wabas(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    """Every (tenant, WABA) with an active WhatsApp number: the daily sync's work list."""
    rows = await session.execute(
        select(Channel.tenant_id, Channel.waba_id)
        .where(
            Channel.kind == ChannelKind.WHATSAPP,
            Channel.status == ChannelStatus.ACTIVE,
            Channel.waba_id.is_not(None),
        )
        .distinct()
    )
    return [(tenant_id, str(waba_id)) for tenant_id, waba_id in rows]
