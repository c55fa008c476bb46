"""Re-driving outbound replies that nothing else would finish (DESIGN invariant 4).

A reply lives in Postgres from the moment it is accepted; its arq job is only a nudge.
Two things can strand it:

- Its job is gone (Redis restarted or was flushed, or the enqueue after commit failed), so
  the row stays `queued`. It is enqueued again under its own job id: arq ignores an id it
  still holds, and a claim only ever moves a message out of `queued`, so this never sends
  twice.
- The worker died between the claim and the outcome, so the row stays `sending`. Whether
  Meta got it cannot be known, and sending again could reach the customer twice, so it is
  marked `failed` with a reason that tells the agent what to check. Rows are locked with
  SKIP LOCKED and the status is checked again under the lock, so an outcome being recorded
  at the same moment wins.

Both walk their rows in keyset pages of (updated_at, id), each page its own unit of work,
across tenants (a system job: each row carries its tenant, and so does its event).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import events, jobs
from api.db import unit_of_work
from api.inbox.sending import SEND_JOB, send_job_id
from api.inbox.statuses import SEND_UNCONFIRMED
from api.inbox.views import messages_out
from api.models import Message, MessageStatus
from api.pagination import beyond

# Longer than a retried send waits in arq before its next attempt (backoff up to ~1 min),
# so a message whose job is alive is rarely looked at; re-enqueueing one is harmless anyway.
QUEUED_STALE_AFTER = timedelta(minutes=2)
# Far longer than a send can take: the Graph timeouts (10 s; a file's upload 240 s) inside
# the send job's timeout (300 s).
# A message still `sending` after this has no worker behind it any more.
SENDING_STALE_AFTER = timedelta(minutes=10)
PAGE_SIZE = 500
MAX_PER_RUN = 20_000  # per kind; the next run (a minute later) carries on

SEND_UNCONFIRMED_REASON = (
    "Parley could not confirm this message reached Meta (the sender stopped mid-send). "
    "Check the conversation and retry if it is missing."
)

Key = tuple[datetime, uuid.UUID]  # (updated_at, id): the keyset position
Page = Callable[[AsyncSession, Key | None, int], Awaitable[list[Key]]]


@dataclass(frozen=True, slots=True)
class RedriveReport:
    requeued: int
    unconfirmed: int


def _stale(status: MessageStatus, older_than: timedelta, after: Key | None) -> ColumnElement[bool]:
    """Messages in `status` unchanged for `older_than`, past the keyset position `after`."""
    # The database's clock, the same one that stamped updated_at.
    criteria = [Message.status == status, Message.updated_at < func.now() - older_than]
    if after is not None:
        criteria.append(beyond(Message.updated_at, Message.id, after))
    return and_(*criteria)


ORDER = (Message.updated_at, Message.id)


async def requeue_stale_sends(session: AsyncSession, after: Key | None, limit: int) -> list[Key]:
    """Enqueue (after commit) the send job of each `queued` message left alone too long."""
    rows = await session.execute(
        select(Message.updated_at, Message.id, Message.retry_count)
        .where(_stale(MessageStatus.QUEUED, QUEUED_STALE_AFTER, after))
        .order_by(*ORDER)
        .limit(limit)
    )
    keys = []
    for updated_at, message_id, retry_count in rows:
        keys.append((updated_at, message_id))
        job_id = send_job_id(message_id, retry_count)
        jobs.enqueue_job(session, SEND_JOB, str(message_id), job_id=job_id)
    return keys


async def fail_unconfirmed_sends(session: AsyncSession, after: Key | None, limit: int) -> list[Key]:
    """Mark `failed` (send_unconfirmed) each message stuck in `sending`; emit each change.

    SKIP LOCKED: a row being given its outcome right now is left to that outcome, and the
    status is checked again once locked, so a row that stopped being `sending` is not
    touched."""
    statement = (
        select(Message)
        .where(
            _stale(MessageStatus.SENDING, SENDING_STALE_AFTER, after),
            Message.external_id.is_(None),  # with a provider id, Meta has it
        )
        .order_by(*ORDER)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list((await session.execute(statement)).scalars())
    keys = [(m.updated_at, m.id) for m in messages]  # before the update moves updated_at
    for message in messages:
        message.status = MessageStatus.FAILED
        message.error_code, message.error_reason = SEND_UNCONFIRMED, SEND_UNCONFIRMED_REASON
    await session.flush()
    for message, out in zip(messages, await messages_out(session, messages), strict=True):
        events.emit(
            session, message.tenant_id, "message:updated", {"message": out.model_dump(mode="json")}
        )
    return keys


async def sweep(page: Page, *, page_size: int | None = None, limit: int | None = None) -> int:
    """Run `page` over consecutive keyset pages, each in its own unit of work."""
    size, most = page_size or PAGE_SIZE, limit or MAX_PER_RUN
    total, after = 0, None
    while total < most:
        async with unit_of_work() as session:
            keys = await page(session, after, min(size, most - total))
        total += len(keys)
        if len(keys) < size:
            break
        after = keys[-1]
    return total


async def redrive_sends() -> RedriveReport:
    """Fail the sends nobody can vouch for, then re-enqueue the ones whose job was lost."""
    unconfirmed = await sweep(fail_unconfirmed_sends)
    requeued = await sweep(requeue_stale_sends)
    return RedriveReport(requeued=requeued, unconfirmed=unconfirmed)
