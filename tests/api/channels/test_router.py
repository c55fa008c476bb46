"""Managing connected channels: list, rename, disconnect (history kept), reconnect."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import get_secret_box
from api.jobs import QUEUE_NAME
from api.models import Channel, ChannelStatus, Conversation, Message, OAuthState
from api.vault import open_token
from tests.api.inbox.test_router import customer_writes
from tests.api.meta.fake_meta import FakeMeta, FakePage, default_user, graph_error
from tests.api.meta.flows import (
    callback,
    connect_pages,
    connected_number,
    connected_page,
    create_agent,
    messenger_login,
    public_url,
    split,
)
from tests.helpers import Account, EventRecorder, create_account


async def _channel(session: AsyncSession, channel_id: str | uuid.UUID) -> Channel:
    channel = await session.get(Channel, uuid.UUID(str(channel_id)), populate_existing=True)
    assert channel is not None
    return channel


async def _count(session: AsyncSession, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _set_status(session: AsyncSession, channel_id: str, status: ChannelStatus) -> None:
    await session.execute(
        update(Channel).where(Channel.id == uuid.UUID(channel_id)).values(status=status)
    )
    await session.commit()


async def _reconnect(
    client: httpx.AsyncClient, account: Account, channel_id: str
) -> httpx.Response:
    return await client.post(f"/api/channels/{channel_id}/reconnect", headers=account.headers)


# --- list and rename -------------------------------------------------------------


async def test_members_see_the_workspaces_channels_with_health(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    page = await connected_page(client, acme, meta.users[0])
    await connected_page(client, globex, meta.add_user(default_user("bob", id_base=500)))
    agent = await create_agent(client, session, acme.tenant_id)

    response = await client.get("/api/channels", headers=agent)

    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["id"] == page["id"]
    assert item["health"] == "ok"
    assert item["history_import"] == {"status": "none", "imported": 0, "total": None, "error": None}
    assert {k for k in item if "token" in k} == {"token_expires_at", "token_checked_at"}


async def test_rename_trims_and_announces(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    events.published.clear()

    response = await client.patch(
        f"/api/channels/{page['id']}", json={"name": "  Front desk  "}, headers=account.headers
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Front desk"
    assert (await _channel(session, page["id"])).name == "Front desk"
    ((tenant, name, payload),) = events.published
    assert (tenant, name) == (account.tenant_id, "channel:updated")
    assert payload["channel"]["name"] == "Front desk"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_rename_refuses_a_blank_or_long_name(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, name: str
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])

    response = await client.patch(
        f"/api/channels/{page['id']}", json={"name": name}, headers=account.headers
    )

    assert response.status_code == 422
    assert (await _channel(session, page["id"])).name == page["name"]


async def test_agents_may_not_manage_channels(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    agent = await create_agent(client, session, account.tenant_id)
    url = f"/api/channels/{page['id']}"

    answers = [
        await client.patch(url, json={"name": "Mine now"}, headers=agent),
        await client.delete(url, headers=agent),
        await client.post(f"{url}/reconnect", headers=agent),
        await client.post(f"{url}/import-history", headers=agent),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    channel = await _channel(session, page["id"])
    assert channel.name == page["name"] and channel.status is ChannelStatus.ACTIVE
    assert meta.calls_to("DELETE", f"{page['external_id']}/subscribed_apps") == []
    assert await _count(session, OAuthState) == 1  # only the owner's login


async def test_another_workspaces_channel_is_404(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    page = await connected_page(client, acme, meta.users[0])

    for channel_id in (page["id"], str(uuid.uuid4())):
        url = f"/api/channels/{channel_id}"
        answers = [
            await client.patch(url, json={"name": "Hijacked"}, headers=globex.headers),
            await client.delete(url, headers=globex.headers),
            await client.post(f"{url}/reconnect", headers=globex.headers),
            await client.post(f"{url}/import-history", headers=globex.headers),
        ]
        assert [a.status_code for a in answers] == [404, 404, 404, 404]

    channel = await _channel(session, page["id"])
    assert channel.name == page["name"] and channel.status is ChannelStatus.ACTIVE
    assert channel.token_ciphertext is not None
    assert await _count(session, OAuthState) == 1


# --- read receipts setting ---------------------------------------------------------


async def test_read_receipts_are_off_until_an_admin_turns_them_on(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    assert page["send_read_receipts"] is False
    events.published.clear()

    response = await client.patch(
        f"/api/channels/{page['id']}", json={"send_read_receipts": True}, headers=account.headers
    )

    assert response.status_code == 200
    assert response.json()["send_read_receipts"] is True
    assert response.json()["name"] == page["name"]  # only the field given changes
    assert (await _channel(session, page["id"])).send_read_receipts is True
    ((_, name, payload),) = events.published
    assert name == "channel:updated" and payload["channel"]["send_read_receipts"] is True
    (listed,) = (await client.get("/api/channels", headers=account.headers)).json()["items"]
    assert listed["send_read_receipts"] is True


async def test_name_and_read_receipts_change_together(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    url = f"/api/channels/{page['id']}"
    await client.patch(url, json={"send_read_receipts": True}, headers=account.headers)

    response = await client.patch(
        url, json={"name": "Front desk", "send_read_receipts": False}, headers=account.headers
    )

    assert response.status_code == 200
    channel = await _channel(session, page["id"])
    assert (channel.name, channel.send_read_receipts) == ("Front desk", False)


@pytest.mark.parametrize(
    "body",
    [{}, {"send_read_receipts": None}, {"name": None}, {"send_read_receipts": "maybe"}, {"x": 1}],
)
async def test_a_channel_update_with_nothing_valid_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, body: dict[str, Any]
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])

    response = await client.patch(f"/api/channels/{page['id']}", json=body, headers=account.headers)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    channel = await _channel(session, page["id"])
    assert (channel.name, channel.send_read_receipts) == (page["name"], False)


async def test_agents_may_not_turn_read_receipts_on(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    agent = await create_agent(client, session, account.tenant_id)

    response = await client.patch(
        f"/api/channels/{page['id']}", json={"send_read_receipts": True}, headers=agent
    )

    assert response.status_code == 403
    assert (await _channel(session, page["id"])).send_read_receipts is False


# --- disconnect ------------------------------------------------------------------


async def test_disconnect_unsubscribes_wipes_the_token_and_keeps_history(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    page = await connected_page(client, account, ada)
    await customer_writes(client, session, page["external_id"], text="Is my order late?")
    events.published.clear()

    response = await client.delete(f"/api/channels/{page['id']}", headers=account.headers)

    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    assert response.json()["health"] == "disconnected"
    (unsubscribe,) = meta.calls_to("DELETE", f"{page['external_id']}/subscribed_apps")
    assert unsubscribe.token == ada.pages[0].access_token
    assert page["external_id"] not in meta.page_subscriptions
    channel = await _channel(session, page["id"])
    assert channel.status is ChannelStatus.DISCONNECTED
    assert channel.token_ciphertext is None and channel.token_key_id is None
    assert await _count(session, Conversation) == 1
    assert await _count(session, Message) == 1
    assert events.names() == ["channel:updated"]
    listed = (await client.get("/api/channels", headers=account.headers)).json()["items"]
    assert [(c["id"], c["status"]) for c in listed] == [(page["id"], "disconnected")]


async def test_after_a_disconnect_another_workspace_can_connect_the_page(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    ada = meta.users[0]
    page = ada.pages[0]
    bob = meta.add_user(default_user("bob", id_base=500))
    bob.pages = [FakePage(page.id, page.name, "EAApageBOBsupport")]
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    acme_channel = await connected_page(client, acme, ada)
    bob_account = await messenger_login(client, globex, bob)
    assert (await connect_pages(client, globex, bob_account, [page.id])).status_code == 409
    assert (
        await client.delete(f"/api/channels/{acme_channel['id']}", headers=acme.headers)
    ).status_code == 200

    response = await connect_pages(client, globex, bob_account, [page.id])

    assert response.status_code == 201
    globex_channel = response.json()["items"][0]
    assert globex_channel["id"] != acme_channel["id"]
    rows = (
        await session.execute(
            select(Channel.tenant_id, Channel.status).where(Channel.external_id == page.id)
        )
    ).all()
    assert sorted((str(t), s.value) for t, s in rows) == sorted(
        [(str(acme.tenant_id), "disconnected"), (str(globex.tenant_id), "active")]
    )
    # Acme can no longer take it back while Globex has it.
    acme_account = await messenger_login(client, acme, ada)
    again = await connect_pages(client, acme, acme_account, [page.id])
    assert again.status_code == 409


@pytest.mark.parametrize(
    "failure",
    [
        graph_error(190, "Error validating access token", subcode=460),
        graph_error(2, "Service temporarily unavailable", status=503, transient=True),
    ],
)
async def test_disconnect_works_even_when_meta_refuses_the_unsubscribe(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, failure: httpx.Response
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    meta.fail("DELETE", f"{page['external_id']}/subscribed_apps", failure)

    response = await client.delete(f"/api/channels/{page['id']}", headers=account.headers)

    assert response.status_code == 200
    assert len(meta.calls_to("DELETE", f"{page['external_id']}/subscribed_apps")) == 1
    channel = await _channel(session, page["id"])
    assert channel.status is ChannelStatus.DISCONNECTED and channel.token_ciphertext is None


async def test_disconnecting_twice_calls_meta_once(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    for _ in range(2):
        response = await client.delete(f"/api/channels/{page['id']}", headers=account.headers)
        assert response.status_code == 200
    assert len(meta.calls_to("DELETE", f"{page['external_id']}/subscribed_apps")) == 1


async def test_a_waba_is_unsubscribed_only_with_its_last_number(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    waba = user.businesses[0].owned[0]
    first = await connected_number(client, account, user, make_primary=True)
    login = await client.post(
        "/api/meta/whatsapp/login", json={"access_token": user.short_token}, headers=account.headers
    )
    second = await client.post(
        f"/api/meta/accounts/{login.json()['id']}/whatsapp/connect",
        json={"waba_id": waba.id, "phone_number_id": waba.numbers[1].id},
        headers=account.headers,
    )
    assert second.status_code == 201

    one = await client.delete(f"/api/channels/{first['id']}", headers=account.headers)
    assert one.status_code == 200
    assert one.json()["is_primary"] is False
    assert meta.calls_to("DELETE", f"{waba.id}/subscribed_apps") == []
    assert waba.id in meta.waba_subscriptions

    two = await client.delete(f"/api/channels/{second.json()['id']}", headers=account.headers)
    assert two.status_code == 200
    (unsubscribe,) = meta.calls_to("DELETE", f"{waba.id}/subscribed_apps")
    assert unsubscribe.token == user.long_token
    assert waba.id not in meta.waba_subscriptions


# --- reconnect -------------------------------------------------------------------


async def test_reconnect_starts_a_login_bound_to_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])

    response = await _reconnect(client, account, page["id"])

    assert response.status_code == 200
    base, query = split(response.json()["authorize_url"])
    assert base.endswith("/v25.0/dialog/oauth")
    assert query["redirect_uri"] == public_url("/api/meta/callback")
    assert len(query["state"]) >= 43
    rows = (
        await session.execute(select(OAuthState).where(OAuthState.channel_id.is_not(None)))
    ).scalars()
    (row,) = list(rows)
    assert str(row.channel_id) == page["id"]
    assert row.product == "messenger" and row.user_id == account.user_id


async def test_completing_a_reconnect_reseals_the_same_channel(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    page = await connected_page(client, account, ada)
    await customer_writes(client, session, page["external_id"])
    await _set_status(session, page["id"], ChannelStatus.NEEDS_REAUTH)
    await client.patch(
        f"/api/channels/{page['id']}", json={"name": "Front desk"}, headers=account.headers
    )
    ada.pages[0].access_token = "EAApageADAafterPasswordChange"
    state = split((await _reconnect(client, account, page["id"])).json()["authorize_url"])[1]
    events.published.clear()

    target, query = await callback(client, code=ada.code, state=state["state"])

    assert target == public_url("/channels")
    assert query == {"reconnected": page["id"]}
    assert await _count(session, Channel) == 1
    channel = await _channel(session, page["id"])
    assert channel.status is ChannelStatus.ACTIVE
    assert channel.name == "Front desk"
    assert open_token(get_secret_box(), channel) == "EAApageADAafterPasswordChange"
    assert await _count(session, Message) == 1
    subscribe = meta.calls_to("POST", f"{page['external_id']}/subscribed_apps")[-1]
    assert subscribe.token == "EAApageADAafterPasswordChange"
    assert "channel:updated" in events.names()
    listed = (await client.get("/api/channels", headers=account.headers)).json()["items"]
    assert [(c["id"], c["health"]) for c in listed] == [(page["id"], "ok")]


async def test_a_reconnect_whose_page_is_gone_reports_an_error(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    page = await connected_page(client, account, ada)
    await _set_status(session, page["id"], ChannelStatus.NEEDS_REAUTH)
    ada.pages = ada.pages[1:]  # the person lost their role on the page
    state = split((await _reconnect(client, account, page["id"])).json()["authorize_url"])[1]

    target, query = await callback(client, code=ada.code, state=state["state"])

    assert target == public_url("/channels")
    assert query["error"] == "not_found"
    channel = await _channel(session, page["id"])
    assert channel.status is ChannelStatus.NEEDS_REAUTH


async def test_reconnecting_a_whatsapp_number_keeps_it_primary(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    number = await connected_number(client, account, user, make_primary=True)
    await _set_status(session, number["id"], ChannelStatus.NEEDS_REAUTH)
    user.long_token = "EAAlongADAreconnected"
    response = await _reconnect(client, account, number["id"])
    state = split(response.json()["authorize_url"])[1]
    assert "whatsapp_business_messaging" in state["scope"].split(",")

    target, query = await callback(client, code=user.code, state=state["state"])

    assert (target, query) == (public_url("/channels"), {"reconnected": number["id"]})
    channel = await _channel(session, number["id"])
    assert channel.status is ChannelStatus.ACTIVE and channel.is_primary is True
    assert open_token(get_secret_box(), channel) == "EAAlongADAreconnected"
    assert await _count(session, Channel) == 1


# --- import history --------------------------------------------------------------


async def test_import_history_is_queued_for_an_active_page(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, redis: object
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])

    response = await client.post(
        f"/api/channels/{page['id']}/import-history", headers=account.headers
    )

    assert response.status_code == 202
    assert response.json()["history_import"]["status"] == "queued"
    queued = [k.decode() for k in await redis.zrange(QUEUE_NAME, 0, -1)]  # type: ignore[attr-defined]
    assert queued == [f"history:{page['id']}"]


async def test_import_history_is_refused_for_whatsapp_and_inactive_channels(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, redis: object
) -> None:
    account = await create_account(client)
    number = await connected_number(client, account, meta.users[0])
    page = await connected_page(client, account, meta.users[0])
    await _set_status(session, page["id"], ChannelStatus.NEEDS_REAUTH)

    whatsapp = await client.post(
        f"/api/channels/{number['id']}/import-history", headers=account.headers
    )
    inactive = await client.post(
        f"/api/channels/{page['id']}/import-history", headers=account.headers
    )

    assert (whatsapp.status_code, whatsapp.json()["error"]) == (400, "not_supported")
    assert (inactive.status_code, inactive.json()["error"]) == (409, "channel_inactive")
    queued = [k.decode() for k in await redis.zrange(QUEUE_NAME, 0, -1)]  # type: ignore[attr-defined]
    # No import was queued; the only job is the number's template sync from connecting it.
    assert queued == [f"templates:{account.tenant_id}:{number['waba_id']}"]
