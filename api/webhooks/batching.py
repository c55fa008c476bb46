"""Group commit for webhook ingest (DESIGN invariant 2, at Meta's flood rates).

Every delivery still gets its 200 only after its row is committed and its job enqueued;
what changes is that deliveries arriving while a commit is in flight wait for the next
one and share it: one transaction, one multi-row INSERT, one Redis round trip for all
their jobs. A lone delivery is stored at once (no timer), so at low rates nothing waits;
under a flood the batch grows with the backlog and the commit cost per delivery falls.

A failed commit fails every delivery of its batch (each is answered 503 and Meta
delivers it again); nothing is acknowledged that is not stored.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api import db, jobs
from api.models import WebhookEvent, WebhookEventStatus
from api.observability import tracing
from api.webhooks.service import PROCESS_JOB, Label, Receipt, dedup_key, process_job_id

logger = logging.getLogger(__name__)

# Bounded so one transaction stays short and one INSERT's parameters stay well under
# PostgreSQL's 65,535 (7 per row).
MAX_BATCH = 500

_INSERT = insert(WebhookEvent).on_conflict_do_nothing(index_elements=["dedup_key"])


@dataclass(slots=True)
class _Delivery:
    key: str
    body: bytes
    label: Label
    received_at: datetime
    carrier: dict[str, str] | None
    # The request's context: the batch's SQL runs in its first delivery's (its spans and
    # log lines belong to that request).
    context: contextvars.Context
    done: asyncio.Future[Receipt]
    id: uuid.UUID = field(default_factory=uuid.uuid4)


class IngestBatcher:
    """One per event loop of an api process (see `batcher_for`)."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._waiting: list[_Delivery] = []
        self._runner: asyncio.Task[None] | None = None

    async def store(self, body: bytes, label: Label) -> Receipt:
        """Store `body` durably and enqueue its processing; returns once both are done."""
        loop = asyncio.get_running_loop()
        delivery = _Delivery(
            key=dedup_key(body),
            body=body,
            label=label,
            received_at=datetime.now(UTC),
            carrier=tracing.inject(),
            context=contextvars.copy_context(),
            done=loop.create_future(),
        )
        self._waiting.append(delivery)
        # The runner stores batches while deliveries wait and ends when none do, so no
        # task outlives the work (nothing is left pending when the app or loop closes).
        # It checks for waiting deliveries and ends in one step, so a delivery appended
        # here is either seen by the running loop or finds the runner done.
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run(), name="webhook-ingest-batcher")
        # Shielded: a request cancelled while waiting leaves its delivery to the batch.
        return await asyncio.shield(delivery.done)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            flush = loop.create_task(self._flush(batch), context=batch[0].context)
            try:
                await asyncio.shield(flush)
            except asyncio.CancelledError:  # the loop is closing: finish this batch
                await flush
                raise

    async def _flush(self, batch: list[_Delivery]) -> None:
        try:
            receipts = await self._commit(batch)
        except BaseException as exc:
            for delivery in batch:
                if not delivery.done.done():
                    delivery.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        await self._enqueue(batch, receipts)
        for delivery, receipt in zip(batch, receipts, strict=True):
            if not delivery.done.done():
                delivery.done.set_result(receipt)

    async def _commit(self, batch: list[_Delivery]) -> list[Receipt]:
        async with db.get_sessionmaker()() as session:
            stored = await self._insert(session, batch)
            await db.commit(session)
        receipts: list[Receipt] = []
        seen: set[str] = set()
        for delivery in batch:
            event_id, status = stored[delivery.key]
            # New only for the first of identical bodies, and only if its row is ours.
            duplicate = delivery.key in seen or event_id != delivery.id
            seen.add(delivery.key)
            receipts.append(Receipt(event_id, delivery.label.object, duplicate, status))
        return receipts

    async def _insert(
        self, session: AsyncSession, batch: list[_Delivery]
    ) -> dict[str, tuple[uuid.UUID, WebhookEventStatus]]:
        """Insert the batch's new bodies; returns every body's row (id, status) by key."""
        rows: dict[str, dict[str, Any]] = {}
        for delivery in batch:
            rows.setdefault(
                delivery.key,
                {
                    "id": delivery.id,
                    "dedup_key": delivery.key,
                    "object": delivery.label.object,
                    "channel_keys": delivery.label.channel_keys,
                    "raw_body": delivery.body,
                    "status": WebhookEventStatus.RECEIVED,
                    "received_at": delivery.received_at,
                },
            )
        connection = await session.connection()
        await connection.execute(_INSERT, list(rows.values()))
        found = await connection.execute(
            select(WebhookEvent.dedup_key, WebhookEvent.id, WebhookEvent.status).where(
                WebhookEvent.dedup_key.in_(list(rows))
            )
        )
        return {key: (event_id, status) for key, event_id, status in found}

    async def _enqueue(self, batch: list[_Delivery], receipts: list[Receipt]) -> None:
        """Nudge the webhook worker for each stored delivery still to process. New rows'
        jobs go in one pipeline (their ids are fresh, nothing to collide with); a
        redelivery of a row not yet processed takes arq's checked enqueue, which leaves a
        job already queued or running alone. Failures are logged: the sweeper re-drives
        rows left in `received`."""
        new: list[tuple[str, str, dict[str, str] | None]] = []
        for delivery, receipt in zip(batch, receipts, strict=True):
            if receipt.status is not WebhookEventStatus.RECEIVED:
                continue
            if receipt.duplicate:
                await jobs.send_job(
                    PROCESS_JOB,
                    str(receipt.event_id),
                    job_id=process_job_id(receipt.event_id),
                    queue=jobs.WEBHOOK_QUEUE_NAME,
                )
            else:
                event_id = str(receipt.event_id)
                new.append((event_id, process_job_id(receipt.event_id), delivery.carrier))
        if new:
            await jobs.send_new_jobs(PROCESS_JOB, new, queue=jobs.WEBHOOK_QUEUE_NAME)


def batcher_for(state: Any) -> IngestBatcher:
    """The batcher kept on `state` (the app's), made on first use in this event loop."""
    loop = asyncio.get_running_loop()
    current: tuple[asyncio.AbstractEventLoop, IngestBatcher] | None = getattr(
        state, "webhook_batcher", None
    )
    if current is None or current[0] is not loop:
        current = (loop, IngestBatcher())
        state.webhook_batcher = current
    return current[1]
