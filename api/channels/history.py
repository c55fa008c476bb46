"""Importing a Page's recent conversations through the Conversations API (meta-platform.md §4.6).

Runs as a job in small units of work so progress (`imported` / `total`) is visible live on
the Channels page; every message insert is idempotent, so a re-run only fills gaps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.schemas import emit_channel_updated
from api.crypto import SecretBox
from api.inbox.ingest import ContactInfo, HistoricMessage, HistoryRecorder
from api.meta.errors import ErrorAction, GraphError
from api.models import Channel, ChannelKind, ChannelStatus
from api.vault import open_token

MAX_CONVERSATIONS = 50


@dataclass(frozen=True, slots=True)
class Thread:
    contact: ContactInfo
    messages: list[HistoricMessage]


def parse_thread(
    page_id: str, conversation: dict[str, Any], messages: list[dict[str, Any]]
) -> Thread | None:
    """The customer is the participant who is not the page."""
    participants = (conversation.get("participants") or {}).get("data") or []
    customer = next(
        (p for p in participants if isinstance(p, dict) and str(p.get("id")) != page_id), None
    )
    if customer is None:
        return None
    parsed = [
        HistoricMessage(
            external_id=str(m["id"]),
            sent_at=_parse_time(m.get("created_time")),
            text=m.get("message")
            if isinstance(m.get("message"), str) and m.get("message")
            else None,
            outbound=str((m.get("from") or {}).get("id")) == page_id,
        )
        for m in messages
        if m.get("id")
    ]
    contact = ContactInfo(str(customer["id"]), name=customer.get("name"))
    return Thread(contact, parsed)


def _parse_time(value: Any) -> datetime:
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return datetime.now(UTC)


class HistoryImport:
    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self.session = session
        self.box = box

    async def begin(self, channel_id: uuid.UUID) -> tuple[Channel, str] | None:
        channel = await self.session.get(Channel, channel_id, with_for_update=True)
        if (
            channel is None
            or channel.kind is not ChannelKind.MESSENGER
            or channel.status is not ChannelStatus.ACTIVE
        ):
            return None
        channel.history_import_status = "running"
        channel.history_imported = 0
        channel.history_error = None
        self.announce(channel)
        return channel, open_token(self.box, channel)

    async def set_total(self, channel_id: uuid.UUID, total: int) -> None:
        channel = await self._channel(channel_id)
        channel.history_total = total
        self.announce(channel)

    async def store(self, channel_id: uuid.UUID, thread: Thread) -> None:
        channel = await self._channel(channel_id)
        await HistoryRecorder(self.session).import_thread(channel, thread.contact, thread.messages)
        channel.history_imported += 1
        self.announce(channel)

    async def finish(self, channel_id: uuid.UUID, error: GraphError | None = None) -> None:
        channel = await self._channel(channel_id)
        channel.history_import_status = "failed" if error else "done"
        channel.history_error = error.reason[:500] if error else None
        if error is not None and error.action is ErrorAction.REAUTH:
            channel.status = ChannelStatus.NEEDS_REAUTH
        self.announce(channel)

    async def _channel(self, channel_id: uuid.UUID) -> Channel:
        channel = await self.session.get(Channel, channel_id, with_for_update=True)
        assert channel is not None
        return channel

    def announce(self, channel: Channel) -> None:
        emit_channel_updated(self.session, channel)
