"""Each arq worker's own HTTP server: liveness, readiness against the real PostgreSQL and
Redis, and Prometheus metrics with the queue depth read at scrape time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from arq.connections import ArqRedis
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from api.config import get_settings
from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.redis import get_redis
from worker import http as worker_http
from worker.http import WorkerHTTPServer
from worker.main import WebhookWorkerSettings, WorkerSettings

Start = Callable[..., Awaitable[str]]


@pytest.fixture
async def serve(redis: object) -> AsyncIterator[Start]:
    """`await serve(token=...)`: a worker HTTP server on a free loopback port; its URL."""
    servers: list[WorkerHTTPServer] = []

    async def start(token: str = "") -> str:
        server = WorkerHTTPServer(host="127.0.0.1", port=0, token=SecretStr(token))
        await server.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
def redis_elsewhere(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """REDIS_URL points at a port where nothing listens."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    get_redis.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    get_redis.cache_clear()


async def get(url: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, headers=headers)


async def test_healthz_answers_while_the_loop_runs(serve: Start) -> None:
    response = await get(f"{await serve()}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["connection"] == "close"


async def test_readyz_is_ok_when_postgres_and_redis_answer(serve: Start, engine: object) -> None:
    response = await get(f"{await serve()}/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_unreachable(
    serve: Start, engine: object, redis_elsewhere: None
) -> None:
    response = await get(f"{await serve()}/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"postgres": "ok", "redis": "unavailable"}
    assert body["error"] == "not_ready"


async def test_metrics_show_the_queue_depth_at_scrape_time(serve: Start, redis: ArqRedis) -> None:
    url = await serve()
    for n in range(2):
        await redis.enqueue_job("webhooks.process_event", str(n), _queue_name=WEBHOOK_QUEUE_NAME)

    def depths(text: str) -> dict[str, float]:
        families = {f.name: f for f in text_string_to_metric_families(text)}
        return {s.labels["queue"]: s.value for s in families["parley_queue_depth"].samples}

    first = await get(f"{url}/metrics")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/plain; version=")
    assert depths(first.text) == {QUEUE_NAME: 0, WEBHOOK_QUEUE_NAME: 2}
    await redis.enqueue_job("inbox.send_message", "m", _queue_name=QUEUE_NAME)
    assert depths((await get(f"{url}/metrics")).text) == {QUEUE_NAME: 1, WEBHOOK_QUEUE_NAME: 2}


async def test_metrics_need_the_token_when_one_is_set(serve: Start) -> None:
    url = await serve(token="scrape-me")
    assert (await get(f"{url}/metrics")).status_code == 401
    assert (await get(f"{url}/metrics", Authorization="Bearer wrong")).status_code == 401
    right = await get(f"{url}/metrics", Authorization="Bearer scrape-me")
    assert right.status_code == 200 and "parley_job_duration_seconds" in right.text
    # Probes stay open: orchestrators do not carry the token.
    assert (await get(f"{url}/healthz")).status_code == 200


async def test_unknown_paths_methods_and_garbage_are_refused(serve: Start) -> None:
    url = await serve()
    assert (await get(f"{url}/nope")).status_code == 404
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{url}/metrics")).status_code == 405
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"NONSENSE\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")


async def test_each_worker_kind_serves_on_its_own_port(
    monkeypatch: pytest.MonkeyPatch, redis: object
) -> None:
    ports = {}
    for setting in ("WORKER_HTTP_PORT", "WEBHOOK_WORKER_HTTP_PORT"):
        probe = await asyncio.start_server(lambda *_: None, "127.0.0.1", 0)
        ports[setting] = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        monkeypatch.setenv(setting, str(ports[setting]))
    get_settings.cache_clear()
    arq_logger = logging.getLogger("arq")
    propagate = arq_logger.propagate
    try:
        for settings, setting in (
            (WorkerSettings, "WORKER_HTTP_PORT"),
            (WebhookWorkerSettings, "WEBHOOK_WORKER_HTTP_PORT"),
        ):
            ctx: dict[str, Any] = {}
            await settings.on_startup(ctx)  # the settings class's own hook, as arq calls it
            try:
                answer = await get(f"http://127.0.0.1:{ports[setting]}/healthz")
                assert answer.status_code == 200
            finally:
                await worker_http.stop(ctx)
            assert worker_http.CTX_KEY not in ctx
    finally:
        arq_logger.propagate = propagate
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_port_zero_turns_the_server_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WORKER_HTTP_PORT", "0")
    get_settings.cache_clear()
    ctx: dict[str, Any] = {}

    async def startup(_: dict[str, Any]) -> None:
        return None

    try:
        await worker_http.serving(startup, port=lambda s: s.workers.http_port)(ctx)
        assert worker_http.CTX_KEY not in ctx
        await worker_http.stop(ctx)  # harmless without a server
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_a_port_already_taken_leaves_the_worker_running_without_a_server(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    taken = await asyncio.start_server(lambda *_: None, "127.0.0.1", 0)
    monkeypatch.setenv("WORKER_HTTP_PORT", str(taken.sockets[0].getsockname()[1]))
    get_settings.cache_clear()
    ctx: dict[str, Any] = {}
    started: list[bool] = []

    async def startup(_: dict[str, Any]) -> None:
        started.append(True)

    try:
        with caplog.at_level(logging.ERROR, logger="worker.http"):
            await worker_http.serving(startup, port=lambda s: s.workers.http_port)(ctx)
    finally:
        taken.close()
        monkeypatch.undo()
        get_settings.cache_clear()
    assert started == [True]
    assert worker_http.CTX_KEY not in ctx
    assert "cannot listen" in caplog.text and "WORKER_HTTP_PORT" in caplog.text
