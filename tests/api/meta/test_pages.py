"""Choosing and connecting Facebook Pages after Facebook Login (meta-platform.md §2, §4.1)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import get_secret_box
from api.jobs import QUEUE_NAME
from api.models import Channel, ChannelKind, ChannelStatus, MetaAccount, MetaAccountStatus
from api.vault import open_token
from tests.api.meta.fake_meta import FakeMeta, FakePage, default_user, graph_error
from tests.api.meta.flows import connect_pages, create_agent, messenger_login
from tests.helpers import Account, EventRecorder, create_account


async def _channels(session: AsyncSession, tenant_id: uuid.UUID | None = None) -> list[Channel]:
    statement = (
        select(Channel).order_by(Channel.created_at).execution_options(populate_existing=True)
    )
    if tenant_id is not None:
        statement = statement.where(Channel.tenant_id == tenant_id)
    return list((await session.execute(statement)).scalars())


async def _queued_jobs(redis: object) -> list[str]:
    return [key.decode() for key in await redis.zrange(QUEUE_NAME, 0, -1)]  # type: ignore[attr-defined]


async def _list_pages(
    client: httpx.AsyncClient, account: Account, meta_account_id: uuid.UUID
) -> httpx.Response:
    return await client.get(f"/api/meta/accounts/{meta_account_id}/pages", headers=account.headers)


async def test_pages_show_where_they_are_connected_and_whether_they_can_message(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    ada = meta.users[0]
    support, sales = ada.pages
    ada.pages.append(FakePage("104000000000009", "Ada Ads", "EAApageADAads", tasks=["ANALYZE"]))
    # Bob (another workspace's Facebook user) manages the Sales page too, with his own token.
    bob = meta.add_user(default_user("bob", id_base=500))
    bob.pages = [FakePage(sales.id, sales.name, "EAApageBOBsales")]
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    bob_account = await messenger_login(client, globex, bob)
    assert (await connect_pages(client, globex, bob_account, [sales.id])).status_code == 201
    ada_account = await messenger_login(client, acme, ada)
    assert (await connect_pages(client, acme, ada_account, [support.id])).status_code == 201

    response = await _list_pages(client, acme, ada_account)

    assert response.status_code == 200
    pages = {p["id"]: p for p in response.json()["items"]}
    assert pages == {
        support.id: {
            "id": support.id,
            "name": "Ada Support",
            "category": support.category,
            "can_message": True,
            "connected": "here",
        },
        sales.id: {
            "id": sales.id,
            "name": "Ada Sales",
            "category": sales.category,
            "can_message": True,
            "connected": "elsewhere",
        },
        "104000000000009": {
            "id": "104000000000009",
            "name": "Ada Ads",
            "category": "Shopping & Retail",
            "can_message": False,
            "connected": None,
        },
    }
    assert "access_token" not in response.text
    assert all(p.access_token not in response.text for p in ada.pages)
    listing = (await _list_pages(client, globex, bob_account)).json()["items"]
    assert [(p["id"], p["connected"]) for p in listing] == [(sales.id, "here")]


async def test_pages_are_read_across_cursor_pages(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    meta.page_size = 1
    meta.users[0].pages.append(FakePage("104000000000003", "Ada Ops", "EAApageADAops"))
    account = await create_account(client)
    meta_account_id = await messenger_login(client, account, meta.users[0])

    response = await _list_pages(client, account, meta_account_id)

    assert [p["id"] for p in response.json()["items"]] == [p.id for p in meta.users[0].pages]
    assert len(meta.calls_to("GET", "me/accounts")) == 3


async def test_connecting_pages_seals_their_tokens_and_subscribes_them(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    meta_account_id = await messenger_login(client, account, ada)
    events.published.clear()

    response = await connect_pages(client, account, meta_account_id, [p.id for p in ada.pages])

    assert response.status_code == 201
    items = response.json()["items"]
    assert [(c["external_id"], c["name"], c["kind"], c["status"], c["health"]) for c in items] == [
        (p.id, p.name, "messenger", "active", "ok") for p in ada.pages
    ]
    assert all(c["token_expires_at"] is None for c in items)
    channels = await _channels(session)
    assert {str(c.id) for c in channels} == {c["id"] for c in items}
    box = get_secret_box()
    for page in ada.pages:
        channel = next(c for c in channels if c.external_id == page.id)
        assert channel.tenant_id == account.tenant_id
        assert channel.kind is ChannelKind.MESSENGER
        assert channel.status is ChannelStatus.ACTIVE
        assert channel.meta_account_id == meta_account_id
        assert channel.token_ciphertext is not None
        assert page.access_token.encode() not in channel.token_ciphertext
        assert open_token(box, channel) == page.access_token
        (subscribe,) = meta.calls_to("POST", f"{page.id}/subscribed_apps")
        assert subscribe.token == page.access_token
        assert "access_token" not in subscribe.params
        fields = subscribe.params["subscribed_fields"].split(",")
        assert {"messages", "message_echoes"} <= set(fields)
    assert events.names() == ["channel:updated", "channel:updated"]
    assert all(tenant == account.tenant_id for tenant, _, _ in events.published)
    listed = await client.get("/api/channels", headers=account.headers)
    assert {c["external_id"] for c in listed.json()["items"]} == {p.id for p in ada.pages}


async def test_connecting_a_page_again_reuses_its_channel(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = meta.users[0].pages[0]
    meta_account_id = await messenger_login(client, account, meta.users[0])
    first = (await connect_pages(client, account, meta_account_id, [page.id])).json()["items"][0]
    page.access_token = "EAApageADArenewed"

    second = (await connect_pages(client, account, meta_account_id, [page.id])).json()["items"][0]

    assert first["id"] == second["id"]
    (channel,) = await _channels(session)
    assert open_token(get_secret_box(), channel) == "EAApageADArenewed"


async def test_a_page_named_twice_is_connected_once(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = meta.users[0].pages[0]
    meta_account_id = await messenger_login(client, account, meta.users[0])

    response = await connect_pages(client, account, meta_account_id, [page.id, page.id])

    assert response.status_code == 201
    assert len(response.json()["items"]) == 1
    assert len(await _channels(session)) == 1
    assert len(meta.calls_to("POST", f"{page.id}/subscribed_apps")) == 1


async def test_a_page_connected_by_another_workspace_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    ada = meta.users[0]
    page = ada.pages[0]
    bob = meta.add_user(default_user("bob", id_base=500))
    bob.pages = [FakePage(page.id, page.name, "EAApageBOBsupport")]
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    assert (
        await connect_pages(client, globex, await messenger_login(client, globex, bob), [page.id])
    ).status_code == 201
    ada_account = await messenger_login(client, acme, ada)
    subscribed_before = len(meta.calls_to("POST", f"{page.id}/subscribed_apps"))

    response = await connect_pages(client, acme, ada_account, [ada.pages[1].id, page.id])

    assert response.status_code == 409
    assert response.json()["error"] == "page_connected_elsewhere"
    assert page.name in response.json()["detail"]
    assert await _channels(session, acme.tenant_id) == []
    assert len(meta.calls_to("POST", f"{page.id}/subscribed_apps")) == subscribed_before
    assert meta.calls_to("POST", f"{ada.pages[1].id}/subscribed_apps") == []
    (globex_channel,) = await _channels(session, globex.tenant_id)
    assert open_token(get_secret_box(), globex_channel) == "EAApageBOBsupport"


@pytest.mark.parametrize("page_ids", [["999999999"], ["104000000000001", "999999999"]])
async def test_a_page_the_login_cannot_reach_is_404(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, page_ids: list[str]
) -> None:
    account = await create_account(client)
    meta_account_id = await messenger_login(client, account, meta.users[0])

    response = await connect_pages(client, account, meta_account_id, page_ids)

    assert response.status_code == 404
    assert await _channels(session) == []
    assert [c for c in meta.calls if c.path.endswith("subscribed_apps")] == []


async def test_a_page_without_the_messaging_task_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    meta.users[0].pages[0].tasks = ["ANALYZE", "ADVERTISE"]
    account = await create_account(client)
    meta_account_id = await messenger_login(client, account, meta.users[0])

    response = await connect_pages(client, account, meta_account_id, [meta.users[0].pages[0].id])

    assert response.status_code == 400
    assert response.json()["error"] == "page_not_messageable"
    assert await _channels(session) == []


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (graph_error(200, "Permissions error", status=403), 409, "meta_refused"),
        (graph_error(2, "Service temporarily unavailable", status=503, transient=True), 502, "meta_error"),
        (graph_error(190, "Error validating access token", subcode=460), 409, "needs_reauth"),
    ],
)  # fmt: skip
async def test_a_meta_error_while_subscribing_stores_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    meta: FakeMeta,
    events: EventRecorder,
    redis: object,
    failure: httpx.Response,
    status: int,
    code: str,
) -> None:
    account = await create_account(client)
    support, sales = meta.users[0].pages
    meta_account_id = await messenger_login(client, account, meta.users[0])
    meta.fail("POST", f"{sales.id}/subscribed_apps", failure)
    events.published.clear()

    response = await connect_pages(
        client, account, meta_account_id, [support.id, sales.id], import_history=True
    )

    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert await _channels(session) == []
    assert events.published == []
    assert await _queued_jobs(redis) == []


async def test_a_dead_login_is_flagged_when_listing_pages(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta_account_id = await messenger_login(client, account, meta.users[0])
    meta.revoked.add(meta.users[0].long_token)

    response = await _list_pages(client, account, meta_account_id)

    assert response.status_code == 409
    assert response.json()["error"] == "needs_reauth"
    stored = await session.get(MetaAccount, meta_account_id, populate_existing=True)
    assert stored is not None
    # ConnectService._flag_account marks the login as needing re-auth; it must stick.
    assert stored.status is MetaAccountStatus.NEEDS_REAUTH


async def test_another_workspaces_account_is_404(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    acme_account = await messenger_login(client, acme, meta.users[0])
    page_id = meta.users[0].pages[0].id

    listing = await _list_pages(client, globex, acme_account)
    connecting = await connect_pages(client, globex, acme_account, [page_id])

    assert listing.status_code == 404 and connecting.status_code == 404
    assert connecting.json()["error"] == "not_found"
    assert await _channels(session) == []
    unknown = await _list_pages(client, acme, uuid.uuid4())
    assert unknown.status_code == 404


async def test_an_agent_may_not_list_or_connect_pages(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta_account_id = await messenger_login(client, account, meta.users[0])
    agent = await create_agent(client, session, account.tenant_id)
    page_id = meta.users[0].pages[0].id

    listing = await client.get(f"/api/meta/accounts/{meta_account_id}/pages", headers=agent)
    connecting = await client.post(
        f"/api/meta/accounts/{meta_account_id}/pages/connect",
        json={"page_ids": [page_id]},
        headers=agent,
    )

    assert listing.status_code == 403 and connecting.status_code == 403
    assert await _channels(session) == []


async def test_import_history_queues_one_job_per_page(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, redis: object
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    meta_account_id = await messenger_login(client, account, ada)

    response = await connect_pages(
        client, account, meta_account_id, [p.id for p in ada.pages], import_history=True
    )

    assert response.status_code == 201
    items = response.json()["items"]
    assert all(c["history_import"]["status"] == "queued" for c in items)
    assert sorted(await _queued_jobs(redis)) == sorted(f"history:{c['id']}" for c in items)
    job = await redis.get(f"arq:job:history:{items[0]['id']}")  # type: ignore[attr-defined]
    assert job is not None and b"channels.import_history" in job


async def test_without_import_history_nothing_is_queued(
    client: httpx.AsyncClient, meta: FakeMeta, redis: object
) -> None:
    account = await create_account(client)
    meta_account_id = await messenger_login(client, account, meta.users[0])

    response = await connect_pages(client, account, meta_account_id, [meta.users[0].pages[0].id])

    assert response.json()["items"][0]["history_import"]["status"] == "none"
    assert await _queued_jobs(redis) == []


async def test_connect_needs_at_least_one_page(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta_account_id = await messenger_login(client, account, meta.users[0])
    response = await connect_pages(client, account, meta_account_id, [])
    assert response.status_code == 422
    count = await session.execute(select(func.count()).select_from(Channel))
    assert count.scalar_one() == 0
