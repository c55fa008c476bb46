"""The reports' aggregates, each filtered by the caller's tenant.

Messages are counted by day of `sort_at` (the provider's time for inbound messages, the
creation time for replies: a history import counts on the days the messages were written,
not the day it ran) over a `(tenant_id, sort_at)` range, which the covering index
`ix_messages_tenant_sort_at` answers without reading the table. Webhook deliveries have
no tenant: the processed and failed ones are found through their routes, the ones still
waiting for a worker through the page / number / WABA ids their bodies name.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Date, Row, String, cast, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import (
    Channel,
    ChannelStatus,
    Message,
    MessageDirection,
    MessageStatus,
    WebhookEvent,
    WebhookEventRoute,
    WebhookEventStatus,
)
from api.models.message import FAILED_SQL
from api.reports.schemas import ReportPeriod
from api.tenancy import TenantScope

DELIVERED = (MessageStatus.DELIVERED, MessageStatus.READ)
FAILURE_GROUPS = 50


class ReportRepository:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope

    async def channels(self) -> list[Channel]:
        """Every channel of the tenant, disconnected ones too (they keep their history)."""
        statement = (
            select(Channel)
            .where(Channel.tenant_id == self.scope.tenant_id)
            .order_by(Channel.created_at, Channel.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def message_days(
        self, period: ReportPeriod, channel_id: uuid.UUID | None
    ) -> Sequence[Row[Any]]:
        """(channel_id, date, inbound, outbound, delivered, read, failed) per channel and
        local day with at least one message."""
        local_day = cast(func.timezone(period.tz, Message.sort_at), Date)
        rows = (
            select(
                Message.channel_id,
                Message.direction,
                Message.status,
                local_day.label("date"),
            )
            .where(*self._messages_in(period, channel_id))
            .subquery()
        )
        outbound = rows.c.direction == MessageDirection.OUTBOUND
        statement = (
            select(
                rows.c.channel_id,
                rows.c.date,
                func.count().filter(rows.c.direction == MessageDirection.INBOUND).label("inbound"),
                func.count().filter(outbound).label("outbound"),
                func.count().filter(outbound, rows.c.status.in_(DELIVERED)).label("delivered"),
                func.count().filter(outbound, rows.c.status == MessageStatus.READ).label("read"),
                func.count()
                .filter(outbound, rows.c.status == MessageStatus.FAILED)
                .label("failed"),
            )
            .group_by(rows.c.channel_id, rows.c.date)
            .order_by(rows.c.date, rows.c.channel_id)
        )
        return (await self.session.execute(statement)).all()

    async def failures(
        self, period: ReportPeriod, channel_id: uuid.UUID | None
    ) -> Sequence[Row[Any]]:
        """(channel_id, code, reason, count, last_at) of failed replies, most frequent first;
        the reason is the latest failure's (texts vary within one code)."""
        failed_at = func.coalesce(Message.status_at, Message.updated_at)
        statement = (
            select(
                Message.channel_id,
                Message.error_code.label("code"),
                func.array_agg(aggregate_order_by(Message.error_reason, failed_at.desc()))[1].label(
                    "reason"
                ),
                func.count().label("count"),
                func.max(failed_at).label("last_at"),
            )
            .where(
                *self._messages_in(period, channel_id),
                Message.direction == MessageDirection.OUTBOUND,
                # Spelled out (not a parameter) so the planner picks the partial index.
                literal_column(FAILED_SQL, Boolean),
            )
            .group_by(Message.channel_id, Message.error_code)
            .order_by(func.count().desc(), func.max(failed_at).desc())
            .limit(FAILURE_GROUPS)
        )
        return (await self.session.execute(statement)).all()

    def _messages_in(self, period: ReportPeriod, channel_id: uuid.UUID | None) -> list[Any]:
        conditions = [
            Message.tenant_id == self.scope.tenant_id,
            Message.sort_at >= period.start,
            Message.sort_at < period.end,
            Message.direction.in_((MessageDirection.INBOUND, MessageDirection.OUTBOUND)),
        ]
        if channel_id is not None:
            conditions.append(Message.channel_id == channel_id)
        return conditions

    async def webhook_events(
        self, period: ReportPeriod, channels: Sequence[Channel], channel_id: uuid.UUID | None
    ) -> dict[WebhookEventStatus, int]:
        """Deliveries received in the period for `channels` (the tenant's, or the one
        filtered to), by state."""
        counts = dict.fromkeys(WebhookEventStatus, 0)
        counts.update(await self._routed_events(period, channel_id))
        counts[WebhookEventStatus.RECEIVED] += await self._unrouted_pending(period, channels)
        return counts

    async def _routed_events(
        self, period: ReportPeriod, channel_id: uuid.UUID | None
    ) -> dict[WebhookEventStatus, int]:
        """Deliveries a worker has routed to the tenant (processed, failed, dead, and
        replays waiting again); one delivery may concern several of its channels. Every
        state is named so the (status, received_at) index can serve a short period."""
        routed = exists().where(
            WebhookEventRoute.event_id == WebhookEvent.id,
            WebhookEventRoute.tenant_id == self.scope.tenant_id,
        )
        if channel_id is not None:
            routed = routed.where(WebhookEventRoute.channel_id == channel_id)
        statement = (
            select(WebhookEvent.status, func.count())
            .where(
                WebhookEvent.status.in_(list(WebhookEventStatus)),
                WebhookEvent.received_at >= period.start,
                WebhookEvent.received_at < period.end,
                routed,
            )
            .group_by(WebhookEvent.status)
        )
        return {row[0]: int(row[1]) for row in await self.session.execute(statement)}

    async def _unrouted_pending(self, period: ReportPeriod, channels: Sequence[Channel]) -> int:
        """Deliveries no worker has looked at yet, by the ids their bodies name. Only live
        channels: a disconnected page or number may belong to another tenant by now."""
        keys = sorted(
            {
                key
                for channel in channels
                if channel.status is not ChannelStatus.DISCONNECTED
                for key in (channel.external_id, channel.waba_id)
                if key
            }
        )
        if not keys:
            return 0
        routed = exists().where(
            WebhookEventRoute.event_id == WebhookEvent.id,
            WebhookEventRoute.tenant_id == self.scope.tenant_id,
        )
        statement = select(func.count()).where(
            WebhookEvent.status == WebhookEventStatus.RECEIVED,
            WebhookEvent.channel_keys.overlap(cast(keys, ARRAY(String(64)))),
            WebhookEvent.received_at >= period.start,
            WebhookEvent.received_at < period.end,
            ~routed,
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def expiring_tokens(
        self, before: datetime, channel_id: uuid.UUID | None
    ) -> list[Channel]:
        """Live channels that need re-auth or whose token expires before `before`."""
        statement = select(Channel).where(
            Channel.tenant_id == self.scope.tenant_id,
            Channel.status != ChannelStatus.DISCONNECTED,
            or_(
                Channel.status == ChannelStatus.NEEDS_REAUTH,
                Channel.token_expires_at < before,
            ),
        )
        if channel_id is not None:
            statement = statement.where(Channel.id == channel_id)
        statement = statement.order_by(
            Channel.token_expires_at.asc().nulls_first(), Channel.name, Channel.id
        )
        return list((await self.session.execute(statement)).scalars())
