"""Job metrics: every arq function runs inside `worker.instrument`, which times its wait
in the queue and its run by outcome; the queue depth is read from Redis at scrape time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq import Retry
from arq.connections import ArqRedis
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.observability import metrics
from tests.api.observability.test_metrics import sample
from worker.instrument import instrumented

FUNCTION = "tests.metrics_job"


def runs(result: str, queue: str = QUEUE_NAME) -> float:
    return sample(
        "parley_job_duration_seconds_count", queue=queue, function=FUNCTION, result=result
    )


def waits(queue: str = QUEUE_NAME) -> tuple[float, float]:
    labels = {"queue": queue, "function": FUNCTION}
    return (
        sample("parley_job_queue_latency_seconds_count", **labels),
        sample("parley_job_queue_latency_seconds_sum", **labels),
    )


def ctx(enqueued_ago: float, due_ago: float | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "job_id": "j1",
        "job_try": 1,
        "enqueue_time": now - timedelta(seconds=enqueued_ago),
    }
    if due_ago is not None:
        context["score"] = int((now - timedelta(seconds=due_ago)).timestamp() * 1000)
    return context


async def test_a_job_run_records_its_wait_and_its_duration() -> None:
    async def task(_: dict[str, Any], value: int) -> int:
        await asyncio.sleep(0.05)
        return value * 2

    ok, (count, total) = runs("ok"), waits()
    duration_sum = sample(
        "parley_job_duration_seconds_sum", queue=QUEUE_NAME, function=FUNCTION, result="ok"
    )
    assert await instrumented(task, name=FUNCTION, queue=QUEUE_NAME)(ctx(3.0), 21) == 42

    assert runs("ok") == ok + 1
    new_count, new_total = waits()
    assert new_count == count + 1
    assert 2.9 <= new_total - total <= 10  # enqueued three seconds ago
    spent = (
        sample("parley_job_duration_seconds_sum", queue=QUEUE_NAME, function=FUNCTION, result="ok")
        - duration_sum
    )
    assert 0.04 <= spent <= 5


async def test_a_retried_job_waits_from_its_due_time_not_its_first_enqueue() -> None:
    async def task(_: dict[str, Any]) -> None:
        return None

    _, total = waits(WEBHOOK_QUEUE_NAME)
    # Enqueued an hour ago, deferred by a retry until half a second ago.
    await instrumented(task, name=FUNCTION, queue=WEBHOOK_QUEUE_NAME)(ctx(3600, due_ago=0.5))
    _, new_total = waits(WEBHOOK_QUEUE_NAME)
    assert 0.4 <= new_total - total <= 60


@pytest.mark.parametrize(
    ("error", "result"),
    [
        (RuntimeError("boom"), "error"),
        (Retry(defer=5), "retry"),
        (asyncio.CancelledError(), "cancelled"),
    ],
)
async def test_a_job_run_records_its_outcome(error: BaseException, result: str) -> None:
    async def task(_: dict[str, Any]) -> None:
        raise error

    before, ok = runs(result), runs("ok")
    with pytest.raises(type(error)):
        await instrumented(task, name=FUNCTION, queue=QUEUE_NAME)(ctx(0.1))
    assert runs(result) == before + 1
    assert runs("ok") == ok


async def test_queue_depth_reflects_the_jobs_waiting_in_redis(redis: ArqRedis) -> None:
    for n in range(3):
        await redis.enqueue_job("inbox.send_message", str(n), _queue_name=QUEUE_NAME)
    await redis.enqueue_job("webhooks.process_event", "e", _queue_name=WEBHOOK_QUEUE_NAME)
    # A deferred job is waiting too.
    await redis.enqueue_job("inbox.send_message", "later", _queue_name=QUEUE_NAME, _defer_by=60)

    await metrics.QUEUE_DEPTH.refresh(redis, [QUEUE_NAME, WEBHOOK_QUEUE_NAME])

    assert sample("parley_queue_depth", queue=QUEUE_NAME) == 4
    assert sample("parley_queue_depth", queue=WEBHOOK_QUEUE_NAME) == 1
    families = {f.name: f for f in text_string_to_metric_families(metrics.exposition().decode())}
    assert families["parley_queue_depth"].type == "gauge"


async def test_queue_depth_is_left_out_when_redis_does_not_answer_in_time() -> None:
    """A peer that accepts connections and never answers: the scrape must not wait."""

    async def silent(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client hangs up

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stuck = Redis.from_url(f"redis://127.0.0.1:{port}/0")
    metrics.QUEUE_DEPTH.depths = {QUEUE_NAME: 7}  # what an earlier scrape found
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await metrics.QUEUE_DEPTH.refresh(stuck, [QUEUE_NAME], seconds=0.3)
    finally:
        await stuck.aclose()
        server.close()
    assert loop.time() - started < 2
    assert sample("parley_queue_depth", queue=QUEUE_NAME) == 0.0  # left out, not stale
    assert list(metrics.QUEUE_DEPTH.collect()) == []
