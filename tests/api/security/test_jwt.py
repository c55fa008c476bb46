"""Access-token tampering: only an unexpired HS256 token signed with our secret, carrying
every claim we rely on, gets in. Everything else is 401 `invalid_token`. And refresh-token
rotation: a reused refresh token revokes its whole family."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from tests.helpers import Account, create_account

SECRET = "test-jwt-secret-0123456789abcdef"  # tests/conftest.py's AUTH_JWT_SECRET


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    """A token assembled by hand, as an attacker would."""
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{signature}"


def rsa_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k != name}


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await create_account(client)


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


async def assert_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await me(client, token)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_the_genuine_token_and_a_re_signed_copy_work(
    client: httpx.AsyncClient, account: Account
) -> None:
    """The control: what the tampering tests change is the only reason they fail."""
    assert (await me(client, account.access_token)).status_code == 200
    claims = jwt.get_unverified_claims(account.access_token)
    assert (await me(client, jwt.encode(claims, SECRET, algorithm="HS256"))).status_code == 200


async def test_alg_none_is_refused(client: httpx.AsyncClient, account: Account) -> None:
    claims = jwt.get_unverified_claims(account.access_token)
    for alg in ("none", "None", "NONE"):
        await assert_refused(client, unsigned({"alg": alg, "typ": "JWT"}, claims))
    # The genuine signature kept, the header switched to none.
    signature = account.access_token.rsplit(".", 1)[1]
    await assert_refused(client, unsigned({"alg": "none", "typ": "JWT"}, claims, signature))


async def test_a_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    claims = jwt.get_unverified_claims(account.access_token)
    await assert_refused(client, jwt.encode(claims, "another-secret-0123456789abcdef-xyz", "HS256"))


async def test_another_hmac_algorithm_is_refused_even_with_our_secret(
    client: httpx.AsyncClient, account: Account
) -> None:
    claims = jwt.get_unverified_claims(account.access_token)
    for alg in ("HS384", "HS512"):
        await assert_refused(client, jwt.encode(claims, SECRET, algorithm=alg))


async def test_rs256_tokens_are_refused(client: httpx.AsyncClient, account: Account) -> None:
    """HS/RS confusion: an RS256 token (the attacker's own key pair) is never verified
    with our HMAC secret, nor an RS256 header on an HMAC signature."""
    claims = jwt.get_unverified_claims(account.access_token)
    await assert_refused(client, jwt.encode(claims, rsa_private_pem().decode(), "RS256"))
    signature = jwt.encode(claims, SECRET, "HS256").rsplit(".", 1)[1]
    await assert_refused(client, unsigned({"alg": "RS256", "typ": "JWT"}, claims, signature))


@pytest.mark.parametrize("claim", ["tid", "typ", "sub", "exp", "role"])
async def test_a_token_missing_a_claim_is_refused(
    client: httpx.AsyncClient, account: Account, claim: str
) -> None:
    claims = jwt.get_unverified_claims(account.access_token)
    await assert_refused(client, jwt.encode(without(claims, claim), SECRET, algorithm="HS256"))


@pytest.mark.parametrize(
    ("claim", "value"),
    [("typ", "refresh"), ("tid", "not-a-uuid"), ("sub", "not-a-uuid"), ("role", "superuser")],
)
async def test_a_token_with_a_wrong_claim_is_refused(
    client: httpx.AsyncClient, account: Account, claim: str, value: str
) -> None:
    claims = {**jwt.get_unverified_claims(account.access_token), claim: value}
    await assert_refused(client, jwt.encode(claims, SECRET, algorithm="HS256"))


async def test_an_expired_token_is_refused(client: httpx.AsyncClient, account: Account) -> None:
    claims = jwt.get_unverified_claims(account.access_token)
    expired = {**claims, "exp": int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())}
    await assert_refused(client, jwt.encode(expired, SECRET, algorithm="HS256"))


async def test_a_token_naming_another_tenant_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    """A validly signed token whose tenant is not the user's (e.g. minted before a move)."""
    other = await create_account(client, "Other Co")
    claims = {**jwt.get_unverified_claims(account.access_token), "tid": str(other.tenant_id)}
    await assert_refused(client, jwt.encode(claims, SECRET, algorithm="HS256"))
    unknown = {**jwt.get_unverified_claims(account.access_token), "sub": str(uuid.uuid4())}
    await assert_refused(client, jwt.encode(unknown, SECRET, algorithm="HS256"))


async def test_a_tampered_payload_breaks_the_signature(
    client: httpx.AsyncClient, account: Account
) -> None:
    head, _, signature = account.access_token.split(".")
    claims = {**jwt.get_unverified_claims(account.access_token), "role": "owner", "x": 1}
    await assert_refused(client, f"{head}.{b64(json.dumps(claims).encode())}.{signature}")


async def test_a_reused_refresh_token_revokes_its_family_but_not_other_sessions(
    client: httpx.AsyncClient, account: Account
) -> None:
    # A second sign-in is another family.
    other = await client.post(
        "/api/auth/login", json={"email": account.email, "password": "correct horse battery"}
    )
    assert other.status_code == 200
    rotated = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert rotated.status_code == 200
    newest = rotated.json()["refresh_token"]

    # The spent token comes back: someone else has a copy. The whole family goes.
    reuse = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert reuse.status_code == 401
    assert reuse.json()["error"] == "refresh_token_reused"
    after = await client.post("/api/auth/refresh", json={"refresh_token": newest})
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_refresh_token"
    # The other sign-in's family is untouched.
    elsewhere = await client.post(
        "/api/auth/refresh", json={"refresh_token": other.json()["refresh_token"]}
    )
    assert elsewhere.status_code == 200
