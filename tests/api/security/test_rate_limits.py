"""Rate limits (GCRA buckets in Redis): sign-in, registration and refresh per client IP,
sign-in per email, and every authenticated call per user and per API key. A refused
request gets 429, `{"error": "rate_limited"}` and an integer `Retry-After`. Limits are
made small here so each test needs only a few requests."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from redis.asyncio import Redis

from api.config import SecuritySettings, get_settings
from api.main import create_app
from tests.helpers import create_account

PASSWORD = "correct horse battery"
ClientAt = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def security(monkeypatch: pytest.MonkeyPatch) -> SecuritySettings:
    """The live settings object: a test sets the limits it exercises."""
    settings = get_settings().security
    for name in SecuritySettings.model_fields:
        monkeypatch.setattr(settings, name, getattr(settings, name))  # restored afterwards
    return settings


@pytest.fixture
def client_at(client: httpx.AsyncClient) -> ClientAt:
    """A client calling from a given IP address (the ASGI scope's client)."""

    @asynccontextmanager
    async def open_client(ip: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=create_app(), client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as c:
            yield c

    return open_client


def assert_rate_limited(response: httpx.Response, *, within: int) -> int:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "rate_limited"
    assert body["detail"]
    retry_after = int(response.headers["Retry-After"])  # an integer number of seconds
    assert 1 <= retry_after <= within
    assert body["retry_after"] == retry_after
    return retry_after


def login_body(email: str | None = None) -> dict[str, str]:
    return {"email": email or f"{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}


async def test_sign_in_is_limited_per_client_ip(
    security: SecuritySettings, client_at: ClientAt
) -> None:
    security.login_ip_per_minute, security.login_ip_burst = 1, 3
    async with client_at("203.0.113.7") as first, client_at("198.51.100.9") as second:
        answers = [(await first.post("/api/auth/login", json=login_body())) for _ in range(3)]
        assert [a.status_code for a in answers] == [401, 401, 401]
        refused = await first.post("/api/auth/login", json=login_body())
        # One request per minute sustained: the next one is a minute away.
        assert assert_rate_limited(refused, within=60) >= 59
        # Another address has its own bucket.
        other = await second.post("/api/auth/login", json=login_body())
        assert other.status_code == 401


async def test_sign_in_is_limited_per_email_from_any_address(
    security: SecuritySettings, client_at: ClientAt, client: httpx.AsyncClient
) -> None:
    security.login_email_per_minute, security.login_email_burst = 1, 2
    account = await create_account(client)
    body = {"email": account.email, "password": PASSWORD}
    async with client_at("203.0.113.1") as one, client_at("203.0.113.2") as two:
        assert (await one.post("/api/auth/login", json=body)).status_code == 200
        assert (await two.post("/api/auth/login", json=body)).status_code == 200
        assert_rate_limited(await one.post("/api/auth/login", json=body), within=60)
        # Case does not make it another email.
        upper = {**body, "email": account.email.upper()}
        assert_rate_limited(await two.post("/api/auth/login", json=upper), within=60)
        assert (await two.post("/api/auth/login", json=login_body())).status_code == 401


async def test_registration_is_limited_per_client_ip(
    security: SecuritySettings, client_at: ClientAt
) -> None:
    security.register_ip_per_hour, security.register_ip_burst = 10, 2

    def body() -> dict[str, str]:
        return {**login_body(), "tenant_name": "Signup Co"}

    async with client_at("203.0.113.20") as c:
        assert (await c.post("/api/auth/register", json=body())).status_code == 201
        assert (await c.post("/api/auth/register", json=body())).status_code == 201
        refused = await c.post("/api/auth/register", json=body())
        # 10 an hour: one every 6 minutes.
        assert assert_rate_limited(refused, within=360) > 300


async def test_token_refresh_is_limited_per_client_ip(
    security: SecuritySettings, client_at: ClientAt
) -> None:
    security.refresh_ip_per_minute, security.refresh_ip_burst = 2, 2
    async with client_at("203.0.113.30") as c:
        for _ in range(2):
            answer = await c.post("/api/auth/refresh", json={"refresh_token": "made-up"})
            assert answer.status_code == 401
        refused = await c.post("/api/auth/refresh", json={"refresh_token": "made-up"})
        assert_rate_limited(refused, within=30)


async def test_invitation_links_are_limited_per_client_ip(
    security: SecuritySettings, client_at: ClientAt
) -> None:
    """Looking up and accepting share one bucket: guessing tokens is what it stops."""
    security.invitation_ip_per_minute, security.invitation_ip_burst = 1, 2
    async with client_at("203.0.113.40") as c:
        assert (await c.get("/api/invitations/guess-1")).status_code == 404
        accept = await c.post(
            "/api/invitations/guess-2/accept", json={"name": "Eve", "password": PASSWORD}
        )
        assert accept.status_code == 404
        assert_rate_limited(await c.get("/api/invitations/guess-3"), within=60)


async def test_every_authenticated_call_counts_per_user(
    security: SecuritySettings, client: httpx.AsyncClient, redis: Redis
) -> None:
    busy = await create_account(client, "Busy Co")
    calm = await create_account(client, "Calm Co")
    security.api_per_minute, security.api_burst = 60, 3
    await redis.flushdb()  # forget the sign-up calls
    for _ in range(3):
        assert (await client.get("/api/auth/me", headers=busy.headers)).status_code == 200
    refused = await client.get("/api/auth/me", headers=busy.headers)
    assert assert_rate_limited(refused, within=1) == 1  # 60/min: the next in a second
    assert (await client.get("/api/channels", headers=busy.headers)).status_code == 429
    # Another user is not slowed down by this one.
    assert (await client.get("/api/auth/me", headers=calm.headers)).status_code == 200


async def test_an_api_key_has_its_own_bucket(
    security: SecuritySettings, client: httpx.AsyncClient, redis: Redis
) -> None:
    owner = await create_account(client)
    created = await client.post(
        "/api/api-keys", json={"name": "sync", "role": "viewer"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    key = {"Authorization": f"Bearer {created.json()['secret']}"}
    security.api_per_minute, security.api_burst = 60, 2
    await redis.flushdb()
    assert (await client.get("/api/channels", headers=key)).status_code == 200
    assert (await client.get("/api/channels", headers=key)).status_code == 200
    assert_rate_limited(await client.get("/api/channels", headers=key), within=1)
    # The key's owner signs in with a token: a different bucket.
    assert (await client.get("/api/channels", headers=owner.headers)).status_code == 200


async def test_the_bucket_refills_at_the_sustained_rate(
    security: SecuritySettings, client_at: ClientAt, redis: Redis
) -> None:
    """Once the wait has passed, one more request is allowed (and only one)."""
    security.login_ip_per_minute, security.login_ip_burst = 60, 1
    async with client_at("203.0.113.50") as c:
        assert (await c.post("/api/auth/login", json=login_body())).status_code == 401
        assert (await c.post("/api/auth/login", json=login_body())).status_code == 429
        # Move the bucket's clock back a second instead of sleeping: as if it had passed.
        key = "parley:ratelimit:login_ip:203.0.113.50"
        tat = int(await redis.get(key))
        await redis.set(key, tat - 1000, px=60_000)
        assert (await c.post("/api/auth/login", json=login_body())).status_code == 401
        assert (await c.post("/api/auth/login", json=login_body())).status_code == 429


async def test_limits_are_off_with_the_switch(
    security: SecuritySettings, client_at: ClientAt
) -> None:
    security.login_ip_per_minute, security.login_ip_burst = 1, 1
    security.rate_limits_enabled = False
    async with client_at("203.0.113.60") as c:
        codes = {(await c.post("/api/auth/login", json=login_body())).status_code for _ in range(4)}
    assert codes == {401}


async def test_redis_down_lets_requests_through_with_a_warning(
    security: SecuritySettings,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Availability beats throttling: no Redis, no limits (and no lockout), but a warning."""
    account = await create_account(client)
    security.api_burst = security.login_ip_burst = security.login_email_burst = 1
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setattr("api.security.ratelimit.get_redis", lambda: unreachable)
    monkeypatch.setattr("api.auth.service.get_redis", lambda: unreachable)
    monkeypatch.setattr("api.security.ratelimit._last_warning", 0.0)
    with caplog.at_level(logging.WARNING, logger="api.security.ratelimit"):
        for _ in range(3):
            me = await client.get("/api/auth/me", headers=account.headers)
            assert me.status_code == 200
            login = await client.post(
                "/api/auth/login", json={"email": account.email, "password": PASSWORD}
            )
            assert login.status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all("Redis is unavailable" in w for w in warnings)
    # Throttled: one outage does not log a line per request.
    assert len(warnings) == 1
    await unreachable.aclose()


async def test_a_failing_limit_script_is_logged_as_an_error_and_lets_requests_through(
    security: SecuritySettings,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis answering with an error is a bug (or Redis out of memory), not an outage: the
    request still goes through, but the log says error, not warning."""
    account = await create_account(client)
    monkeypatch.setattr("api.security.ratelimit.ACQUIRE", "return redis.call('NO_SUCH_COMMAND')")
    monkeypatch.setattr("api.security.ratelimit._last_warning", 0.0)
    with caplog.at_level(logging.WARNING, logger="api.security.ratelimit"):
        assert (await client.get("/api/auth/me", headers=account.headers)).status_code == 200
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert "Redis answered an error" in caplog.records[0].getMessage()
