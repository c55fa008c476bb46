"""The template picker: listing (approved by default), one template, its preview with the
agent's parameters, and syncing a number's WABA on demand."""

from __future__ import annotations

import base64
import binascii
import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.repository import ChannelRepository
from api.channels.schemas import emit_channel_updated
from api.crypto import SecretBox
from api.errors import AppError, NotFound
from api.meta.client import MetaClient
from api.meta.connect import meta_failure
from api.meta.errors import ErrorAction, GraphError
from api.models import Channel, ChannelKind, ChannelStatus, MessageTemplate
from api.pagination import Page
from api.templates.params import parameters_spec, render
from api.templates.repository import TemplateRepository
from api.templates.schemas import (
    PreviewOut,
    TemplateOut,
    TemplateParameters,
    TemplateSyncOut,
)
from api.templates.sync import sync_channel_templates
from api.tenancy import TenantScope

ALL_STATUSES = "ALL"


class ChannelNeedsReauth(AppError):
    """Meta refused the channel's token: the flag on the channel is kept (committed)."""

    status_code = 409
    code = "needs_reauth"
    keep_changes = True


APPROVED = "APPROVED"


def template_out(template: MessageTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        waba_id=template.waba_id,
        external_id=template.external_id,
        name=template.name,
        language=template.language,
        category=template.category,
        status=template.status,
        reason=template.reason,
        quality_score=template.quality_score,
        components=list(template.components or []),
        parameters=parameters_spec(list(template.components or []), template.parameter_format),
        synced_at=template.synced_at,
        updated_at=template.updated_at,
    )


def encode_after(template: MessageTemplate) -> str:
    raw = json.dumps([template.name, template.language, str(template.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_after(cursor: str) -> tuple[str, str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        name, language, id_ = json.loads(raw)
        return str(name), str(language), uuid.UUID(id_)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise AppError(
            "The cursor is malformed; start again without it.", code="invalid_cursor"
        ) from exc


class TemplateService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.templates = TemplateRepository(session, scope)
        self.channels = ChannelRepository(session, scope)

    async def list(
        self,
        *,
        channel_id: uuid.UUID | None,
        status: str,
        search: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[TemplateOut]:
        """The tenant's templates (one number's WABA with `channel_id`), by name."""
        waba_ids = None
        if channel_id is not None:
            channel = await self._channel(channel_id)
            waba_ids = [channel.waba_id] if channel.waba_id else []
        wanted = status.upper()
        rows = await self.templates.list_page(
            waba_ids=waba_ids,
            status=None if wanted == ALL_STATUSES else wanted,
            search=search,
            after=decode_after(cursor) if cursor else None,
            limit=limit + 1,
        )
        next_cursor = encode_after(rows[limit - 1]) if len(rows) > limit else None
        return Page(items=[template_out(t) for t in rows[:limit]], next_cursor=next_cursor)

    async def get(self, template_id: uuid.UUID) -> TemplateOut:
        return template_out(await self._template(template_id))

    async def preview(self, template_id: uuid.UUID, params: TemplateParameters) -> PreviewOut:
        """The message as it would go out, and every problem with the parameters."""
        template = await self._template(template_id)
        rendered = render(list(template.components or []), template.parameter_format, params)
        return PreviewOut(
            valid=rendered.valid, problems=rendered.problems, preview=rendered.preview
        )

    async def sync(
        self, channel_id: uuid.UUID, client: MetaClient, box: SecretBox
    ) -> TemplateSyncOut:
        """Fetch the number's WABA templates from Meta now."""
        channel = await self._channel(channel_id)
        if channel.kind is not ChannelKind.WHATSAPP or not channel.waba_id:
            raise AppError("Templates belong to WhatsApp numbers.", code="not_whatsapp")
        if channel.status is not ChannelStatus.ACTIVE:
            raise AppError(
                "Reconnect the channel before syncing its templates.",
                status_code=409,
                code="channel_inactive",
            )
        try:
            return await sync_channel_templates(self.session, client, box, channel)
        except GraphError as exc:
            if exc.action is ErrorAction.REAUTH:
                channel.status = ChannelStatus.NEEDS_REAUTH
                emit_channel_updated(self.session, channel)
                raise ChannelNeedsReauth(
                    f"Meta no longer accepts this number's token ({exc.reason}); reconnect it."
                ) from exc
            raise meta_failure(exc, "listing the WhatsApp templates") from exc

    async def _channel(self, channel_id: uuid.UUID) -> Channel:
        channel = await self.channels.get(channel_id)
        if channel is None:
            raise NotFound("Channel not found.")
        return channel

    async def _template(self, template_id: uuid.UUID) -> MessageTemplate:
        template = await self.templates.get(template_id)
        if template is None:
            raise NotFound("Template not found.")
        return template
