"""Small async `create_*` helpers for test data, shared by the test modules."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import get_secret_box
from api.models import Channel, ChannelKind
from api.vault import seal_token
from api.webhooks.signature import sign

APP_SECRET = "test-app-secret"


@dataclass
class EventRecorder:
    published: list[tuple[uuid.UUID, str, dict[str, Any]]] = field(default_factory=list)

    async def publish(self, tenant_id: uuid.UUID, event: str, payload: dict[str, Any]) -> None:
        self.published.append((tenant_id, event, payload))

    def names(self) -> list[str]:
        return [name for _, name, _ in self.published]


@dataclass(frozen=True)
class Account:
    email: str
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def create_account(client: httpx.AsyncClient, tenant_name: str = "Acme") -> Account:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/api/auth/register",
        json={"email": email, "password": "correct horse battery", "tenant_name": tenant_name},
    )
    assert response.status_code == 201, response.text
    tokens = response.json()
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200, me.text
    body = me.json()
    return Account(
        email=email,
        tenant_id=uuid.UUID(body["tenant"]["id"]),
        user_id=uuid.UUID(body["id"]),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def create_messenger_channel(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    page_id: str | None = None,
    token: str = "page-token",
) -> Channel:
    channel = Channel(
        tenant_id=tenant_id,
        kind=ChannelKind.MESSENGER,
        external_id=page_id or str(uuid.uuid4().int)[:15],
        name="Acme Support",
    )
    seal_token(get_secret_box(), channel, token)
    session.add(channel)
    await session.commit()
    return channel


def messenger_text_payload(
    page_id: str, psid: str, text: str, *, mid: str | None = None, ts: int = 1_790_000_000_000
) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": ts,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": page_id},
                        "timestamp": ts,
                        "message": {"mid": mid or f"m_{uuid.uuid4().hex}", "text": text},
                    }
                ],
            }
        ],
    }


def signed(
    payload: Mapping[str, Any] | bytes, secret: str = APP_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}
