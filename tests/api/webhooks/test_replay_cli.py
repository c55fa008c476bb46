"""`python -m api.cli replay-webhooks`: the operator's replay of failed and dead deliveries
across every tenant, run as from a shell (its own event loop, engine and Redis client)
against the test database; the rows it changes are committed, so each test empties the
table before and after."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from api import cli, jobs
from api import db as api_db
from api.config import get_settings
from api.models import WebhookEvent, WebhookEventStatus
from api.webhooks.service import PROCESS_JOB

T = TypeVar("T")
NOW = datetime.now(UTC)


def run(work: Callable[[AsyncSession, ArqRedis], Awaitable[T]]) -> T:
    """Run `work` on a loop of its own, as the CLI does, with a session and Redis."""

    async def main() -> T:
        engine = create_async_engine(get_settings().database.url, poolclass=NullPool)
        redis: ArqRedis = ArqRedis.from_url(get_settings().redis.url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await work(session, redis)
                await session.commit()
                return result
        finally:
            await redis.aclose()
            await engine.dispose()

    return asyncio.run(main())


async def _empty(session: AsyncSession, redis: ArqRedis) -> None:
    await session.execute(text("TRUNCATE webhook_events CASCADE"))
    await redis.flushdb()


@pytest.fixture(autouse=True)
def shell(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI gets an engine and a Redis client made on its own loop (NullPool: no
    connection outlives it), and an empty webhook_events table."""
    database_url, redis_url = get_settings().database.url, get_settings().redis.url

    @lru_cache
    def cli_engine() -> AsyncEngine:
        return create_async_engine(database_url, poolclass=NullPool)

    @lru_cache
    def cli_redis() -> ArqRedis:
        client: ArqRedis = ArqRedis.from_url(redis_url)
        return client

    def cli_sessionmaker() -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(cli_engine(), expire_on_commit=False, autoflush=False)

    monkeypatch.setattr(api_db, "get_sessionmaker", cli_sessionmaker)
    monkeypatch.setattr(cli, "get_engine", cli_engine)
    monkeypatch.setattr(cli, "get_redis", cli_redis)
    monkeypatch.setattr(jobs, "get_redis", cli_redis)
    run(_empty)
    yield
    run(_empty)


def create_events(*specs: tuple[WebhookEventStatus, timedelta]) -> list[uuid.UUID]:
    """Events in `status`, received `age` ago, with what a failure leaves on the row."""

    async def insert(session: AsyncSession, _: ArqRedis) -> list[uuid.UUID]:
        events = [
            WebhookEvent(
                id=uuid.uuid4(),
                dedup_key=uuid.uuid4().hex,
                object="page",
                raw_body=b'{"object": "page", "entry": []}',
                status=status,
                attempts=0 if status is WebhookEventStatus.PROCESSED else 10,
                last_error=None if status is WebhookEventStatus.PROCESSED else "KeyError: 'page'",
                received_at=NOW - age,
                processed_at=NOW - age if status is WebhookEventStatus.PROCESSED else None,
            )
            for status, age in specs
        ]
        session.add_all(events)
        return [event.id for event in events]

    return run(insert)


def rows() -> dict[uuid.UUID, tuple[WebhookEventStatus, int, str | None]]:
    async def read(session: AsyncSession, _: ArqRedis) -> dict[uuid.UUID, Any]:
        result = await session.execute(select(WebhookEvent))
        return {e.id: (e.status, e.attempts, e.last_error) for e in result.scalars()}

    return run(read)


def queued() -> dict[str, tuple[str, tuple[Any, ...]]]:
    """Jobs waiting on the webhook queue: id -> (function, args)."""

    async def read(_: AsyncSession, redis: ArqRedis) -> dict[str, tuple[str, tuple[Any, ...]]]:
        found = {}
        for raw in await redis.zrange(jobs.WEBHOOK_QUEUE_NAME, 0, -1):
            info = await Job(raw.decode(), redis, _queue_name=jobs.WEBHOOK_QUEUE_NAME).info()
            assert info is not None
            found[raw.decode()] = (info.function, info.args)
        return found

    return run(read)


DEAD, FAILED, PROCESSED = (
    WebhookEventStatus.DEAD,
    WebhookEventStatus.FAILED,
    WebhookEventStatus.PROCESSED,
)
RESET = (WebhookEventStatus.RECEIVED, 0, None)


def test_dead_events_are_set_back_to_received_and_enqueued(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, recent, failed, done = create_events(
        (DEAD, timedelta(days=3)),
        (DEAD, timedelta(hours=1)),
        (FAILED, timedelta(hours=1)),
        (PROCESSED, timedelta(hours=1)),
    )

    cli.main(["replay-webhooks"])

    assert "replayed 2 webhook event(s)" in capsys.readouterr().out
    after = rows()
    assert after[old] == after[recent] == RESET
    assert after[failed] == (FAILED, 10, "KeyError: 'page'")
    assert after[done] == (PROCESSED, 0, None)
    # Under the ingest path's (and the sweeper's) job id, on the webhook worker's queue.
    assert queued() == {
        f"webhook:{old}": (PROCESS_JOB, (str(old),)),
        f"webhook:{recent}": (PROCESS_JOB, (str(recent),)),
    }


def test_since_status_and_id_narrow_the_replay(capsys: pytest.CaptureFixture[str]) -> None:
    old, recent, failed, other = create_events(
        (DEAD, timedelta(days=3)),
        (DEAD, timedelta(hours=1)),
        (FAILED, timedelta(hours=2)),
        (DEAD, timedelta(hours=3)),
    )

    cli.main(["replay-webhooks", "--since", "24h", "--status", "failed", "--id", str(failed)])
    assert "replayed 1 webhook event(s)" in capsys.readouterr().out
    assert set(queued()) == {f"webhook:{failed}"}

    since = (NOW - timedelta(hours=2, minutes=30)).replace(tzinfo=None).isoformat()
    cli.main(["replay-webhooks", "--since", since, "--status", "dead", "--status", "failed"])
    assert "replayed 1 webhook event(s)" in capsys.readouterr().out  # `failed` is received now
    after = rows()
    assert after[recent] == after[failed] == RESET
    assert after[old][0] is DEAD and after[other][0] is DEAD


def test_a_dry_run_counts_by_error_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_events((DEAD, timedelta(hours=1)), (DEAD, timedelta(days=2)), (FAILED, timedelta(0)))
    before = rows()

    cli.main(["replay-webhooks", "--dry-run"])

    out = capsys.readouterr().out
    assert "       2  KeyError: 'page'" in out
    assert "would replay 2 webhook event(s)" in out
    assert rows() == before
    assert queued() == {}


def test_a_since_that_is_neither_duration_nor_time_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (dead,) = create_events((DEAD, timedelta(hours=1)))

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["replay-webhooks", "--since", "yesterday"])

    assert exit_info.value.code == 2
    assert "neither a duration" in capsys.readouterr().err
    assert rows()[dead][0] is DEAD
