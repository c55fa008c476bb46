"""Inviting people: the link shown once (only its hash kept), the rules on roles and
emails, resending by inviting again, listing and revoking, and who may do it."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.invitations.email import SEND_INVITATION_EMAIL_JOB
from api.jobs import QUEUE_NAME
from api.models import Invitation, Role
from tests.api.inbox.inbox_data import create_team, create_teammate
from tests.api.team.team_data import (
    INVITATIONS,
    accept,
    audit_entries,
    invite,
    new_email,
    token_of,
)
from tests.event_payloads import queued_jobs
from tests.helpers import create_account


async def stored(session: AsyncSession, invitation_id: str) -> Invitation:
    row = await session.get(Invitation, uuid.UUID(invitation_id), populate_existing=True)
    assert row is not None
    return row


async def test_an_invitation_shows_its_link_once_and_keeps_only_its_hash(
    client: httpx.AsyncClient, session: AsyncSession, redis: object
) -> None:
    owner = await create_account(client)
    email = new_email()

    before = datetime.now(UTC)
    created = await invite(client, owner.headers, email.upper(), role="viewer")

    token = token_of(created["invite_url"])
    assert created["invite_url"] == f"http://localhost:8000/invite/{token}"
    assert len(token) >= 43  # 256 random bits
    assert created["email"] == email and created["role"] == "viewer"
    assert created["email_sent"] is False  # no SMTP configured: the admin copies the link
    assert created["expired"] is False
    assert created["invited_by"] == {"id": str(owner.user_id), "name": None, "email": owner.email}
    expires = datetime.fromisoformat(created["expires_at"])
    assert before + timedelta(hours=72) <= expires <= datetime.now(UTC) + timedelta(hours=72)
    row = await stored(session, created["id"])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.email}
    assert await queued_jobs(redis, QUEUE_NAME) == []  # nothing to mail

    listed = (await client.get(INVITATIONS, headers=owner.headers)).json()
    assert [i["id"] for i in listed["items"]] == [created["id"]]
    assert "invite_url" not in listed["items"][0] and token not in str(listed)


async def test_the_invitation_ttl_comes_from_the_settings(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await create_account(client)
    monkeypatch.setenv("AUTH_INVITATION_TTL_HOURS", "2")
    get_settings.cache_clear()
    try:
        created = await invite(client, owner.headers)
    finally:
        monkeypatch.delenv("AUTH_INVITATION_TTL_HOURS")
        get_settings.cache_clear()
    expires = datetime.fromisoformat(created["expires_at"])
    assert expires - datetime.now(UTC) < timedelta(hours=2, minutes=1)


@pytest.mark.usefixtures("mail_configured")
async def test_with_smtp_configured_the_email_is_queued_after_commit_not_sent_in_the_request(
    client: httpx.AsyncClient, session: AsyncSession, redis: object
) -> None:
    owner = await create_account(client)

    created = await invite(client, owner.headers)

    assert created["email_sent"] is True
    job_id = f"{SEND_INVITATION_EMAIL_JOB}:{created['id']}"
    assert await queued_jobs(redis, QUEUE_NAME) == [job_id]


@pytest.mark.usefixtures("mail_configured")
async def test_a_refused_invitation_queues_no_email(
    client: httpx.AsyncClient, redis: object
) -> None:
    owner = await create_account(client)
    response = await client.post(
        INVITATIONS, json={"email": owner.email, "role": "agent"}, headers=owner.headers
    )
    assert response.status_code == 409
    assert await queued_jobs(redis, QUEUE_NAME) == []


async def test_inviting_the_same_email_again_replaces_the_pending_invitation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    email = new_email()
    first = await invite(client, owner.headers, email, role="agent")

    second = await invite(client, owner.headers, email.title(), role="admin")

    assert second["id"] != first["id"] and second["role"] == "admin"
    assert (await stored(session, first["id"])).revoked_at is not None
    listed = (await client.get(INVITATIONS, headers=owner.headers)).json()["items"]
    assert [i["id"] for i in listed] == [second["id"]]
    old = await client.get(f"/api/invitations/{token_of(first['invite_url'])}")
    assert old.status_code == 404  # the first link no longer works
    new = await client.get(f"/api/invitations/{token_of(second['invite_url'])}")
    assert new.status_code == 200 and new.json()["role"] == "admin"
    created = await audit_entries(session, owner.tenant_id, "team.invitation_created")
    assert [e.details for e in created] == [
        {"role": "agent", "resent": False},
        {"role": "admin", "resent": True},
    ]


async def test_a_member_of_this_team_cannot_be_invited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session)
    agent_email = (await client.get("/api/team/members", headers=team.agent.headers)).json()
    email = next(m["email"] for m in agent_email if m["id"] == str(team.agent.user_id))

    response = await client.post(
        INVITATIONS, json={"email": email, "role": "viewer"}, headers=team.owner.headers
    )

    assert response.status_code == 409
    assert response.json()["error"] == "already_member"


async def test_an_email_with_an_account_elsewhere_cannot_be_invited(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_account(client, "Acme")
    other = await create_account(client, "Globex")

    response = await client.post(
        INVITATIONS, json={"email": other.email, "role": "agent"}, headers=owner.headers
    )

    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "email_taken" and "another workspace" in body["detail"]
    assert "Globex" not in body["detail"]  # which workspace is none of the inviter's business


async def test_only_an_owner_invites_an_owner(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    admin = await create_teammate(session, owner.tenant_id, Role.ADMIN)

    refused = await client.post(
        INVITATIONS, json={"email": new_email(), "role": "owner"}, headers=admin.headers
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "owner_required"

    for role in ("admin", "agent", "viewer"):
        assert (await invite(client, admin.headers, role=role))["role"] == role
    assert (await invite(client, owner.headers, role="owner"))["role"] == "owner"


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 400 + "@example.com"])
async def test_a_bad_email_is_422(client: httpx.AsyncClient, email: str) -> None:
    owner = await create_account(client)
    response = await client.post(
        INVITATIONS, json={"email": email, "role": "agent"}, headers=owner.headers
    )
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_an_unknown_role_is_422(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    response = await client.post(
        INVITATIONS, json={"email": new_email(), "role": "superuser"}, headers=owner.headers
    )
    assert response.status_code == 422


async def test_agents_and_viewers_cannot_invite_list_or_revoke(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session)
    created = await invite(client, team.owner.headers)

    for member in (team.agent, team.viewer):
        calls = [
            client.post(INVITATIONS, json={"email": new_email()}, headers=member.headers),
            client.get(INVITATIONS, headers=member.headers),
            client.delete(f"{INVITATIONS}/{created['id']}", headers=member.headers),
        ]
        for call in calls:
            response = await call
            assert response.status_code == 403, response.text
            assert "team:manage" in response.json()["detail"]
    assert (await stored(session, created["id"])).revoked_at is None


async def test_revoking_stops_the_link_at_once_and_is_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)
    token = token_of(created["invite_url"])

    revoked = await client.delete(f"{INVITATIONS}/{created['id']}", headers=owner.headers)
    again = await client.delete(f"{INVITATIONS}/{created['id']}", headers=owner.headers)

    assert revoked.status_code == 200 and again.status_code == 200
    assert revoked.json()["id"] == created["id"]
    assert (await client.get(INVITATIONS, headers=owner.headers)).json()["items"] == []
    preview = await client.get(f"/api/invitations/{token}")
    assert preview.status_code == 404 and preview.json()["error"] == "invitation_not_found"
    assert (await accept(client, token)).status_code == 404
    entries = await audit_entries(session, owner.tenant_id, "team.invitation_revoked")
    assert len(entries) == 1  # revoking twice records once
    assert entries[0].target_id == created["id"] and entries[0].actor_user_id == owner.user_id


async def test_an_accepted_invitation_cannot_be_revoked(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)
    assert (await accept(client, token_of(created["invite_url"]))).status_code == 200

    response = await client.delete(f"{INVITATIONS}/{created['id']}", headers=owner.headers)

    assert response.status_code == 409
    assert response.json()["error"] == "invitation_used"


async def test_another_tenants_invitation_is_404_and_untouched(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await create_account(client, "Acme")
    globex = await create_account(client, "Globex")
    theirs = await invite(client, globex.headers)

    revoke = await client.delete(f"{INVITATIONS}/{theirs['id']}", headers=acme.headers)
    missing = await client.delete(f"{INVITATIONS}/{uuid.uuid4()}", headers=acme.headers)

    assert revoke.status_code == 404 and missing.status_code == 404
    assert revoke.json() == missing.json()  # indistinguishable from an id that never existed
    assert (await stored(session, theirs["id"])).revoked_at is None
    mine = (await client.get(INVITATIONS, headers=acme.headers)).json()["items"]
    assert mine == []


async def test_expired_invitations_stay_listed_as_expired_until_resent(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)
    await session.execute(
        update(Invitation)
        .where(Invitation.id == uuid.UUID(created["id"]))
        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await session.commit()

    (listed,) = (await client.get(INVITATIONS, headers=owner.headers)).json()["items"]

    assert listed["id"] == created["id"] and listed["expired"] is True
    resent = await invite(client, owner.headers, created["email"])
    assert resent["expired"] is False


async def test_an_api_key_with_team_rights_can_invite_and_is_the_recorded_actor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    key = await client.post(
        "/api/api-keys", json={"name": "HR sync", "role": "admin"}, headers=owner.headers
    )
    headers = {"Authorization": f"Bearer {key.json()['secret']}"}

    created = await invite(client, headers)

    assert created["invited_by"] is None
    (entry,) = await audit_entries(session, owner.tenant_id, "team.invitation_created")
    assert entry.actor_type == "api_key" and entry.actor_label is not None
    assert "HR sync" in entry.actor_label
    rows = (await session.execute(select(Invitation.invited_by_user_id))).scalars().all()
    assert list(rows) == [None]
