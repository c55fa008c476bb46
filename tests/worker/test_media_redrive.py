"""The media re-drive (DESIGN invariant 4): an inbound download whose job Redis lost is
enqueued again under the ingest path's job id; one whose tries are used up is marked
`failed` instead of being re-driven forever; every other attachment is left alone."""

from __future__ import annotations

import uuid
from datetime import timedelta
from inspect import unwrap
from typing import Any

import httpx
from arq.jobs import Job
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.inbox.media import GAVE_UP_REASON, MAX_MEDIA_ATTEMPTS
from api.jobs import QUEUE_NAME
from api.models import Attachment, AttachmentState
from tests.event_payloads import published, queued_jobs
from tests.helpers import EventRecorder
from tests.worker.test_media import whatsapp_image
from worker import tasks
from worker.main import WebhookWorkerSettings, WorkerSettings

NOTHING = "requeued 0, failed 0"


async def sibling(session: AsyncSession, of: Attachment, position: int) -> Attachment:
    """Another inbound file on the same message."""
    attachment = Attachment(
        id=uuid.uuid4(),
        tenant_id=of.tenant_id,
        message_id=of.message_id,
        kind="image",
        source_media_id=f"media-{position}",
        position=position,
    )
    session.add(attachment)
    await session.commit()
    return attachment


async def set_state(
    session: AsyncSession,
    attachment: Attachment,
    state: AttachmentState,
    *,
    minutes: float,
    attempts: int = 1,
) -> None:
    """Put the attachment in `state` after `attempts` tries, the last `minutes` ago."""
    await session.execute(
        update(Attachment)
        .where(Attachment.id == attachment.id)
        .values(state=state, attempts=attempts, updated_at=func.now() - timedelta(minutes=minutes))
    )
    await session.commit()


async def reloaded(session: AsyncSession, attachment: Attachment) -> Attachment:
    row = await session.get(Attachment, attachment.id, populate_existing=True)
    assert row is not None
    return row


async def media_jobs(redis: Any) -> list[str]:
    return sorted(j for j in await queued_jobs(redis, QUEUE_NAME) if j.startswith("media:"))


async def test_a_pending_download_whose_job_was_lost_is_enqueued_again_once(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    _, _, lost = await whatsapp_image(client, session)
    fresh, stored, failed = [await sibling(session, lost, n) for n in (1, 2, 3)]
    await set_state(session, lost, AttachmentState.PENDING, minutes=6)
    await set_state(session, fresh, AttachmentState.PENDING, minutes=2)
    await set_state(session, stored, AttachmentState.STORED, minutes=60)
    await set_state(session, failed, AttachmentState.FAILED, minutes=60, attempts=2)
    await redis.flushdb()  # Redis restarted: the ingest path's jobs are gone

    assert await tasks.redrive_media({}) == "requeued 1, failed 0"

    assert await media_jobs(redis) == [f"media:{lost.id}"]
    info = await Job(f"media:{lost.id}", redis, _queue_name=QUEUE_NAME).info()
    assert info is not None
    assert (info.function, info.args) == ("media.fetch", (str(lost.id),))
    # Run again before the job ran: the same id, so arq keeps the one job it has.
    assert await tasks.redrive_media({}) == "requeued 1, failed 0"
    assert await media_jobs(redis) == [f"media:{lost.id}"]
    for attachment, state in ((fresh, "pending"), (stored, "stored"), (failed, "failed")):
        assert (await reloaded(session, attachment)).state == state


async def test_a_download_whose_job_is_still_queued_gets_no_second_job(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    _, _, waiting = await whatsapp_image(client, session)
    await set_state(session, waiting, AttachmentState.PENDING, minutes=6)  # a long backlog
    before = await redis.zrange(QUEUE_NAME, 0, -1, withscores=True)
    assert f"media:{waiting.id}".encode() in dict(before)  # the ingest path's own job

    await tasks.redrive_media({})

    assert await redis.zrange(QUEUE_NAME, 0, -1, withscores=True) == before


async def test_a_download_out_of_tries_is_failed_not_redriven(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any, events: EventRecorder
) -> None:
    _, _, exhausted = await whatsapp_image(client, session)
    running = await sibling(session, exhausted, 1)
    await set_state(
        session, exhausted, AttachmentState.PENDING, minutes=11, attempts=MAX_MEDIA_ATTEMPTS
    )
    # Its last try may still be running (a job's timeout is 5 minutes): not given up yet.
    await set_state(
        session, running, AttachmentState.PENDING, minutes=6, attempts=MAX_MEDIA_ATTEMPTS
    )
    await redis.flushdb()

    assert await tasks.redrive_media({}) == "requeued 0, failed 1"

    assert await media_jobs(redis) == []
    row = await reloaded(session, exhausted)
    assert (row.state, row.error) == (AttachmentState.FAILED, GAVE_UP_REASON)
    assert (await reloaded(session, running)).state is AttachmentState.PENDING
    (payload,) = published(events, "message:updated")
    files = {a["id"]: a for a in payload["message"]["attachments"]}
    assert files[str(exhausted.id)]["state"] == "failed"
    assert await tasks.redrive_media({}) == NOTHING


def test_the_media_redrive_runs_every_five_minutes_on_the_main_worker_only() -> None:
    (job,) = [c for c in WorkerSettings.cron_jobs if unwrap(c.coroutine) is tasks.redrive_media]
    assert job.minute == set(range(0, 60, 5)) and job.hour is None
    assert job.unique and job.run_at_startup
    webhook_crons = [unwrap(c.coroutine) for c in WebhookWorkerSettings.cron_jobs]
    assert tasks.redrive_media not in webhook_crons
