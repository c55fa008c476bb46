"""The shapes of the reports: a period, message traffic per channel and day, failures by
reason, webhook deliveries and channels whose token needs attention."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field

from api.errors import AppError
from api.models import ChannelKind, ChannelStatus

DEFAULT_DAYS = 14
MAX_DAYS = 92
# Days a report may name (keeps every computed instant inside what dates can hold).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(9998, 12, 31)
# Channels whose token expires within this many days are listed (or need re-auth already).
TOKEN_EXPIRY_HORIZON = timedelta(days=14)


class InvalidReportQuery(AppError):
    status_code = 422
    code = "invalid_report_query"


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Whole days `first`..`last` (inclusive) in `tz`, and the instants they span."""

    first: date
    last: date
    tz: str

    @classmethod
    def parse(cls, first: date | None, last: date | None, tz: str, today: datetime) -> ReportPeriod:
        """The period a request asks for: `to` defaults to today in `tz`, `from` to 13 days
        before `to`; at most 92 days, in an IANA time zone."""
        if tz not in _timezones():
            raise InvalidReportQuery(
                f"Unknown time zone {tz!r}: use an IANA name such as 'Europe/Lisbon' or 'UTC'.",
                code="invalid_timezone",
            )
        last = last or today.astimezone(ZoneInfo(tz)).date()
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise InvalidReportQuery(
                f"'from' ({first}) is after 'to' ({last}).", code="invalid_range"
            )
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidReportQuery(
                f"A report covers at most {MAX_DAYS} days; {first} to {last} is "
                f"{(last - first).days + 1} days.",
                code="range_too_long",
            )
        return cls(first, last, tz)

    @property
    def start(self) -> datetime:
        """The first day's midnight in the zone (as an aware instant)."""
        return datetime.combine(self.first, time(), ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        """Midnight after the last day (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(self.tz))


class MessageCounts(BaseModel):
    """Messages in and out. `delivered` counts replies Meta delivered (read ones included),
    `read` those the customer read, `failed` those that could not be sent; all three are
    part of `outbound`. Notes are not messages here."""

    inbound: int = 0
    outbound: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0


class ChannelDay(MessageCounts):
    """One channel's traffic on one day (days without any message are left out)."""

    date: date
    channel_id: uuid.UUID


class ChannelTotals(MessageCounts):
    channel_id: uuid.UUID
    name: str
    kind: ChannelKind
    status: ChannelStatus
    delivery_rate: float | None = Field(
        description="delivered / outbound (0..1); null without outbound messages"
    )
    read_rate: float | None = Field(description="read / outbound (0..1)")


class FailureReason(BaseModel):
    """Replies that failed, grouped by channel and Meta's (or Parley's) error code;
    `reason` is the latest failure's text."""

    channel_id: uuid.UUID
    code: str | None
    reason: str | None
    count: int
    last_at: datetime


class WebhookEventCounts(BaseModel):
    """Deliveries from Meta for the channels, received in the period, by state: `pending`
    waits for a worker, `failed` is being retried, `dead` gave up (replay it under
    Operations). Processed deliveries are pruned after `retention_days`."""

    processed: int = 0
    pending: int = 0
    failed: int = 0
    dead: int = 0
    retention_days: int


class ExpiringChannel(BaseModel):
    """A channel whose token expires soon or that must be connected again."""

    channel_id: uuid.UUID
    name: str
    kind: ChannelKind
    status: ChannelStatus
    token_expires_at: datetime | None


class ReportOverview(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="First day of the period (inclusive)")
    to: date = Field(description="Last day of the period (inclusive)")
    tz: str = Field(description="The IANA time zone the days are cut in")
    channel_id: uuid.UUID | None
    days: list[ChannelDay] = Field(description="Per channel and day, days with messages only")
    channels: list[ChannelTotals] = Field(description="Totals per channel over the period")
    failures: list[FailureReason] = Field(description="Failed replies by reason, most first")
    webhook_events: WebhookEventCounts
    expiring_tokens: list[ExpiringChannel] = Field(
        description=f"Token expiring within {TOKEN_EXPIRY_HORIZON.days} days, or needs re-auth"
    )
    generated_at: datetime
