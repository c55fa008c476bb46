"""The operator's replay of webhook deliveries across every tenant (`python -m api.cli
replay-webhooks`), including deliveries routed to no tenant yet (e.g. dead because their
channel was not connected when they arrived). A tenant's admins replay their own events
one by one through the API (api.webhooks.operations); this resets rows the same way.

Replays are safe: processing is idempotent on Meta's ids, so nothing lands twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.models import WebhookEvent, WebhookEventStatus
from api.webhooks.service import PROCESS_JOB, process_job_id

REPLAYABLE = (WebhookEventStatus.DEAD, WebhookEventStatus.FAILED)
ERROR_PREVIEW = 120


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which events to replay: every condition given must hold."""

    statuses: tuple[WebhookEventStatus, ...] = (WebhookEventStatus.DEAD,)
    since: datetime | None = None  # received at or after
    ids: tuple[uuid.UUID, ...] = field(default=())


def _criteria(selection: ReplayFilter) -> list[ColumnElement[bool]]:
    criteria: list[ColumnElement[bool]] = [WebhookEvent.status.in_(selection.statuses)]
    if selection.since is not None:
        criteria.append(WebhookEvent.received_at >= selection.since)
    if selection.ids:
        criteria.append(WebhookEvent.id.in_(selection.ids))
    return criteria


async def summarize(session: AsyncSession, selection: ReplayFilter) -> list[tuple[int, str]]:
    """How many events match, grouped by the start of their error, most frequent first."""
    error = func.coalesce(func.left(WebhookEvent.last_error, ERROR_PREVIEW), "")
    rows = await session.execute(
        select(func.count(), error)
        .where(*_criteria(selection))
        .group_by(error)
        .order_by(func.count().desc(), error)
    )
    return [(count, text) for count, text in rows]


async def replay(session: AsyncSession, selection: ReplayFilter) -> list[uuid.UUID]:
    """Set the matching events back to `received` and enqueue their processing once the
    unit of work commits. The job id is the one the ingest path and the webhook worker's
    sweeper use, so a job still queued (e.g. a failed event's deferred retry) collapses
    with it; an enqueue that does not happen (Redis down) is left to that sweeper."""
    result = await session.execute(
        update(WebhookEvent)
        .where(*_criteria(selection))
        .values(status=WebhookEventStatus.RECEIVED, attempts=0, last_error=None, processed_at=None)
        .returning(WebhookEvent.id)
        .execution_options(synchronize_session=False)
    )
    event_ids = list(result.scalars())
    for event_id in event_ids:
        jobs.enqueue_job(
            session,
            PROCESS_JOB,
            str(event_id),
            job_id=process_job_id(event_id),
            queue=jobs.WEBHOOK_QUEUE_NAME,
        )
    return event_ids
