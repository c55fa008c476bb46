"""Request body limits: a declared Content-Length over the limit is refused with 413 before
the body is read; a chunked body is counted as it streams and refused the same way. Meta's
webhook route has its own, larger limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message, Receive, Scope, Send

from api.config import SecuritySettings, get_settings
from api.models import WebhookEvent
from api.security.body_limit import BodyLimitMiddleware
from tests.helpers import signed

MIB = 1024 * 1024


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text[:200]
    assert response.json()["error"] == "payload_too_large"
    assert "bytes" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"  # still hardened


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A JSON body sent chunked (no Content-Length)."""
    yield b'{"email": "a@example.com", "password": "'
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size
    yield b'"}'


async def test_a_declared_length_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    body = json.dumps({"email": "a@example.com", "password": "x" * (MIB + 10)})
    response = await client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert_too_large(response)


async def test_a_chunked_body_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        content=chunks(MIB + 1),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_too_large(response)


async def test_a_chunked_body_under_the_limit_is_served(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content=chunks(100), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401  # read, parsed and answered normally


async def test_the_webhook_route_takes_meta_sized_batches(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    payload = {"object": "page", "entry": [], "padding": "x" * (2 * MIB)}
    body, headers = signed(payload)
    accepted = await client.post("/api/webhooks/meta", content=body, headers=headers)
    assert accepted.status_code == 200, accepted.text
    # The same size anywhere else is refused.
    elsewhere = await client.post("/api/auth/login", content=body, headers=headers)
    assert_too_large(elsewhere)


async def test_the_webhook_route_refuses_bodies_over_its_own_limit(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    limit = get_settings().security.max_webhook_body_bytes
    body, headers = signed({"object": "page", "entry": [], "padding": "x" * limit})
    assert_too_large(await client.post("/api/webhooks/meta", content=body, headers=headers))

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), MIB):
            yield body[start : start + MIB]

    assert_too_large(await client.post("/api/webhooks/meta", content=stream(), headers=headers))
    stored = await session.scalar(select(func.count()).select_from(WebhookEvent))
    assert stored == 0


@pytest.mark.parametrize(
    ("declared", "drained"),
    [(4096, True), (1_000_000, False)],
    ids=["over the limit: drained, then 413", "far over it: cut off unread"],
)
async def test_a_declared_length_over_the_limit_never_reaches_the_app(
    declared: int, drained: bool
) -> None:
    """The app never runs. A body up to DRAIN_FACTOR x the limit is read and discarded
    first (so the client, still uploading, gets the 413 instead of a reset); a larger one is
    never read."""
    reads = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        more = reads < 3
        return {"type": "http.request", "body": b"x" * 1024, "more_body": more}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(app, SecuritySettings(max_body_bytes=2048))
    scope = {
        "type": "http",
        "path": "/api/anything",
        "headers": [(b"content-length", str(declared).encode())],
    }
    await middleware(scope, receive, send)
    assert reads == (3 if drained else 0)
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("path", ["/api/webhooks/meta", "/api/inbox/conversations"])
def test_limits_per_route(path: str) -> None:
    settings = SecuritySettings()
    middleware = BodyLimitMiddleware(lambda *a: None, settings)  # type: ignore[arg-type]
    expected = 5 * MIB if path.endswith("/meta") else MIB
    assert middleware.limit_for(path) == expected
    assert settings.max_body_bytes == MIB
