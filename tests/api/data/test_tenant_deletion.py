"""Deleting the tenant: the owner retypes its name and their password; the workspace closes
at once (every token and key refused, every socket disconnected) and a job revokes
Parley's access at Meta (respx stands in for the Graph API), deletes the stored files and
erases every row, leaving every other tenant as it was."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.crypto import get_secret_box
from api.data.erase import TenantEraser
from api.meta.client import MetaClient
from api.meta.graph import get_graph_client
from api.models import (
    Channel,
    ChannelKind,
    Conversation,
    Message,
    MetaAccount,
    Role,
    Tenant,
    User,
    WebhookEvent,
    WebhookEventRoute,
    WebhookEventStatus,
)
from api.storage import Storage, get_storage
from api.vault import seal_token
from realtime.auth import Refused, authenticate
from tests.api.data.data_helpers import PASSWORD, audit_actions, first_message, stored_file
from tests.api.inbox.inbox_data import Team, create_team, create_teammate, create_thread
from tests.helpers import create_account

# The tokens tests.helpers seals on the team's page and number.
PAGE_TOKEN = "page-token"
WA_TOKEN = "wa-system-user-token"
USER_TOKEN = "EAAG-user-token-of-acme"
FB_USER = "1000777"


def eraser() -> TenantEraser:
    client = MetaClient(get_graph_client(), get_settings().meta)
    return TenantEraser(client, get_secret_box(), get_storage())


async def delete_tenant(
    client: httpx.AsyncClient, headers: dict[str, str], confirm: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.request(
        "DELETE", "/api/tenant", json={"confirm": confirm, "password": password}, headers=headers
    )


async def connected(session: AsyncSession, team: Team) -> tuple[Channel, Channel]:
    """The tenant's Facebook login (with its token) beside its page and number."""
    account = MetaAccount(tenant_id=team.tenant_id, fb_user_id=FB_USER, name="Ana", scopes=[])
    seal_token(get_secret_box(), account, USER_TOKEN)
    session.add(account)
    await session.commit()
    return team.messenger, team.whatsapp


async def count(session: AsyncSession, model: Any, tenant_id: uuid.UUID) -> int:
    statement = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
    return int((await session.execute(statement)).scalar_one())


def graph_revocations(graph: respx.MockRouter, page: Channel, number: Channel) -> dict[str, Any]:
    return {
        "page": graph.delete(f"/{page.external_id}/subscribed_apps").respond(
            200, json={"success": True}
        ),
        "waba": graph.delete(f"/{number.waba_id}/subscribed_apps").respond(
            200, json={"success": True}
        ),
        "login": graph.delete(f"/{FB_USER}/permissions").respond(200, json={"success": True}),
    }


async def test_the_name_must_match_and_the_password_be_right(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session)
    owner = team.owner.headers

    mismatch = await delete_tenant(client, owner, "acme")
    wrong = await delete_tenant(client, owner, "Acme", password="not my password")

    assert mismatch.status_code == 422 and mismatch.json()["error"] == "confirmation_mismatch"
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_password"
    tenant = await session.get(Tenant, team.tenant_id, populate_existing=True)
    assert tenant is not None and tenant.deletion_requested_at is None
    assert (await client.get("/api/auth/me", headers=owner)).status_code == 200
    missing = await client.request("DELETE", "/api/tenant", json={}, headers=owner)
    assert missing.status_code == 422


async def test_only_the_owner_may_delete_the_workspace(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    team = await create_team(client, session)
    admin = await create_teammate(session, team.tenant_id, Role.ADMIN)
    key = await client.post(
        "/api/api-keys", json={"name": "ops", "role": "admin"}, headers=team.owner.headers
    )
    key_headers = {"Authorization": f"Bearer {key.json()['secret']}"}
    for headers in (admin.headers, team.agent.headers, team.viewer.headers, key_headers):
        response = await delete_tenant(client, headers, "Acme")
        assert response.status_code == 403, response.text
        assert response.json()["permission"] == "tenant:own"
    assert (await client.get("/api/auth/me", headers=admin.headers)).status_code == 200


async def test_deleting_closes_the_workspace_at_once(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    team = await create_team(client, session)
    key = await client.post(
        "/api/api-keys", json={"name": "ops", "role": "agent"}, headers=team.owner.headers
    )
    key_headers = {"Authorization": f"Bearer {key.json()['secret']}"}
    disconnected: list[uuid.UUID] = []

    async def record_disconnect(user_id: uuid.UUID) -> None:
        disconnected.append(user_id)

    monkeypatch.setattr("api.events.disconnect_user", record_disconnect)

    response = await delete_tenant(client, team.owner.headers, "Acme")

    assert response.status_code == 202, response.text
    assert response.json()["tenant_id"] == str(team.tenant_id)
    for headers in (team.owner.headers, team.agent.headers, team.viewer.headers, key_headers):
        refused = await client.get("/api/inbox/conversations", headers=headers)
        assert refused.status_code == 401, refused.text
    assert set(disconnected) == {team.owner.user_id, team.agent.user_id, team.viewer.user_id}
    # A socket cannot reconnect either.
    with pytest.raises(Refused) as refused_socket:
        await authenticate(get_settings().auth, team.owner.access_token)
    assert refused_socket.value.code == "unauthorized"
    assert f"erase:{team.tenant_id}".encode() in await redis.zrange("parley:queue", 0, -1)
    assert ("tenant.deletion_requested", str(team.tenant_id)) in await audit_actions(
        session, team.tenant_id
    )


async def test_the_job_revokes_at_meta_deletes_files_and_rows_and_spares_other_tenants(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    graph: respx.MockRouter,
) -> None:
    team = await create_team(client, session)
    page, number = await connected(session, team)
    conversation = await create_thread(session, team.messenger, texts=("hi", "there"))
    file = await stored_file(session, storage, await first_message(session, conversation))
    await storage.put(f"exports/{team.tenant_id}/x.zip", b"zip", "application/zip")
    other = await create_team(client, session, name="Other Co")
    other_conversation = await create_thread(session, other.messenger, texts=("mine",))
    other_file = await stored_file(
        session, storage, await first_message(session, other_conversation)
    )
    own_event, shared_event = await webhook_events(session, team, other)
    calls = graph_revocations(graph, page, number)
    assert (await delete_tenant(client, team.owner.headers, "Acme")).status_code == 202

    assert (await eraser().run(team.tenant_id)).startswith("erased (0 revocations failed)")

    assert calls["page"].call_count == 1 and calls["waba"].call_count == 1
    assert calls["login"].call_count == 1
    bearer = {name: c.calls.last.request.headers["authorization"] for name, c in calls.items()}
    assert bearer == {
        "page": f"Bearer {PAGE_TOKEN}",
        "waba": f"Bearer {WA_TOKEN}",
        "login": f"Bearer {USER_TOKEN}",
    }
    assert await session.get(Tenant, team.tenant_id, populate_existing=True) is None
    for model in (User, Channel, Conversation, Message, MetaAccount):
        assert await count(session, model, team.tenant_id) == 0, model.__name__
    assert await storage.head(file.storage_key or "") is None
    assert await storage.head(f"exports/{team.tenant_id}/x.zip") is None
    assert await session.get(WebhookEvent, own_event, populate_existing=True) is None
    assert await session.get(WebhookEvent, shared_event, populate_existing=True) is not None
    # The other tenant is as it was.
    assert await count(session, User, other.tenant_id) == 3
    assert await count(session, Message, other.tenant_id) == 1
    assert await storage.head(other_file.storage_key or "") is not None
    listed = await client.get("/api/inbox/conversations", headers=other.owner.headers)
    assert [c["id"] for c in listed.json()["items"]] == [str(other_conversation.id)]
    # The page and the number are free to connect again, to another tenant.
    session.add(
        Channel(
            tenant_id=other.tenant_id,
            kind=ChannelKind.MESSENGER,
            external_id=page.external_id,
            name="Moved",
        )
    )
    await session.commit()
    # The old owner can sign up again with the same email.
    again = await client.post(
        "/api/auth/register",
        json={"email": team.owner.email, "password": PASSWORD, "tenant_name": "Acme 2"},
    )
    assert again.status_code == 201, again.text


async def test_the_job_is_idempotent_and_survives_revocation_failures(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    graph: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    team = await create_team(client, session)
    page, number = await connected(session, team)
    graph.delete(f"/{page.external_id}/subscribed_apps").respond(
        400, json={"error": {"code": 190, "message": "Error validating access token"}}
    )
    graph.delete(f"/{number.waba_id}/subscribed_apps").respond(500, json={})
    login = graph.delete(f"/{FB_USER}/permissions").respond(200, json={"success": True})
    await delete_tenant(client, team.owner.headers, "Acme")

    with caplog.at_level(logging.INFO):
        first = await eraser().run(team.tenant_id)
        second = await eraser().run(team.tenant_id)

    assert first == "erased (2 revocations failed)"
    assert second == "already erased"
    assert login.call_count == 1
    assert await session.get(Tenant, team.tenant_id, populate_existing=True) is None
    logged = caplog.text
    assert f"could not revoke page {page.external_id} at Meta (190)" in logged
    for token in (PAGE_TOKEN, WA_TOKEN, USER_TOKEN):
        assert token not in logged


async def test_a_tenant_nobody_asked_to_delete_is_never_erased(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account = await create_account(client)

    assert await eraser().run(account.tenant_id) == "not requested"

    assert await session.get(Tenant, account.tenant_id, populate_existing=True) is not None
    assert (await client.get("/api/auth/me", headers=account.headers)).status_code == 200


async def webhook_events(
    session: AsyncSession, team: Team, other: Team
) -> tuple[uuid.UUID, uuid.UUID]:
    """A raw delivery routed to this tenant only, and one routed to both tenants."""
    events = [
        WebhookEvent(
            id=uuid.uuid4(),
            dedup_key=uuid.uuid4().hex,
            raw_body=b"{}",
            status=WebhookEventStatus.PROCESSED,
            received_at=func.now(),
        )
        for _ in range(2)
    ]
    session.add_all(events)
    await session.flush()
    session.add_all(
        [
            WebhookEventRoute(
                event_id=events[0].id, channel_id=team.messenger.id, tenant_id=team.tenant_id
            ),
            WebhookEventRoute(
                event_id=events[1].id, channel_id=team.messenger.id, tenant_id=team.tenant_id
            ),
            WebhookEventRoute(
                event_id=events[1].id, channel_id=other.messenger.id, tenant_id=other.tenant_id
            ),
        ]
    )
    await session.commit()
    return events[0].id, events[1].id


async def test_grants_another_workspace_still_uses_are_left_alone(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    graph: respx.MockRouter,
) -> None:
    team = await create_team(client, session)
    page, number = await connected(session, team)
    other = await create_team(client, session, name="Other Co")
    # The same person connected the other workspace, and it has a number on the same WABA.
    theirs = MetaAccount(tenant_id=other.tenant_id, fb_user_id=FB_USER, name="Ana", scopes=[])
    seal_token(get_secret_box(), theirs, "their-user-token")
    other.whatsapp.waba_id = number.waba_id
    session.add(theirs)
    await session.commit()
    calls = graph_revocations(graph, page, number)
    await delete_tenant(client, team.owner.headers, "Acme")

    assert await eraser().run(team.tenant_id) == "erased (0 revocations failed)"

    assert calls["page"].call_count == 1
    assert calls["waba"].call_count == 0 and calls["login"].call_count == 0
    assert await session.get(Tenant, team.tenant_id, populate_existing=True) is None
    kept = await session.get(MetaAccount, theirs.id, populate_existing=True)
    assert kept is not None and kept.token_ciphertext is not None
