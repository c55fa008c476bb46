"""Reports for a tenant's admins: what came in and went out per channel and day, how much
of it Meta delivered and customers read, what failed and why, how Meta's webhooks are
flowing, and which channels' tokens need attention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.errors import NotFound
from api.models import Channel, ChannelStatus, WebhookEventStatus
from api.reports.repository import ReportRepository
from api.reports.schemas import (
    TOKEN_EXPIRY_HORIZON,
    ChannelDay,
    ChannelTotals,
    ExpiringChannel,
    FailureReason,
    MessageCounts,
    ReportOverview,
    ReportPeriod,
    WebhookEventCounts,
)
from api.tenancy import TenantScope

COUNTS = ("inbound", "outbound", "delivered", "read", "failed")


class ReportService:
    def __init__(self, session: AsyncSession, scope: TenantScope, settings: Settings) -> None:
        self.reports = ReportRepository(session, scope)
        self.settings = settings

    async def overview(self, period: ReportPeriod, channel_id: uuid.UUID | None) -> ReportOverview:
        """Everything the Reports page shows for `period`, for one channel or all of them.
        Another tenant's (or an unknown) channel id is 404."""
        now = datetime.now(UTC)
        channels = await self.reports.channels()
        if channel_id is not None:
            channels = [channel for channel in channels if channel.id == channel_id]
            if not channels:
                raise NotFound("Channel not found.")
        days = [
            ChannelDay.model_validate(row._asdict())
            for row in await self.reports.message_days(period, channel_id)
        ]
        failures = [
            FailureReason.model_validate(row._asdict())
            for row in await self.reports.failures(period, channel_id)
        ]
        webhooks = await self.reports.webhook_events(period, channels, channel_id)
        expiring = await self.reports.expiring_tokens(now + TOKEN_EXPIRY_HORIZON, channel_id)
        return ReportOverview(
            from_=period.first,
            to=period.last,
            tz=period.tz,
            channel_id=channel_id,
            days=days,
            channels=self._totals(channels, days),
            failures=failures,
            webhook_events=WebhookEventCounts(
                processed=webhooks[WebhookEventStatus.PROCESSED],
                pending=webhooks[WebhookEventStatus.RECEIVED],
                failed=webhooks[WebhookEventStatus.FAILED],
                dead=webhooks[WebhookEventStatus.DEAD],
                retention_days=self.settings.webhooks.retention_days,
            ),
            expiring_tokens=[
                ExpiringChannel(
                    channel_id=channel.id,
                    name=channel.name,
                    kind=channel.kind,
                    status=channel.status,
                    token_expires_at=channel.token_expires_at,
                )
                for channel in expiring
            ],
            generated_at=now,
        )

    @staticmethod
    def _totals(channels: list[Channel], days: list[ChannelDay]) -> list[ChannelTotals]:
        """Per channel over the period: live channels always, disconnected ones only when
        they had messages in it."""
        sums: dict[uuid.UUID, MessageCounts] = {}
        for day in days:
            total = sums.setdefault(day.channel_id, MessageCounts())
            for name in COUNTS:
                setattr(total, name, getattr(total, name) + getattr(day, name))
        totals = []
        for channel in channels:
            if channel.id not in sums and channel.status is ChannelStatus.DISCONNECTED:
                continue
            total = sums.get(channel.id) or MessageCounts()
            totals.append(
                ChannelTotals(
                    channel_id=channel.id,
                    name=channel.name,
                    kind=channel.kind,
                    status=channel.status,
                    **total.model_dump(),
                    delivery_rate=_rate(total.delivered, total.outbound),
                    read_rate=_rate(total.read, total.outbound),
                )
            )
        return totals


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
