"""The growing delay after repeated failed sign-ins (per email), and the audit trail of
sign-ins. Lock expiry is simulated by clearing the lock in Redis rather than sleeping."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.lockout import PREFIX
from api.config import SecuritySettings, get_settings
from api.models import AuditLog
from api.security.ratelimit import hashed
from tests.helpers import create_account

PASSWORD = "correct horse battery"
WRONG = "not the password"


@pytest.fixture
def security(monkeypatch: pytest.MonkeyPatch) -> SecuritySettings:
    """Only the lockout under test: the per-IP and per-email rate limits out of the way."""
    settings = get_settings().security
    monkeypatch.setattr(settings, "login_ip_burst", 1000)
    monkeypatch.setattr(settings, "login_email_burst", 1000)
    monkeypatch.setattr(settings, "lockout_threshold", 5)
    monkeypatch.setattr(settings, "lockout_max_seconds", 900)
    return settings


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def end_lock(redis: Any, email: str) -> None:
    """As if the current lock had run out (the failure count stays)."""
    await redis.hdel(f"{PREFIX}:{hashed(email)}", "locked_until")


def locked(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "login_locked"
    return int(response.headers["Retry-After"])


async def test_five_failures_lock_the_email_even_for_the_right_password(
    client: httpx.AsyncClient, security: SecuritySettings, redis: Any
) -> None:
    account = await create_account(client)
    for _ in range(4):
        assert (await sign_in(client, account.email, WRONG)).status_code == 401
    # The fifth failure is still answered (401) and starts the first lock: 2^0 s.
    assert (await sign_in(client, account.email, WRONG)).status_code == 401
    assert locked(await sign_in(client, account.email, PASSWORD)) == 1


async def test_the_lock_doubles_with_each_further_failure_up_to_the_cap(
    client: httpx.AsyncClient, security: SecuritySettings, redis: Any
) -> None:
    account = await create_account(client)
    for _ in range(5):
        await sign_in(client, account.email, WRONG)
    seen = []
    for _ in range(4):
        seen.append(locked(await sign_in(client, account.email, WRONG)))
        await end_lock(redis, account.email)
        assert (await sign_in(client, account.email, WRONG)).status_code == 401
    seen.append(locked(await sign_in(client, account.email, PASSWORD)))
    assert seen == [1, 2, 4, 8, 16]
    # Many failures later the lock stops growing at the cap (15 minutes by default).
    await redis.hset(f"{PREFIX}:{hashed(account.email)}", "count", "40")
    await end_lock(redis, account.email)
    await sign_in(client, account.email, WRONG)
    assert locked(await sign_in(client, account.email, PASSWORD)) == 900


async def test_a_success_resets_the_count(
    client: httpx.AsyncClient, security: SecuritySettings, redis: Any
) -> None:
    account = await create_account(client)
    for _ in range(5):
        await sign_in(client, account.email, WRONG)
    await end_lock(redis, account.email)
    assert (await sign_in(client, account.email, PASSWORD)).status_code == 200
    # Counting starts over: four more failures lock nothing.
    for _ in range(4):
        assert (await sign_in(client, account.email, WRONG)).status_code == 401
    assert (await sign_in(client, account.email, PASSWORD)).status_code == 200


async def test_a_lock_is_per_email(
    client: httpx.AsyncClient, security: SecuritySettings, redis: Any
) -> None:
    attacked = await create_account(client)
    bystander = await create_account(client)
    for _ in range(5):
        await sign_in(client, attacked.email, WRONG)
    locked(await sign_in(client, attacked.email, PASSWORD))
    assert (await sign_in(client, bystander.email, PASSWORD)).status_code == 200


async def test_unknown_and_known_emails_get_the_same_answers(
    client: httpx.AsyncClient, security: SecuritySettings, redis: Any
) -> None:
    """No user enumeration: the same statuses, bodies and Retry-After either way."""
    account = await create_account(client)
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"

    async def run(email: str) -> list[tuple[int, dict[str, object], str | None]]:
        answers = []
        for _ in range(6):
            response = await sign_in(client, email, WRONG)
            answers.append(
                (response.status_code, response.json(), response.headers.get("Retry-After"))
            )
        return answers

    known_answers, unknown_answers = await run(account.email), await run(unknown)
    assert known_answers == unknown_answers
    assert [status for status, _, _ in known_answers] == [401] * 5 + [429]


async def test_sign_ins_failures_and_locks_are_audited_in_the_users_tenant(
    client: httpx.AsyncClient,
    security: SecuritySettings,
    redis: Any,
    session: AsyncSession,
) -> None:
    account = await create_account(client)
    assert (await sign_in(client, account.email, PASSWORD)).status_code == 200
    for _ in range(5):
        await sign_in(client, account.email, WRONG)
    locked(await sign_in(client, account.email, PASSWORD))

    entries = (
        (
            await session.execute(
                select(AuditLog)
                .where(AuditLog.tenant_id == account.tenant_id)
                .order_by(AuditLog.created_at, AuditLog.id)
            )
        )
        .scalars()
        .all()
    )
    actions = [e.action for e in entries]
    assert actions.count("tenant.registered") == 1
    assert actions.count("auth.login_succeeded") == 1
    assert actions.count("auth.login_failed") == 5
    assert actions.count("auth.login_locked") == 1
    succeeded = next(e for e in entries if e.action == "auth.login_succeeded")
    assert succeeded.actor_user_id == account.user_id
    assert succeeded.actor_label == account.email
    failures = [e for e in entries if e.action == "auth.login_failed"]
    assert all(e.target_id == str(account.user_id) for e in failures)
    assert all(e.actor_type == "anonymous" and e.ip for e in failures)
    assert failures[-1].details == {"consecutive_failures": 5, "locked_seconds": 1}
    lock = next(e for e in entries if e.action == "auth.login_locked")
    assert lock.details == {"retry_after": 1}
    # Never a password in an entry.
    assert not any(PASSWORD in str(e.details) or WRONG in str(e.details) for e in entries)


async def test_an_unknown_email_is_logged_without_the_email(
    client: httpx.AsyncClient,
    security: SecuritySettings,
    redis: Any,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    unknown = f"ghost-{uuid.uuid4().hex[:8]}@example.com"
    with caplog.at_level(logging.INFO, logger="api.auth.service"):
        assert (await sign_in(client, unknown, WRONG)).status_code == 401
    lines = [r.getMessage() for r in caplog.records if r.name == "api.auth.service"]
    assert any("auth.login_failed" in line for line in lines)
    assert not any(unknown in line or "ghost" in line for line in lines)
    labels = (await session.execute(select(AuditLog.target_label))).scalars().all()
    assert unknown not in labels


async def test_a_reused_refresh_token_is_audited(
    client: httpx.AsyncClient, security: SecuritySettings, session: AsyncSession
) -> None:
    account = await create_account(client)
    first = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200
    reuse = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert reuse.status_code == 401
    entry = (
        await session.execute(
            select(AuditLog).where(
                AuditLog.tenant_id == account.tenant_id,
                AuditLog.action == "auth.refresh_token_reused",
            )
        )
    ).scalar_one()
    assert entry.target_id == str(account.user_id)
    assert entry.details["family_revoked"] is True
    assert account.refresh_token not in str(entry.details)


async def test_redis_down_means_no_lockout(
    client: httpx.AsyncClient, security: SecuritySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await create_account(client)
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setattr("api.auth.service.get_redis", lambda: unreachable)
    for _ in range(6):
        assert (await sign_in(client, account.email, WRONG)).status_code == 401
    assert (await sign_in(client, account.email, PASSWORD)).status_code == 200
    await unreachable.aclose()
