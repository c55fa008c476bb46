"""Accepting an invitation (public: the token is the credential): what the link shows, the
new member signed in with the invitation's role, and every way a link stops working."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Invitation, Tenant, User
from tests.api.inbox.inbox_data import INBOX, create_team, create_thread
from tests.api.team.team_data import (
    PASSWORD,
    accept,
    audit_entries,
    bearer,
    invite,
    new_email,
    token_of,
)
from tests.helpers import EventRecorder, create_account


async def expire(session: AsyncSession, invitation_id: str) -> None:
    await session.execute(
        update(Invitation)
        .where(Invitation.id == uuid.UUID(invitation_id))
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()


async def test_the_link_shows_workspace_email_role_expiry_and_inviter(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client, "Acme Support")
    await session.execute(update(User).where(User.id == owner.user_id).values(name="Olivia"))
    await session.commit()
    created = await invite(client, owner.headers, role="viewer")

    response = await client.get(f"/api/invitations/{token_of(created['invite_url'])}")

    assert response.status_code == 200
    assert response.json() == {
        "tenant_name": "Acme Support",
        "email": created["email"],
        "role": "viewer",
        "expires_at": created["expires_at"],
        "invited_by": {"name": "Olivia", "email": owner.email},
    }


async def test_accepting_creates_the_member_with_the_role_and_signs_them_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers, role="agent")

    response = await accept(client, token_of(created["invite_url"]), name="  Ana Agent ")

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]
    me = (await client.get("/api/auth/me", headers=bearer(tokens))).json()
    assert me["email"] == created["email"] and me["name"] == "Ana Agent"
    assert me["role"] == "agent" and me["tenant"]["id"] == str(owner.tenant_id)
    login = await client.post(
        "/api/auth/login", json={"email": created["email"], "password": PASSWORD}
    )
    assert login.status_code == 200  # the chosen password works
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    members = (await client.get("/api/team/members", headers=owner.headers)).json()
    joined = next(m for m in members if m["email"] == created["email"])
    assert joined["role"] == "agent" and joined["last_login_at"] is not None
    row = await session.get(Invitation, uuid.UUID(created["id"]), populate_existing=True)
    assert row is not None and row.accepted_at is not None
    assert row.accepted_user_id == uuid.UUID(me["id"])
    assert (await client.get("/api/team/invitations", headers=owner.headers)).json()["items"] == []


async def test_accepting_is_audited_with_the_new_member_as_actor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers, role="viewer")
    token = token_of(created["invite_url"])
    tokens = (await accept(client, token)).json()
    me = (await client.get("/api/auth/me", headers=bearer(tokens))).json()

    (entry,) = await audit_entries(session, owner.tenant_id, "team.invitation_accepted")

    assert entry.actor_user_id == uuid.UUID(me["id"]) and entry.actor_label == created["email"]
    assert entry.target_id == me["id"]
    assert entry.details == {"role": "viewer", "invitation_id": created["id"]}
    assert token not in str(entry.details)


async def test_a_link_works_once(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    token = token_of((await invite(client, owner.headers))["invite_url"])
    assert (await accept(client, token)).status_code == 200

    again = await accept(client, token, name="Someone Else")
    preview = await client.get(f"/api/invitations/{token}")

    assert again.status_code == 410 and again.json()["error"] == "invitation_used"
    assert preview.status_code == 410 and preview.json()["error"] == "invitation_used"


async def test_an_expired_link_is_410_and_creates_nobody(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)
    await expire(session, created["id"])
    token = token_of(created["invite_url"])

    preview = await client.get(f"/api/invitations/{token}")
    response = await accept(client, token)

    assert preview.status_code == 410 and preview.json()["error"] == "invitation_expired"
    assert response.status_code == 410 and response.json()["error"] == "invitation_expired"
    assert "expired" in response.json()["detail"]
    users = await session.execute(select(User).where(User.email == created["email"]))
    assert users.scalar_one_or_none() is None


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 43, "%00"])
async def test_an_unknown_link_is_404(client: httpx.AsyncClient, token: str) -> None:
    preview = await client.get(f"/api/invitations/{token}")
    response = await accept(client, token)
    for answer in (preview, response):
        assert answer.status_code == 404
        assert answer.json()["error"] == "invitation_not_found"


async def test_a_too_long_token_is_refused_without_a_lookup(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/invitations/{'a' * 500}")
    assert response.status_code == 422


async def test_a_weak_password_or_blank_name_is_422_and_the_link_still_works(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_account(client)
    token = token_of((await invite(client, owner.headers))["invite_url"])

    weak = await accept(client, token, password="short")
    common = await accept(client, token, password="password123")
    blank = await accept(client, token, name="   ")

    for response in (weak, common, blank):
        assert response.status_code == 422
    assert "password" in weak.json()["detail"] and "name" in blank.json()["detail"]
    assert (await accept(client, token)).status_code == 200


async def test_an_email_that_got_an_account_meanwhile_cannot_accept(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_account(client, "Acme")
    email = new_email()
    token = token_of((await invite(client, owner.headers, email))["invite_url"])
    registered = await client.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "tenant_name": "Own shop"},
    )
    assert registered.status_code == 201

    response = await accept(client, token)

    assert response.status_code == 409 and response.json()["error"] == "email_taken"


async def test_two_workspaces_inviting_one_email_first_accept_wins(
    client: httpx.AsyncClient,
) -> None:
    acme = await create_account(client, "Acme")
    globex = await create_account(client, "Globex")
    email = new_email()
    acme_token = token_of((await invite(client, acme.headers, email))["invite_url"])
    globex_token = token_of((await invite(client, globex.headers, email))["invite_url"])

    assert (await accept(client, globex_token)).status_code == 200
    response = await accept(client, acme_token)

    assert response.status_code == 409 and response.json()["error"] == "email_taken"


async def test_a_workspace_being_deleted_takes_no_new_members(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    token = token_of((await invite(client, owner.headers))["invite_url"])
    await session.execute(
        update(Tenant)
        .where(Tenant.id == owner.tenant_id)
        .values(deletion_requested_at=datetime.now(UTC))
    )
    await session.commit()

    assert (await client.get(f"/api/invitations/{token}")).status_code == 404
    assert (await accept(client, token)).status_code == 404


async def test_the_new_member_sees_their_own_workspace_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session, "Acme")
    other = await create_team(client, session, "Globex")
    token = token_of((await invite(client, team.owner.headers, role="agent"))["invite_url"])
    headers = bearer((await accept(client, token)).json())

    members = (await client.get("/api/team/members", headers=headers)).json()
    theirs = await create_thread(session, other.messenger)
    conversation = await client.get(f"{INBOX}/{theirs.id}", headers=headers)

    assert str(team.owner.user_id) in {m["id"] for m in members}
    assert str(other.owner.user_id) not in {m["id"] for m in members}
    assert conversation.status_code == 404


@pytest.mark.committing
async def test_two_concurrent_accepts_make_one_member(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)
    token = token_of(created["invite_url"])

    answers = await asyncio.gather(
        accept(client, token, name="First"), accept(client, token, name="Second")
    )

    assert sorted(a.status_code for a in answers) == [200, 410]
    members = (await client.get("/api/team/members", headers=owner.headers)).json()
    assert [m["email"] for m in members].count(created["email"]) == 1


async def test_joining_and_role_changes_tell_every_teammate_screen(
    client: httpx.AsyncClient, events: EventRecorder
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers, role="viewer")
    tokens = (await accept(client, token_of(created["invite_url"]), name="Vera")).json()
    me = (await client.get("/api/auth/me", headers=bearer(tokens))).json()
    await client.patch(
        f"/api/team/members/{me['id']}", json={"role": "agent"}, headers=owner.headers
    )

    updates = [
        (tenant, payload["user_id"])
        for tenant, name, payload in events.published
        if name == "team:updated"
    ]
    assert updates == [(owner.tenant_id, me["id"])] * 2
