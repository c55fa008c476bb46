"""The delivery job's name and id, and enqueueing it (after commit, or now)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs

DELIVER_JOB = "outgoing.deliver"
SWEEP_JOB = "outgoing.sweep"
PRUNE_JOB = "outgoing.prune"


def deliver_job_id(delivery_id: uuid.UUID) -> str:
    """One arq job per delivery: a re-drive of a delivery whose job is alive collapses."""
    return f"outgoing:{delivery_id}"


async def enqueue_delivery(delivery_id: uuid.UUID) -> bool:
    return await jobs.send_job(DELIVER_JOB, str(delivery_id), job_id=deliver_job_id(delivery_id))


def enqueue_delivery_after_commit(session: AsyncSession, delivery_id: uuid.UUID) -> None:
    jobs.enqueue_job(session, DELIVER_JOB, str(delivery_id), job_id=deliver_job_id(delivery_id))
