"""The gateway's liveness and readiness: `/realtime/readyz` answers 200 only when
PostgreSQL (sockets are authenticated against it) and Redis (every event goes through it)
answer, else 503 naming the failing one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from realtime.main import create_app


@pytest.fixture
async def gateway_http(engine: object, redis: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://realtime.test") as http:
        yield http


async def test_healthz(gateway_http: httpx.AsyncClient) -> None:
    response = await gateway_http.get("/realtime/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_checks_postgres_and_redis(gateway_http: httpx.AsyncClient) -> None:
    response = await gateway_http.get("/realtime/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_readyz_is_503_when_redis_is_down(
    gateway_http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arq.connections import ArqRedis

    dead = ArqRedis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr("api.health.get_redis", lambda: dead)
    response = await gateway_http.get("/realtime/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"postgres": "ok", "redis": "unavailable"}
    assert body["error"] == "not_ready" and body["detail"] == "Not ready: redis."


async def test_readyz_is_503_when_postgres_is_down(
    gateway_http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/parley")
    monkeypatch.setattr("api.health.get_engine", lambda: dead)
    try:
        response = await gateway_http.get("/realtime/readyz")
    finally:
        await dead.dispose()
    assert response.status_code == 503
    assert response.json()["checks"] == {"postgres": "unavailable", "redis": "ok"}
