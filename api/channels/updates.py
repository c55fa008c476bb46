"""Changes about a WhatsApp number or account itself (not conversations): template status,
phone quality and messaging limit, account restrictions, value-level errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.events import ChannelUpdate
from api.channels.schemas import emit_channel_updated
from api.models import Channel, ChannelKind, ChannelStatus, MessageTemplate, WhatsAppBusinessAccount
from api.templates.repository import TemplateStore
from api.templates.sync import enqueue_sync


class ChannelUpdates:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def apply(self, update: ChannelUpdate, channels: list[Channel]) -> str:
        handler = {
            "message_template_status_update": self._template_status,
            "phone_number_quality_update": self._quality,
            "account_update": self._account,
        }.get(update.field)
        if handler is None:
            return f"noted {update.field}"
        return await handler(update, channels)

    async def _template_status(self, update: ChannelUpdate, channels: list[Channel]) -> str:
        data, tenants = update.data, {c.tenant_id for c in channels}
        name, language = (
            str(data.get("message_template_name") or ""),
            str(data.get("message_template_language") or ""),
        )
        if not (name and language and update.waba_id):
            return "template update without name"
        for tenant_id in tenants | set(await self._waba_tenants(update.waba_id)):
            values: dict[str, Any] = {
                "tenant_id": tenant_id,
                "waba_id": update.waba_id,
                "name": name,
                "language": language,
                "external_id": str(data.get("message_template_id") or "") or None,
                "status": str(data.get("event") or "UNKNOWN"),
                "reason": None if data.get("reason") in (None, "NONE") else str(data.get("reason")),
                "category": data.get("message_template_category"),
            }
            keep = {k: v for k, v in values.items() if k in ("status", "reason") or v is not None}
            await self.session.execute(
                insert(MessageTemplate)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["tenant_id", "waba_id", "name", "language"], set_=keep
                )
            )
            # A template Parley has not synced yet (created at Meta since): fetch its content.
            if not await TemplateStore(self.session, tenant_id).has_content(
                update.waba_id, name, language
            ):
                enqueue_sync(self.session, tenant_id, update.waba_id)
        return f"template {name} {data.get('event')}"

    async def _quality(self, update: ChannelUpdate, channels: list[Channel]) -> str:
        targets = channels or await self._numbers_by_display(update)
        for channel in targets:
            channel.quality_rating = (
                str(update.data.get("event") or update.data.get("current_limit") or "") or None
            )
            limit = update.data.get("current_limit") or update.data.get("messaging_limit_tier")
            channel.messaging_limit = str(limit) if limit else channel.messaging_limit
            self._announce(channel)
        return f"quality {update.data.get('event')}"

    async def _account(self, update: ChannelUpdate, channels: list[Channel]) -> str:
        if not update.waba_id:
            return "account update without WABA"
        rows = await self.session.execute(
            select(WhatsAppBusinessAccount).where(WhatsAppBusinessAccount.waba_id == update.waba_id)
        )
        event = str(update.data.get("event") or "UNKNOWN")
        for waba in rows.scalars():
            waba.account_status = event
            waba.account_event = {**update.data, "received_at": datetime.now(UTC).isoformat()}
        if event in ("PARTNER_REMOVED", "ACCOUNT_OFFBOARDED", "DISABLED_UPDATE"):
            await self._flag_numbers(update.waba_id)
        return f"account {event}"

    async def _flag_numbers(self, waba_id: str) -> None:
        rows = await self.session.execute(
            select(Channel).where(
                Channel.waba_id == waba_id, Channel.status == ChannelStatus.ACTIVE
            )
        )
        for channel in rows.scalars():
            channel.status = ChannelStatus.NEEDS_REAUTH
            self._announce(channel)

    async def _waba_tenants(self, waba_id: str) -> list[Any]:
        rows = await self.session.execute(
            select(WhatsAppBusinessAccount.tenant_id).where(
                WhatsAppBusinessAccount.waba_id == waba_id
            )
        )
        return list(rows.scalars())

    async def _numbers_by_display(self, update: ChannelUpdate) -> list[Channel]:
        display = "".join(
            ch for ch in str(update.data.get("display_phone_number") or "") if ch.isdigit()
        )
        if not display or not update.waba_id:
            return []
        rows = await self.session.execute(
            select(Channel).where(
                Channel.kind == ChannelKind.WHATSAPP, Channel.waba_id == update.waba_id
            )
        )
        return [
            c
            for c in rows.scalars()
            if "".join(ch for ch in (c.display_phone_number or "") if ch.isdigit()) == display
        ]

    def _announce(self, channel: Channel) -> None:
        emit_channel_updated(self.session, channel)
