"""Changing roles, removing members and transferring ownership: who may, the last owner's
protection, and changes that apply to the member's very next request."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Conversation, Message, MessageDirection, RefreshToken, Role, User
from tests.api.inbox.inbox_data import INBOX, create_thread, message_row
from tests.api.inbox.sending_data import customer_thread
from tests.api.team.team_data import MEMBERS, audit_entries, join
from tests.helpers import Account, create_account, create_messenger_channel

TRANSFER = "/api/team/transfer-ownership"


@pytest.fixture
def disconnected(monkeypatch: pytest.MonkeyPatch) -> list[uuid.UUID]:
    """User ids whose sockets the api asked the gateways to drop (after commit)."""
    calls: list[uuid.UUID] = []

    async def record(user_id: uuid.UUID) -> None:
        calls.append(user_id)

    monkeypatch.setattr("api.team.service.disconnect_user", record)
    return calls


async def set_role(
    client: httpx.AsyncClient, headers: dict[str, str], user_id: uuid.UUID, role: str
) -> httpx.Response:
    return await client.patch(f"{MEMBERS}/{user_id}", json={"role": role}, headers=headers)


async def remove(
    client: httpx.AsyncClient, headers: dict[str, str], user_id: uuid.UUID
) -> httpx.Response:
    return await client.delete(f"{MEMBERS}/{user_id}", headers=headers)


async def roles(client: httpx.AsyncClient, owner: Account) -> dict[uuid.UUID, str]:
    members = (await client.get(MEMBERS, headers=owner.headers)).json()
    return {uuid.UUID(m["id"]): m["role"] for m in members}


# --- changing roles ----------------------------------------------------------------------


async def test_an_admin_changes_a_role_and_it_is_audited_from_to(
    client: httpx.AsyncClient, session: AsyncSession, disconnected: list[uuid.UUID]
) -> None:
    owner = await create_account(client)
    admin = await join(client, owner.headers, "admin")
    agent = await join(client, owner.headers, "agent")

    response = await set_role(client, admin.headers, agent.user_id, "viewer")

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "viewer" and response.json()["email"] == agent.email
    assert (await roles(client, owner))[agent.user_id] == "viewer"
    (entry,) = await audit_entries(session, owner.tenant_id, "team.role_changed")
    assert entry.details == {"from": "agent", "to": "viewer"}
    assert entry.actor_user_id == admin.user_id and entry.target_id == str(agent.user_id)
    assert entry.target_label == agent.email
    # The gateway keeps the role a socket connected with: it reconnects with the new one.
    assert disconnected == [agent.user_id]


async def test_a_demoted_agent_can_no_longer_write_with_the_same_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")
    channel = await create_messenger_channel(session, owner.tenant_id)
    conversation = await customer_thread(session, channel, wrote=timedelta(minutes=5))
    send = {"text": "On it!"}
    url = f"{INBOX}/{conversation.id}"
    assert (
        await client.post(f"{url}/messages", json=send, headers=agent.headers)
    ).status_code == 202

    assert (await set_role(client, owner.headers, agent.user_id, "viewer")).status_code == 200

    sent = await client.post(f"{url}/messages", json=send, headers=agent.headers)
    status = await client.patch(url, json={"status": "resolved"}, headers=agent.headers)
    assert sent.status_code == 403 and status.status_code == 403
    assert "viewer" in sent.json()["detail"]
    assert (await client.get(url, headers=agent.headers)).status_code == 200  # still reads
    me = (await client.get("/api/auth/me", headers=agent.headers)).json()
    assert me["role"] == "viewer" and "conversations:write" not in me["permissions"]


async def test_a_promotion_applies_at_once_too(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    viewer = await join(client, owner.headers, "viewer")
    assert (await client.get("/api/team/invitations", headers=viewer.headers)).status_code == 403

    assert (await set_role(client, owner.headers, viewer.user_id, "admin")).status_code == 200

    assert (await client.get("/api/team/invitations", headers=viewer.headers)).status_code == 200


async def test_setting_the_same_role_changes_and_records_nothing(
    client: httpx.AsyncClient, session: AsyncSession, disconnected: list[uuid.UUID]
) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")

    response = await set_role(client, owner.headers, agent.user_id, "agent")

    assert response.status_code == 200 and response.json()["role"] == "agent"
    assert await audit_entries(session, owner.tenant_id, "team.role_changed") == []
    assert disconnected == []


async def test_only_an_owner_grants_or_takes_away_the_owner_role(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    admin = await join(client, owner.headers, "admin")
    agent = await join(client, owner.headers, "agent")

    grant = await set_role(client, admin.headers, agent.user_id, "owner")
    demote = await set_role(client, admin.headers, owner.user_id, "admin")
    remove_owner = await remove(client, admin.headers, owner.user_id)

    for response in (grant, demote, remove_owner):
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "owner_required"
    assert await roles(client, owner) == {
        owner.user_id: "owner",
        admin.user_id: "admin",
        agent.user_id: "agent",
    }
    assert (await set_role(client, owner.headers, agent.user_id, "owner")).status_code == 200
    assert (await roles(client, owner))[agent.user_id] == "owner"


async def test_an_owner_demotes_another_owner(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    second = await join(client, owner.headers, "owner")

    response = await set_role(client, owner.headers, second.user_id, "agent")

    assert response.status_code == 200
    assert (await roles(client, owner))[second.user_id] == "agent"


async def test_the_last_owner_cannot_step_down(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    admin = await join(client, owner.headers, "admin")

    response = await set_role(client, owner.headers, owner.user_id, "admin")

    assert response.status_code == 409
    assert response.json()["error"] == "last_owner"
    assert "last owner" in response.json()["detail"]
    assert (await roles(client, owner))[owner.user_id] == "owner"
    assert admin.user_id in await roles(client, owner)


async def test_an_owner_steps_down_while_another_owner_stays(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    second = await join(client, owner.headers, "owner")

    response = await set_role(client, owner.headers, owner.user_id, "admin")

    assert response.status_code == 200
    assert await roles(client, owner) == {owner.user_id: "admin", second.user_id: "owner"}
    # Now an admin, they cannot take the owner role back themselves.
    again = await set_role(client, owner.headers, owner.user_id, "owner")
    assert again.status_code == 403


async def test_nobody_else_changes_their_own_role(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    admin = await join(client, owner.headers, "admin")

    response = await set_role(client, admin.headers, admin.user_id, "agent")

    assert response.status_code == 403 and response.json()["error"] == "own_role"
    assert (await roles(client, owner))[admin.user_id] == "admin"


async def test_agents_and_viewers_cannot_change_roles_or_remove(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")
    viewer = await join(client, owner.headers, "viewer")

    for caller, target in ((agent, viewer), (viewer, agent)):
        patch = await set_role(client, caller.headers, target.user_id, "admin")
        delete = await remove(client, caller.headers, target.user_id)
        assert patch.status_code == 403 and delete.status_code == 403
        assert "team:manage" in patch.json()["detail"]
    assert await roles(client, owner) == {
        owner.user_id: "owner",
        agent.user_id: "agent",
        viewer.user_id: "viewer",
    }


async def test_an_unknown_role_is_422(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")
    response = await set_role(client, owner.headers, agent.user_id, "root")
    assert response.status_code == 422


async def test_an_admin_api_key_changes_roles_but_never_touches_owners(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")
    key = await client.post(
        "/api/api-keys", json={"name": "SCIM", "role": "admin"}, headers=owner.headers
    )
    headers = {"Authorization": f"Bearer {key.json()['secret']}"}

    assert (await set_role(client, headers, agent.user_id, "viewer")).status_code == 200
    assert (await set_role(client, headers, owner.user_id, "agent")).status_code == 403
    assert (await remove(client, headers, owner.user_id)).status_code == 403
    assert (
        await client.post(TRANSFER, json={"user_id": str(agent.user_id)}, headers=headers)
    ).status_code == 403


# --- removing members -------------------------------------------------------------------


async def test_a_removed_member_loses_access_and_refresh_at_once(
    client: httpx.AsyncClient, session: AsyncSession, disconnected: list[uuid.UUID]
) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")
    assert (await client.get(INBOX, headers=agent.headers)).status_code == 200

    response = await remove(client, owner.headers, agent.user_id)

    assert response.status_code == 204
    assert (await client.get(INBOX, headers=agent.headers)).status_code == 401
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": agent.refresh_token})
    assert refresh.status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": agent.email, "password": "a long enough passphrase"}
    )
    assert login.status_code == 401
    assert agent.user_id not in await roles(client, owner)
    tokens = await session.execute(
        select(RefreshToken).where(RefreshToken.user_id == agent.user_id)
    )
    assert tokens.scalars().all() == []
    assert disconnected == [agent.user_id]
    (entry,) = await audit_entries(session, owner.tenant_id, "team.member_removed")
    assert entry.target_id == str(agent.user_id) and entry.target_label == agent.email
    assert entry.details == {"role": "agent", "self": False}


async def test_what_a_removed_member_wrote_stays_without_an_author(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")
    channel = await create_messenger_channel(session, owner.tenant_id)
    conversation = await create_thread(session, channel, texts=("Hi",), assignee_id=agent.user_id)
    reply = message_row(conversation, "Hello!", conversation.last_message_at)
    reply.update(direction=MessageDirection.OUTBOUND, author_user_id=agent.user_id)
    session.add(Message(**reply))
    await session.commit()

    assert (await remove(client, owner.headers, agent.user_id)).status_code == 204

    conversation_id = conversation.id
    session.expire_all()
    kept = await session.get(Message, reply["id"])
    assert kept is not None and kept.text == "Hello!" and kept.author_user_id is None
    thread = await session.get(Conversation, conversation_id)
    assert thread is not None and thread.assignee_id is None
    messages = await client.get(f"{INBOX}/{conversation_id}/messages", headers=owner.headers)
    assert messages.status_code == 200
    assert "Hello!" in [m["text"] for m in messages.json()["items"]]


async def test_members_may_remove_themselves_and_the_log_still_names_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    admin = await join(client, owner.headers, "admin")

    response = await remove(client, admin.headers, admin.user_id)

    assert response.status_code == 204
    assert (await client.get(MEMBERS, headers=admin.headers)).status_code == 401
    (entry,) = await audit_entries(session, owner.tenant_id, "team.member_removed")
    assert entry.actor_label == admin.email and entry.actor_user_id is None  # the row is gone
    assert entry.details == {"role": "admin", "self": True}


async def test_the_last_owner_cannot_be_removed(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)

    response = await remove(client, owner.headers, owner.user_id)

    assert response.status_code == 409 and response.json()["error"] == "last_owner"
    assert (await client.get(MEMBERS, headers=owner.headers)).status_code == 200


async def test_an_owner_removes_another_owner_or_leaves_while_one_stays(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_account(client)
    second = await join(client, owner.headers, "owner")
    third = await join(client, owner.headers, "owner")

    assert (await remove(client, owner.headers, second.user_id)).status_code == 204
    assert (await remove(client, owner.headers, owner.user_id)).status_code == 204

    assert await roles(
        client,
        Account(
            third.email, owner.tenant_id, third.user_id, third.access_token, third.refresh_token
        ),
    ) == {third.user_id: "owner"}


async def test_another_tenants_member_is_404_and_untouched(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await create_account(client, "Acme")
    globex = await create_account(client, "Globex")
    theirs = await join(client, globex.headers, "agent")

    answers = [
        await set_role(client, acme.headers, theirs.user_id, "viewer"),
        await remove(client, acme.headers, theirs.user_id),
        await client.post(TRANSFER, json={"user_id": str(theirs.user_id)}, headers=acme.headers),
        await set_role(client, acme.headers, uuid.uuid4(), "viewer"),
    ]

    for response in answers:
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "member_not_found"
    assert (await roles(client, globex))[theirs.user_id] == "agent"
    assert (await client.get(MEMBERS, headers=theirs.headers)).status_code == 200


# --- transferring ownership -------------------------------------------------------------


async def test_ownership_transfer_swaps_roles_in_one_step(
    client: httpx.AsyncClient, session: AsyncSession, disconnected: list[uuid.UUID]
) -> None:
    owner = await create_account(client)
    agent = await join(client, owner.headers, "agent")

    response = await client.post(
        TRANSFER, json={"user_id": str(agent.user_id)}, headers=owner.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["owner"]["id"] == str(agent.user_id) and body["owner"]["role"] == "owner"
    assert body["previous_owner"]["id"] == str(owner.user_id)
    assert body["previous_owner"]["role"] == "admin"
    assert await roles(client, owner) == {owner.user_id: "admin", agent.user_id: "owner"}
    (entry,) = await audit_entries(session, owner.tenant_id, "team.ownership_transferred")
    assert entry.target_id == str(agent.user_id)
    assert entry.details == {"from": "agent", "previous_owner": owner.email}
    assert sorted(disconnected) == sorted([agent.user_id, owner.user_id])
    # The previous owner has lost tenant:own at once; the new one has it.
    again = await client.post(TRANSFER, json={"user_id": str(agent.user_id)}, headers=owner.headers)
    assert again.status_code == 403
    back = await client.post(TRANSFER, json={"user_id": str(owner.user_id)}, headers=agent.headers)
    assert back.status_code == 200


async def test_transfer_needs_an_owner_and_another_member(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    admin = await join(client, owner.headers, "admin")

    by_admin = await client.post(
        TRANSFER, json={"user_id": str(admin.user_id)}, headers=admin.headers
    )
    to_self = await client.post(
        TRANSFER, json={"user_id": str(owner.user_id)}, headers=owner.headers
    )

    assert by_admin.status_code == 403 and "tenant:own" in by_admin.json()["detail"]
    assert to_self.status_code == 422 and to_self.json()["error"] == "invalid_transfer"
    assert await roles(client, owner) == {owner.user_id: "owner", admin.user_id: "admin"}


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.committing
async def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    second = await join(client, owner.headers, "owner")

    answers = await asyncio.gather(
        set_role(client, owner.headers, second.user_id, "admin"),
        set_role(client, second.headers, owner.user_id, "admin"),
    )

    codes = sorted(a.status_code for a in answers)
    # The loser finds itself the last owner (409), or already demoted when it starts (403).
    assert codes in ([200, 403], [200, 409]), codes
    owners = await session.execute(
        select(User.id).where(User.tenant_id == owner.tenant_id, User.role == Role.OWNER)
    )
    assert len(owners.scalars().all()) == 1


@pytest.mark.committing
async def test_two_owners_removing_each_other_at_once_leave_one_owner(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client)
    second = await join(client, owner.headers, "owner")

    answers = await asyncio.gather(
        remove(client, owner.headers, second.user_id),
        remove(client, second.headers, owner.user_id),
    )

    codes = sorted(a.status_code for a in answers)
    # The loser is already gone when it starts (401) or when it gets the lock (403), or
    # finds itself the last owner (409): never both removed.
    assert codes in ([204, 401], [204, 403], [204, 409]), codes
    owners = await session.execute(
        select(User.id).where(User.tenant_id == owner.tenant_id, User.role == Role.OWNER)
    )
    assert len(owners.scalars().all()) == 1
