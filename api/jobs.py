"""Enqueue background jobs after commit.

`enqueue_job` only buffers on the session; the buffer goes to arq once the unit of work
has committed, so rolled-back work enqueues nothing and a job never runs before the rows
it names exist. Jobs carry ids, never objects, and every job's state also lives in a
Postgres row that a sweeper can re-drive if Redis loses it.
"""

from __future__ import annotations

import logging
from typing import Any

from arq.constants import job_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import after_commit
from api.observability import tracing
from api.redis import get_redis

logger = logging.getLogger(__name__)

QUEUE_NAME = "parley:queue"
# Webhook processing has its own queue and worker, so bulk work (sends, media, imports)
# can never starve the processing of customers' messages.
WEBHOOK_QUEUE_NAME = "parley:webhooks"
# The keyword a job's trace context travels in when tracing is on (worker.instrument pops it).
TRACE_KWARG = "otel_context"


async def send_job(
    name: str, *args: Any, job_id: str | None = None, queue: str = QUEUE_NAME
) -> bool:
    """Put a job on the queue now. Returns False (and logs) when Redis is unreachable."""
    carrier = tracing.inject()
    extra: dict[str, Any] = {TRACE_KWARG: carrier} if carrier else {}
    try:
        await get_redis().enqueue_job(name, *args, _job_id=job_id, _queue_name=queue, **extra)
    except Exception as exc:
        logger.warning("could not enqueue %s (%s); a sweeper will re-drive it", name, exc)
        return False
    return True


async def send_new_jobs(
    name: str, jobs: list[tuple[str, str, dict[str, str] | None]], *, queue: str = QUEUE_NAME
) -> bool:
    """Put many jobs `name(arg)` on the queue in one Redis round trip, as arq's own
    enqueue would store them. `jobs` holds (arg, job id, trace carrier) for job ids that
    cannot exist yet (made from rows this process just inserted): arq's existence check,
    three round trips per job, is skipped. Returns False (and logs) when Redis is
    unreachable."""
    redis = get_redis()
    now = timestamp_ms()
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for arg, job_id, carrier in jobs:
                kwargs: dict[str, Any] = {TRACE_KWARG: carrier} if carrier else {}
                payload = serialize_job(
                    name, (arg,), kwargs, None, now, serializer=redis.job_serializer
                )
                pipe.psetex(job_key_prefix + job_id, redis.expires_extra_ms, payload)
            pipe.zadd(queue, {job_id: now for _, job_id, _ in jobs})
            await pipe.execute()
    except Exception as exc:
        logger.warning(
            "could not enqueue %d %s (%s); a sweeper will re-drive them", len(jobs), name, exc
        )
        return False
    return True


def enqueue_job(
    session: AsyncSession, name: str, *args: Any, job_id: str | None = None, queue: str = QUEUE_NAME
) -> None:
    """Enqueue `name(*args)` once `session` commits. `job_id` collapses duplicates."""

    async def _send() -> None:
        await send_job(name, *args, job_id=job_id, queue=queue)

    after_commit(session, _send)
