from __future__ import annotations

import httpx
import pytest


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_checks_postgres_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_down(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arq.connections import ArqRedis

    dead = ArqRedis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr("api.health.get_redis", lambda: dead)
    response = await client.get("/api/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "unavailable"
    assert response.json()["error"] == "not_ready"


async def test_unknown_routes_use_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}


async def test_an_unexpected_error_is_500_without_a_trace(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals /srv/app/file.py line 12")

    monkeypatch.setattr("api.auth.service.AuthService.login", broken)
    response = await client.post(
        "/api/auth/login", json={"email": "a@example.com", "password": "whatever"}
    )
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "detail": "Something went wrong on our side.",
    }
    assert "secret internals" not in response.text
