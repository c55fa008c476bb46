"""A tenant's view of webhook deliveries: the events routed to its channels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, ChannelStatus, WebhookEvent, WebhookEventRoute, WebhookEventStatus
from api.pagination import beyond
from api.tenancy import TenantScope

LAG_SAMPLE = 200


class TenantWebhookEvents:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope

    def scoped(self, channel_id: uuid.UUID | None = None) -> Select[WebhookEvent]:
        route = and_(
            WebhookEventRoute.event_id == WebhookEvent.id,
            WebhookEventRoute.tenant_id == self.scope.tenant_id,
        )
        if channel_id is not None:
            route = and_(route, WebhookEventRoute.channel_id == channel_id)
        return select(WebhookEvent).where(exists().where(route))

    async def get(self, event_id: uuid.UUID, *, for_update: bool = False) -> WebhookEvent | None:
        statement = self.scoped().where(WebhookEvent.id == event_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def page(
        self,
        *,
        status: WebhookEventStatus | None,
        channel_id: uuid.UUID | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[WebhookEvent]:
        statement = self.scoped(channel_id)
        if status is not None:
            statement = statement.where(WebhookEvent.status == status)
        if after is not None:
            statement = statement.where(
                beyond(WebhookEvent.received_at, WebhookEvent.id, after, descending=True)
            )
        statement = statement.order_by(
            WebhookEvent.received_at.desc(), WebhookEvent.id.desc()
        ).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def channel_ids(self, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        rows = await self.session.execute(
            select(WebhookEventRoute.event_id, WebhookEventRoute.channel_id).where(
                WebhookEventRoute.event_id.in_(event_ids),
                WebhookEventRoute.tenant_id == self.scope.tenant_id,
            )
        )
        grouped: dict[uuid.UUID, list[uuid.UUID]] = {}
        for event_id, channel_id in rows:
            grouped.setdefault(event_id, []).append(channel_id)
        return grouped

    async def channel_stats(self) -> list[dict[str, Any]]:
        """Per channel: last event, median ingest lag, processed in 24 h, failures, backlog."""
        since = datetime.now(UTC) - timedelta(hours=24)
        counts = (
            select(
                WebhookEventRoute.channel_id,
                func.count()
                .filter(
                    and_(
                        WebhookEvent.status == WebhookEventStatus.PROCESSED,
                        WebhookEvent.processed_at >= since,
                    )
                )
                .label("processed_24h"),
                func.count()
                .filter(WebhookEvent.status == WebhookEventStatus.FAILED)
                .label("failed"),
                func.count().filter(WebhookEvent.status == WebhookEventStatus.DEAD).label("dead"),
            )
            .join(WebhookEvent, WebhookEvent.id == WebhookEventRoute.event_id)
            .where(WebhookEventRoute.tenant_id == self.scope.tenant_id)
            .group_by(WebhookEventRoute.channel_id)
        )
        by_channel = {row.channel_id: row._asdict() for row in await self.session.execute(counts)}
        channels = await self.session.execute(
            select(Channel)
            .where(Channel.tenant_id == self.scope.tenant_id)
            .order_by(Channel.created_at)
        )
        return [
            {
                "channel": channel,
                "lag_ms": await self._lag_ms(channel.id),
                "pending": await self._pending(channel),
                **by_channel.get(channel.id, {}),
            }
            for channel in channels.scalars()
        ]

    async def _pending(self, channel: Channel) -> int:
        """Deliveries naming the channel that no worker has finished yet. Read from the
        ids the body names (stored at ingest), since routing happens only when processed;
        a disconnected channel's ids may belong to another tenant by now."""
        if channel.status is ChannelStatus.DISCONNECTED:
            return 0
        keys = [k for k in (channel.external_id, channel.waba_id) if k]
        count = await self.session.execute(
            select(func.count()).where(
                WebhookEvent.status == WebhookEventStatus.RECEIVED,
                WebhookEvent.channel_keys.overlap(cast(keys, ARRAY(String(64)))),
            )
        )
        return int(count.scalar_one())

    async def _lag_ms(self, channel_id: uuid.UUID) -> float | None:
        recent = (
            select(
                (
                    func.extract("epoch", WebhookEvent.processed_at - WebhookEvent.received_at)
                    * 1000
                ).label("lag")
            )
            .join(WebhookEventRoute, WebhookEventRoute.event_id == WebhookEvent.id)
            .where(
                WebhookEventRoute.channel_id == channel_id, WebhookEvent.processed_at.is_not(None)
            )
            .order_by(WebhookEvent.received_at.desc())
            .limit(LAG_SAMPLE)
            .subquery()
        )
        median = await self.session.execute(
            select(func.percentile_cont(0.5).within_group(recent.c.lag))
        )
        value = median.scalar_one_or_none()
        return float(value) if value is not None else None
