"""The operators' view of webhook processing for one tenant: events, replay, health."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.errors import NotFound
from api.models import WebhookEvent, WebhookEventStatus
from api.pagination import Page, decode_cursor, encode_cursor
from api.tenancy import TenantScope
from api.webhooks.repository import TenantWebhookEvents
from api.webhooks.schemas import ChannelWebhookStats, WebhookEventOut
from api.webhooks.service import PROCESS_JOB, process_job_id


class WebhookOperations:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.events = TenantWebhookEvents(session, scope)

    async def list_events(
        self,
        *,
        status: WebhookEventStatus | None,
        channel_id: uuid.UUID | None,
        cursor: str | None,
        limit: int,
    ) -> Page[WebhookEventOut]:
        after = decode_cursor(cursor) if cursor else None
        rows = await self.events.page(
            status=status, channel_id=channel_id, after=after, limit=limit + 1
        )
        page = rows[:limit]
        routes = await self.events.channel_ids([e.id for e in page])
        next_cursor = (
            encode_cursor(page[-1].received_at, page[-1].id) if len(rows) > limit else None
        )
        return Page(
            items=[self._out(e, routes.get(e.id, [])) for e in page], next_cursor=next_cursor
        )

    async def replay(self, event_id: uuid.UUID) -> WebhookEventOut:
        """Process the delivery again. Safe: processing is idempotent on provider ids."""
        event = await self.events.get(event_id, for_update=True)
        if event is None:
            raise NotFound("Webhook event not found.")
        event.status = WebhookEventStatus.RECEIVED
        event.attempts = 0
        event.last_error = None
        event.processed_at = None
        await self.session.flush()
        # A fresh job id: the earlier job (if arq still remembers it) must not swallow this one.
        job_id = f"{process_job_id(event.id)}:replay:{uuid.uuid4().hex[:8]}"
        jobs.enqueue_job(
            self.session, PROCESS_JOB, str(event.id), job_id=job_id, queue=jobs.WEBHOOK_QUEUE_NAME
        )
        routes = await self.events.channel_ids([event.id])
        return self._out(event, routes.get(event.id, []))

    async def channel_stats(self) -> list[ChannelWebhookStats]:
        return [
            ChannelWebhookStats(
                channel_id=row["channel"].id,
                channel_name=row["channel"].name,
                kind=row["channel"].kind,
                last_event_at=row["channel"].last_event_at,
                lag_ms=row["lag_ms"],
                processed_24h=row.get("processed_24h", 0),
                failed=row.get("failed", 0),
                dead=row.get("dead", 0),
                pending=row.get("pending", 0),
            )
            for row in await self.events.channel_stats()
        ]

    @staticmethod
    def _out(event: WebhookEvent, channel_ids: list[uuid.UUID]) -> WebhookEventOut:
        return WebhookEventOut(
            id=event.id,
            object=event.object,
            status=event.status,
            attempts=event.attempts,
            last_error=event.last_error,
            result=event.result,
            received_at=event.received_at,
            processed_at=event.processed_at,
            channel_ids=channel_ids,
        )
