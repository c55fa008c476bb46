from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.deps import ReportsScope
from api.deps import SessionDep, SettingsDep
from api.reports.schemas import FIRST_DAY, LAST_DAY, ReportOverview, ReportPeriod
from api.reports.service import ReportService

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/overview")
async def overview(
    scope: ReportsScope,
    session: SessionDep,
    settings: SettingsDep,
    from_: Annotated[
        date | None,
        Query(
            alias="from",
            ge=FIRST_DAY,
            le=LAST_DAY,
            description="First day (YYYY-MM-DD); default: 13 days before `to`",
        ),
    ] = None,
    to: Annotated[
        date | None,
        Query(
            ge=FIRST_DAY,
            le=LAST_DAY,
            description="Last day, included (YYYY-MM-DD); default: today in `tz`",
        ),
    ] = None,
    tz: Annotated[
        str, Query(max_length=64, description="IANA time zone the days are cut in")
    ] = "UTC",
    channel_id: uuid.UUID | None = None,
) -> ReportOverview:
    """Per channel and day: messages in and out, delivered, read and failed replies; failures
    by reason; webhook deliveries by state; channels whose token expires within 14 days or
    needs re-auth. At most 92 days (owners and admins)."""
    period = ReportPeriod.parse(from_, to, tz, datetime.now(UTC))
    return await ReportService(session, scope, settings).overview(period, channel_id)
