"""Processing one stored delivery: parse, route each event to the tenant that owns its
channel, and apply it (DESIGN invariant 3).

Runs in a worker inside one unit of work (routes, rows and the event's state commit
together), so a failure leaves nothing half-written and the retry starts clean. When it
fails, the routes are recorded with the failure, so even a failing event shows up for
the right tenant's admins. A malformed body is kept and marked `dead`;
an unknown object or event kind is counted in the event's `result`; a channel nobody
owns is recorded, never a crash.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.events import (
    ChannelUpdate,
    IgnoredEvent,
    InboundMessage,
    OutboundEcho,
    Reaction,
    StatusUpdate,
    WebhookItem,
)
from api.channels.parsing import parse_messenger, parse_whatsapp
from api.channels.repository import ChannelRouting
from api.channels.updates import ChannelUpdates
from api.inbox.ingest import InboundRecorder
from api.inbox.statuses import StatusApplier
from api.inbox.views import emit_message
from api.models import Channel, ChannelKind, WebhookEvent, WebhookEventRoute, WebhookEventStatus
from api.observability import logs, tracing
from api.observability.logs import describe_error

MAX_ATTEMPTS = 8

PARSERS = {
    "page": (ChannelKind.MESSENGER, parse_messenger),
    "whatsapp_business_account": (ChannelKind.WHATSAPP, parse_whatsapp),
}


def parse_body(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def parse_items(payload: dict[str, Any]) -> tuple[ChannelKind, list[WebhookItem]] | None:
    parser = PARSERS.get(str(payload.get("object")))
    if parser is None:
        return None
    kind, parse = parser
    return kind, parse(payload)


class WebhookProcessor:
    def __init__(self, session: AsyncSession, app_id: str) -> None:
        self.session = session
        self.app_id = app_id
        self.routing = ChannelRouting(session)
        self.recorder = InboundRecorder(session)
        self.statuses = StatusApplier(session)
        self.updates = ChannelUpdates(session)
        self._channels: dict[str, Channel | None] = {}

    async def route(self, event_id: uuid.UUID) -> int:
        """Record which tenants' channels the delivery concerns (idempotent). Used when
        processing failed, so the failed event shows up for the right tenant's admins."""
        event = await self.session.get(WebhookEvent, event_id)
        payload = parse_body(event.raw_body) if event is not None else None
        parsed = parse_items(payload) if payload is not None else None
        if event is None or parsed is None:
            return 0
        return await self._route(event, *parsed)

    async def _route(self, event: WebhookEvent, kind: ChannelKind, items: list[WebhookItem]) -> int:
        channels = {
            c.id: c for item in items if (c := await self._channel(kind, _channel_id(item)))
        }
        for item in items:  # account and template events name a WABA, not a number
            if isinstance(item, ChannelUpdate) and item.waba_id and not item.channel_external_id:
                channels |= {c.id: c for c in await self.routing.by_waba(item.waba_id)}
        if channels:  # one statement text whatever the count: compiled and prepared once
            await self.session.execute(
                insert(WebhookEventRoute).on_conflict_do_nothing(),
                [
                    {"event_id": event.id, "channel_id": c.id, "tenant_id": c.tenant_id}
                    for c in channels.values()
                ],
            )
        return len(channels)

    async def process(self, event_id: uuid.UUID) -> WebhookEvent | None:
        """Route and process the event unless it is already done, in the caller's unit of
        work. Returns the event, or None if absent."""
        tracing.annotate(**{"parley.webhook.event_id": str(event_id)})
        event = await self._lock(event_id)
        if event is None or event.status in (WebhookEventStatus.PROCESSED, WebhookEventStatus.DEAD):
            return event
        payload = parse_body(event.raw_body)
        if payload is None:
            self._finish(
                event, WebhookEventStatus.DEAD, error="malformed payload: not a JSON object"
            )
            return event
        parsed = parse_items(payload)
        if parsed is None:
            self._finish(
                event,
                WebhookEventStatus.PROCESSED,
                result=f"ignored object {str(payload.get('object'))[:64]!r}",
            )
            return event
        kind, items = parsed
        await self._route(event, kind, items)
        summary: Counter[str] = Counter()
        for item in items:
            summary[await self._apply(kind, item)] += 1
        self._finish(event, WebhookEventStatus.PROCESSED, result=_describe(summary))
        return event

    async def _apply(self, kind: ChannelKind, item: WebhookItem) -> str:
        if isinstance(item, IgnoredEvent):
            return f"ignored {item.kind}"
        external_id = _channel_id(item)
        channel = await self._channel(kind, external_id)
        if channel is not None:  # the lines that follow are this tenant's work
            logs.bind(tenant_id=channel.tenant_id)
        if isinstance(item, ChannelUpdate):
            return await self.updates.apply(item, [channel] if channel else [])
        if channel is None:
            return f"unrouted: {kind.value} {external_id} is not connected to any tenant"
        if isinstance(item, InboundMessage):
            return "message" if await self.recorder.record(channel, item) else "duplicate message"
        if isinstance(item, OutboundEcho):
            return await self.recorder.record_echo(channel, item, self.app_id)
        if isinstance(item, Reaction):
            return await self.recorder.react(channel, item)
        return await self._status(channel, item)

    async def _status(self, channel: Channel, update: StatusUpdate) -> str:
        changed = await self.statuses.apply(channel, update)
        for message in changed:
            await emit_message(self.session, message)
        return f"status {update.status}" if changed else f"status {update.status} (no change)"

    async def _channel(self, kind: ChannelKind, external_id: str | None) -> Channel | None:
        if external_id is None:
            return None
        if external_id not in self._channels:
            self._channels[external_id] = await self.routing.find(kind, external_id)
        return self._channels[external_id]

    async def _lock(self, event_id: uuid.UUID) -> WebhookEvent | None:
        result = await self.session.execute(
            select(WebhookEvent).where(WebhookEvent.id == event_id).with_for_update()
        )
        return result.scalar_one_or_none()

    @staticmethod
    def _finish(
        event: WebhookEvent,
        status: WebhookEventStatus,
        *,
        result: str | None = None,
        error: str | None = None,
    ) -> None:
        event.status = status
        event.attempts += 1
        event.result = result[:4000] if result else result
        event.last_error = error
        event.processed_at = datetime.now(UTC)


def _channel_id(item: WebhookItem) -> str | None:
    return item.channel_external_id


async def record_failure(
    session: AsyncSession, event_id: uuid.UUID, error: BaseException
) -> WebhookEventStatus:
    """Count a failed attempt; after MAX_ATTEMPTS the event is `dead` and stops retrying.
    The error is kept as its class and a short message: never a statement's parameters
    (a failed INSERT's would hold the customer's message; tenant admins read this)."""
    event = await session.get(WebhookEvent, event_id, with_for_update=True)
    if event is None:
        return WebhookEventStatus.DEAD
    event.attempts += 1
    event.last_error = describe_error(error)
    event.status = (
        WebhookEventStatus.DEAD if event.attempts >= MAX_ATTEMPTS else WebhookEventStatus.FAILED
    )
    return event.status


def _describe(summary: Counter[str]) -> str:
    return (
        ", ".join(f"{count} x {what}" for what, count in sorted(summary.items()))
        or "empty delivery"
    )
