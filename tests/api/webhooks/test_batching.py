"""Group commit at ingest: deliveries that arrive together share one commit, and each is
still acknowledged only once its own row is committed and its job enqueued."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from arq.jobs import Job, JobStatus
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import db
from api.jobs import WEBHOOK_QUEUE_NAME
from api.models import WebhookEvent, WebhookEventStatus
from api.webhooks.service import PROCESS_JOB, dedup_key
from tests.helpers import messenger_text_payload, signed

URL = "/api/webhooks/meta"

pytestmark = pytest.mark.committing


def _deliveries(n: int) -> list[tuple[bytes, dict[str, str]]]:
    return [signed(messenger_text_payload("1001", f"2{i:03d}", f"hello {i}")) for i in range(n)]


def _count_commits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    commits: list[int] = []
    real = db.commit

    async def counting(session: AsyncSession) -> None:
        commits.append(1)
        await real(session)

    monkeypatch.setattr(db, "commit", counting)
    return commits


async def _rows(session: AsyncSession) -> dict[str, WebhookEvent]:
    events = (await session.execute(select(WebhookEvent))).scalars().all()
    return {event.dedup_key: event for event in events}


async def test_concurrent_deliveries_share_commits_and_each_gets_its_row_and_job(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commits = _count_commits(monkeypatch)
    deliveries = _deliveries(40)
    responses = await asyncio.gather(
        *(client.post(URL, content=body, headers=headers) for body, headers in deliveries)
    )
    assert [r.status_code for r in responses] == [200] * 40
    assert all(r.json() == {"status": "received"} for r in responses)

    rows = await _rows(session)
    assert set(rows) == {dedup_key(body) for body, _ in deliveries}
    assert all(row.status is WebhookEventStatus.RECEIVED for row in rows.values())
    assert {rows[dedup_key(body)].raw_body for body, _ in deliveries} == {b for b, _ in deliveries}
    # Fewer commits than deliveries: the ones that arrived during a commit shared the next.
    assert 1 <= len(commits) < 40

    queued = {key.decode() for key in await redis.zrange(WEBHOOK_QUEUE_NAME, 0, -1)}
    assert queued == {f"webhook:{row.id}" for row in rows.values()}
    # Each job is what arq's own enqueue would have stored: the worker can run it.
    for row in rows.values():
        job = Job(f"webhook:{row.id}", redis, _queue_name=WEBHOOK_QUEUE_NAME)
        assert await job.status() is JobStatus.queued
        info = await job.info()
        assert info is not None
        assert (info.function, info.args, info.kwargs) == (PROCESS_JOB, (str(row.id),), {})


async def test_identical_bodies_in_one_batch_are_one_row_and_one_job(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    body, headers = signed(messenger_text_payload("1001", "2001", "twice"))
    other, other_headers = signed(messenger_text_payload("1001", "2002", "once"))
    responses = await asyncio.gather(
        client.post(URL, content=body, headers=headers),
        client.post(URL, content=body, headers=headers),
        client.post(URL, content=other, headers=other_headers),
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    rows = await _rows(session)
    assert set(rows) == {dedup_key(body), dedup_key(other)}
    assert await redis.zcard(WEBHOOK_QUEUE_NAME) == 2


async def test_a_redelivery_of_a_row_not_yet_processed_does_not_queue_it_twice(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    body, headers = signed(messenger_text_payload("1001", "2001", "again"))
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    event = (await session.execute(select(WebhookEvent))).scalar_one()
    queued = [key.decode() for key in await redis.zrange(WEBHOOK_QUEUE_NAME, 0, -1)]
    assert queued == [f"webhook:{event.id}"]


async def test_a_redelivery_after_redis_lost_the_job_queues_it_again(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    body, headers = signed(messenger_text_payload("1001", "2001", "lost"))
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    await redis.flushdb()  # Redis restarted empty before the worker ran it
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    event = (await session.execute(select(WebhookEvent))).scalar_one()
    queued = [key.decode() for key in await redis.zrange(WEBHOOK_QUEUE_NAME, 0, -1)]
    assert queued == [f"webhook:{event.id}"]


async def test_a_failed_commit_fails_its_whole_batch_and_the_next_batch_is_stored(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.exc import OperationalError

    real = db.commit
    failing = True

    async def commit(session: AsyncSession) -> None:
        if failing:
            await session.rollback()
            raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))
        await real(session)

    monkeypatch.setattr(db, "commit", commit)
    first = _deliveries(10)
    responses = await asyncio.gather(
        *(client.post(URL, content=body, headers=headers) for body, headers in first)
    )
    assert {r.status_code for r in responses} == {503}
    assert {r.json()["error"] for r in responses} == {"database_unavailable"}
    assert await _rows(session) == {}
    assert await redis.zcard(WEBHOOK_QUEUE_NAME) == 0

    failing = False  # Meta delivers them again
    responses = await asyncio.gather(
        *(client.post(URL, content=body, headers=headers) for body, headers in first)
    )
    assert {r.status_code for r in responses} == {200}
    assert len(await _rows(session)) == 10
    assert await redis.zcard(WEBHOOK_QUEUE_NAME) == 10


async def test_a_client_that_goes_away_leaves_its_delivery_to_the_batch(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    """A request cancelled while its batch commits: the row is stored and enqueued anyway
    (Meta will deliver it again and the duplicate is recognised)."""
    from api.main import create_app
    from api.webhooks.batching import batcher_for
    from api.webhooks.service import label_of

    app = create_app()
    batcher = batcher_for(app.state)
    body, _ = signed(messenger_text_payload("1001", "2001", "gone"))
    waiting = asyncio.create_task(batcher.store(body, label_of(body)))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    for _ in range(100):
        if await redis.zcard(WEBHOOK_QUEUE_NAME):
            break
        await asyncio.sleep(0.02)
    assert set(await _rows(session)) == {dedup_key(body)}
    assert await redis.zcard(WEBHOOK_QUEUE_NAME) == 1


async def test_a_sender_that_hangs_up_mid_body_is_not_logged_as_our_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from api.main import create_app

    app = create_app()
    body, headers = signed(messenger_text_payload("1001", "2001", "cut"))
    scope = {
        "type": "http",
        "method": "POST",
        "path": URL,
        "raw_path": URL.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("parley.test", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    messages = iter([{"type": "http.request", "body": body[:10], "more_body": True}])

    async def receive() -> dict[str, Any]:
        return next(messages, {"type": "http.disconnect"})

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_no_batcher_task_outlives_its_work(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    """The runner ends once no delivery waits: nothing is left pending when the app or
    its event loop closes (asyncio logs a destroyed pending task as an error)."""
    deliveries = _deliveries(5)
    await asyncio.gather(
        *(client.post(URL, content=body, headers=headers) for body, headers in deliveries)
    )
    await asyncio.sleep(0)
    running = [t for t in asyncio.all_tasks() if t.get_name() == "webhook-ingest-batcher"]
    assert running == []
    # And a later delivery starts a new one.
    body, headers = signed(messenger_text_payload("1001", "2999", "later"))
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    assert len(await _rows(session)) == 6
