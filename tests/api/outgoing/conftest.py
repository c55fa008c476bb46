"""A real HTTP receiver on 127.0.0.1 that checks Parley's signatures the way an integrator
would (written here from the documented scheme, not with Parley's own code), and helpers to
register endpoints through the API."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.config import OutgoingWebhookSettings, get_settings
from tests.helpers import Account
from tests.processes import serving

TOLERANCE_SECONDS = 300


def verify_signature(secret: str, header: str, body: bytes, now: float) -> str | None:
    """None when valid, else why not (what a receiver would log)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields:
        return "malformed header"
    timestamp = int(fields["t"])
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return "stale timestamp"
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, fields["v1"]):
        return "bad signature"
    return None


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    rejection: str | None

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """Answers each POST with the next planned response (200 once the plan is used up);
    a delivery whose signature does not verify gets 401 before any plan is used."""

    url: str
    secret: str | None = None
    plan: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def respond(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.plan.append((status, body, headers or {}))

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified]

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        header = request.headers.get("parley-signature", "")
        rejection = (
            verify_signature(self.secret, header, body, time.time())
            if self.secret is not None
            else "no secret configured"
        )
        self.received.append(Received(dict(request.headers), body, rejection is None, rejection))
        if self.delay:
            await asyncio.sleep(self.delay)
        if rejection is not None:
            return Response(rejection, status_code=401)
        status, content, headers = self.plan.pop(0) if self.plan else (200, b"ok", {})
        return Response(content, status_code=status, headers=headers)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver(url="")

    async def endpoint(request: Request) -> Response:
        return await target.handle(request)

    app = Starlette(routes=[Route("/hooks/parley", endpoint, methods=["POST"])])
    async with serving(app) as url:
        target.url = f"{url}/hooks/parley"
        yield target


@pytest.fixture
def outgoing_settings(monkeypatch: pytest.MonkeyPatch) -> OutgoingWebhookSettings:
    """The live settings object; tests change fields with `monkeypatch.setattr`."""
    settings = get_settings().outgoing_webhooks
    assert settings.allow_http and settings.allow_private  # set by tests/conftest.py
    return settings


async def create_endpoint(
    client: httpx.AsyncClient,
    account: Account,
    url: str,
    events: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/webhook-endpoints",
        json={"url": url, "events": events or ["message.created"], **extra},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def endpoint_id(created: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(created["id"])
