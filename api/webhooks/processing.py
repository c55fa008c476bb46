"""Processing one stored delivery: parse, route to the owning tenant, record.

Runs in a worker inside one unit of work, so a failure leaves nothing half-written and the
retry starts clean. A malformed body is kept and marked `dead`; an unknown object or event
kind is counted in the event's `result`; a page nobody owns is recorded, never a crash.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.adapters import (
    WEBHOOK_OBJECTS,
    ChannelAdapter,
    IgnoredEvent,
    InboundMessage,
    get_adapter,
)
from api.channels.repository import ChannelRouting
from api.inbox.ingest import InboundRecorder
from api.meta.graph import GraphClient
from api.models import ChannelKind, WebhookEvent, WebhookEventStatus

MAX_ATTEMPTS = 8


class WebhookProcessor:
    def __init__(self, session: AsyncSession, graph: GraphClient) -> None:
        self.session = session
        self.adapters: dict[str, ChannelAdapter] = {
            obj: get_adapter(kind, graph) for obj, kind in WEBHOOK_OBJECTS.items()
        }
        self.routing = ChannelRouting(session)
        self.recorder = InboundRecorder(session)

    async def process(self, event_id: uuid.UUID) -> WebhookEvent | None:
        """Process the event unless it is already done. Returns the event, or None if absent."""
        event = await self._lock(event_id)
        if event is None or event.status in (WebhookEventStatus.PROCESSED, WebhookEventStatus.DEAD):
            return event
        payload = _parse(event.raw_body)
        if payload is None:
            self._finish(
                event, WebhookEventStatus.DEAD, error="malformed payload: not a JSON object"
            )
            return event
        adapter = self.adapters.get(str(payload.get("object")))
        if adapter is None:
            self._finish(
                event,
                WebhookEventStatus.PROCESSED,
                result=f"ignored object {payload.get('object')!r}",
            )
            return event
        summary = await self._apply(adapter, payload)
        self._finish(event, WebhookEventStatus.PROCESSED, result=_describe(summary))
        return event

    async def _apply(self, adapter: ChannelAdapter, payload: dict[str, Any]) -> Counter[str]:
        summary: Counter[str] = Counter()
        for item in adapter.parse_webhook(payload):
            if isinstance(item, IgnoredEvent):
                summary[f"ignored {item.kind}"] += 1
                continue
            summary[await self._record(adapter.kind, item)] += 1
        return summary

    async def _record(self, kind: ChannelKind, item: InboundMessage) -> str:
        channel = await self.routing.find(kind, item.channel_external_id)
        if channel is None:
            return (
                f"unrouted: {kind.value} {item.channel_external_id} is not connected to any tenant"
            )
        recorded = await self.recorder.record(channel, item)
        return "message" if recorded else "duplicate message"

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
        event.result = result
        event.last_error = error
        event.processed_at = datetime.now(UTC)


async def record_failure(
    session: AsyncSession, event_id: uuid.UUID, error: str
) -> WebhookEventStatus:
    """Count a failed attempt; after MAX_ATTEMPTS the event is `dead` and stops retrying."""
    event = await session.get(WebhookEvent, event_id, with_for_update=True)
    if event is None:
        return WebhookEventStatus.DEAD
    event.attempts += 1
    event.last_error = error[:2000]
    event.status = (
        WebhookEventStatus.DEAD if event.attempts >= MAX_ATTEMPTS else WebhookEventStatus.FAILED
    )
    return event.status


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _describe(summary: Counter[str]) -> str:
    return (
        ", ".join(f"{count} x {what}" for what, count in sorted(summary.items()))
        or "empty delivery"
    )
