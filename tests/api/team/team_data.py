"""Test data for the team: invitations made through the API, and their tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditLog

INVITATIONS = "/api/team/invitations"
MEMBERS = "/api/team/members"
PASSWORD = "a long enough passphrase"


def new_email(prefix: str = "invitee") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def token_of(invite_url: str) -> str:
    head, _, token = invite_url.rpartition("/invite/")
    assert head and token, invite_url
    return token


async def invite(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    email: str | None = None,
    role: str = "agent",
) -> dict[str, Any]:
    response = await client.post(
        INVITATIONS, json={"email": email or new_email(), "role": role}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def accept(
    client: httpx.AsyncClient, token: str, name: str = "New Member", password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        f"/api/invitations/{token}/accept", json={"name": name, "password": password}
    )


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def audit_entries(session: AsyncSession, tenant_id: uuid.UUID, action: str) -> list[AuditLog]:
    statement = (
        select(AuditLog)
        .where(AuditLog.tenant_id == tenant_id, AuditLog.action == action)
        .order_by(AuditLog.created_at)
    )
    return list((await session.execute(statement)).scalars())


@dataclass(frozen=True)
class Member:
    """Someone who joined through an invitation: a real password, real tokens."""

    user_id: uuid.UUID
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def join(client: httpx.AsyncClient, inviter: dict[str, str], role: str) -> Member:
    created = await invite(client, inviter, role=role)
    response = await accept(client, token_of(created["invite_url"]), name=role.title())
    assert response.status_code == 200, response.text
    tokens = response.json()
    me = (await client.get("/api/auth/me", headers=bearer(tokens))).json()
    return Member(
        user_id=uuid.UUID(me["id"]),
        email=created["email"],
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )
