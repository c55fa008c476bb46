"""The team list: who is in the workspace (to assign conversations to, to show names)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Role, User
from tests.api.inbox.inbox_data import INBOX, create_team, create_teammate, create_thread

MEMBERS = "/api/team/members"


async def name(session: AsyncSession, user_id: uuid.UUID, value: str | None) -> None:
    await session.execute(update(User).where(User.id == user_id).values(name=value))
    await session.commit()


async def test_every_role_sees_the_whole_team_and_only_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session, "Acme")
    admin = await create_teammate(session, team.tenant_id, Role.ADMIN)
    other = await create_team(client, session, "Globex")

    for headers in (team.owner.headers, admin.headers, team.agent.headers, team.viewer.headers):
        response = await client.get(MEMBERS, headers=headers)
        assert response.status_code == 200
        members = response.json()
        assert {m["id"] for m in members} == {
            str(u)
            for u in (team.owner.user_id, admin.user_id, team.agent.user_id, team.viewer.user_id)
        }
    roles = {m["id"]: m["role"] for m in members}
    assert roles[str(team.viewer.user_id)] == "viewer" and roles[str(admin.user_id)] == "admin"
    assert roles[str(team.owner.user_id)] == "owner" and roles[str(team.agent.user_id)] == "agent"
    assert str(other.owner.user_id) not in roles


FIELDS = {"id", "name", "email", "role", "last_login_at", "created_at"}


async def test_a_member_shows_who_they_are_and_when_they_joined_and_signed_in_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session)
    await name(session, team.owner.user_id, "Olivia Owner")

    members = (await client.get(MEMBERS, headers=team.agent.headers)).json()

    owner = next(m for m in members if m["id"] == str(team.owner.user_id))
    assert {k: v for k, v in owner.items() if not k.endswith("_at")} == {
        "id": str(team.owner.user_id),
        "name": "Olivia Owner",
        "email": team.owner.email,
        "role": "owner",
    }
    assert owner["created_at"] is not None
    agent = next(m for m in members if m["id"] == str(team.agent.user_id))
    assert agent["last_login_at"] is None  # signed in with a minted token, never a password
    assert all(set(m) == FIELDS for m in members)  # no password hash


async def test_members_are_ordered_by_name_or_email_ignoring_case(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session)
    await name(session, team.owner.user_id, "zoe")
    await name(session, team.agent.user_id, "Bruno")
    await name(session, team.viewer.user_id, None)  # listed by its email: viewer-...
    admin = await create_teammate(session, team.tenant_id, Role.ADMIN)  # admin-...@
    await name(session, admin.user_id, "ana")

    members = (await client.get(MEMBERS, headers=team.owner.headers)).json()

    labels = [m["name"] or m["email"] for m in members]
    assert labels[:2] == ["ana", "Bruno"]
    assert labels[2].startswith("viewer-") and labels[3] == "zoe"


async def test_members_need_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    assert (await client.get(MEMBERS)).status_code == 401
    bad = await client.get(MEMBERS, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


async def test_listed_members_other_than_viewers_can_be_assigned(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session)
    conversation = await create_thread(session, team.messenger)
    members = (await client.get(MEMBERS, headers=team.agent.headers)).json()

    answers = {
        m["role"]: await client.patch(
            f"{INBOX}/{conversation.id}", json={"assignee_id": m["id"]}, headers=team.agent.headers
        )
        for m in members
    }

    assert {role: a.status_code for role, a in answers.items()} == {
        "owner": 200,
        "agent": 200,
        "viewer": 422,
    }
    assert answers["viewer"].json()["error"] == "invalid_assignee"
