from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from jose import jwt

from tests.helpers import create_account

PASSWORD = "correct horse battery"


async def test_register_creates_tenant_and_owner_and_signs_in(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": "Ada@Example.com", "password": PASSWORD, "tenant_name": "  Ada's Bakery "},
    )
    assert response.status_code == 201
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["role"] == "owner"
    assert me.json()["tenant"]["name"] == "Ada's Bakery"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "tenant_name": "X"}, "email"),
        ({"email": "a@example.com", "password": "short", "tenant_name": "X"}, "password"),
        ({"email": "a@example.com", "password": "password123", "tenant_name": "X"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "tenant_name": "   "}, "tenant_name"),
        ({"email": "a@example.com", "password": PASSWORD}, "tenant_name"),
    ],
)
async def test_register_rejects_weak_or_malformed_input_with_a_reason(
    client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "validation_error"
    assert field in error["detail"]


async def test_register_rejects_a_taken_email(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    response = await client.post(
        "/api/auth/register",
        json={"email": account.email, "password": PASSWORD, "tenant_name": "Other"},
    )
    assert response.status_code == 409
    assert response.json()["error"] == "email_taken"


async def test_login_returns_tokens(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    response = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert set(response.json()) >= {"access_token", "refresh_token", "token_type"}


async def test_wrong_password_and_unknown_email_get_the_same_401(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    wrong = await client.post(
        "/api/auth/login", json={"email": account.email, "password": "wrong password!"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_credentials"


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(
    client: httpx.AsyncClient,
) -> None:
    account = await create_account(client)
    first = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != account.refresh_token

    reuse = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert reuse.status_code == 401
    assert reuse.json()["error"] == "refresh_token_reused"
    # The reuse revoked the family: the token issued by the rotation no longer works either.
    after = await client.post("/api/auth/refresh", json={"refresh_token": rotated})
    assert after.status_code == 401


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/refresh", json={"refresh_token": "made-up"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_refresh_token"


async def test_me_requires_a_valid_token(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/auth/me")
    garbage = await client.get("/api/auth/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert missing.status_code == garbage.status_code == 401
    assert missing.json()["error"] == "not_authenticated"
    assert garbage.json()["error"] == "invalid_token"


async def test_expired_or_foreign_signed_tokens_are_refused(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    claims = jwt.get_unverified_claims(account.access_token)
    expired = {**claims, "exp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())}
    secret = "test-jwt-secret-0123456789abcdef"
    for token in (
        jwt.encode(expired, secret, algorithm="HS256"),
        jwt.encode(claims, "another-secret-entirely-0123456789", algorithm="HS256"),
        jwt.encode({**claims, "alg": "none"}, secret, algorithm="HS512"),
        jwt.encode({**claims, "sub": str(uuid.uuid4())}, secret, algorithm="HS256"),
    ):
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
