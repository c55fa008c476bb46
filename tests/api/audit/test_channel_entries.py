"""Channel changes land in the audit log: connect, disconnect, rename and settings,
re-authorisation (the reconnect flow), and Meta revoking a login or a dead token."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, ChannelStatus
from tests.api.meta.fake_meta import FakeMeta, default_user, graph_error
from tests.api.meta.flows import (
    callback,
    connect_pages,
    connected_number,
    connected_page,
    messenger_login,
    split,
)
from tests.api.meta.signing import meta_payload, signed_request
from tests.helpers import Account, create_account
from worker import tasks

BROWSER = {"User-Agent": "Mozilla/5.0 (AuditTest)"}


async def entries(
    client: httpx.AsyncClient, account: Account, action: str = "channel."
) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/audit-logs", params={"action": action}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _set_status(session: AsyncSession, channel_id: str, status: ChannelStatus) -> None:
    await session.execute(
        update(Channel).where(Channel.id == uuid.UUID(channel_id)).values(status=status)
    )
    await session.commit()


# --- connect -----------------------------------------------------------------------


async def test_connecting_pages_writes_one_entry_per_page_with_actor_ip_and_target(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    support, sales = ada.pages
    meta_account_id = await messenger_login(client, account, ada)

    response = await client.post(
        f"/api/meta/accounts/{meta_account_id}/pages/connect",
        json={"page_ids": [support.id, sales.id], "import_history": False},
        headers={**account.headers, **BROWSER},
    )
    assert response.status_code == 201, response.text
    channel_ids = {c["external_id"]: c["id"] for c in response.json()["items"]}

    logged = await entries(client, account)

    assert sorted(
        (e["action"], e["target"]["id"], e["target"]["label"], e["details"]["external_id"])
        for e in logged
    ) == sorted(
        [
            ("channel.connected", channel_ids[support.id], "Ada Support", support.id),
            ("channel.connected", channel_ids[sales.id], "Ada Sales", sales.id),
        ]
    )
    for item in logged:
        assert item["actor"] == {
            "type": "user",
            "user_id": str(account.user_id),
            "api_key_id": None,
            "label": account.email,
        }
        assert item["target"]["type"] == "channel"
        assert item["ip"] == "127.0.0.1"
        assert item["user_agent"] == BROWSER["User-Agent"]
        assert item["details"]["kind"] == "messenger"
        assert item["details"]["facebook_account"] == "Ada Lovelace"
    # Tokens never reach the log.
    assert "EAA" not in str(logged)


async def test_connecting_a_whatsapp_number_is_logged_with_its_number(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]

    number = await connected_number(client, account, user)

    (item,) = await entries(client, account)
    waba = user.businesses[0].owned[0]
    assert item["action"] == "channel.connected"
    assert item["target"] == {
        "type": "channel",
        "id": number["id"],
        "label": f"{number['name']} ({number['display_phone_number']})",
    }
    assert item["details"]["kind"] == "whatsapp"
    assert item["details"]["external_id"] == waba.numbers[0].id
    assert item["details"]["waba_id"] == waba.id
    assert item["actor"]["user_id"] == str(account.user_id)
    assert "EAA" not in str(item)


async def test_a_connect_that_meta_refuses_logs_nothing(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    support, sales = meta.users[0].pages
    meta_account_id = await messenger_login(client, account, meta.users[0])
    meta.fail("POST", f"{sales.id}/subscribed_apps", graph_error(200, "Permissions error"))

    response = await connect_pages(client, account, meta_account_id, [support.id, sales.id])

    assert response.status_code == 409
    assert await entries(client, account) == []


async def test_connecting_a_disconnected_page_again_is_a_connect(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    page = await connected_page(client, account, ada)
    gone = await client.delete(f"/api/channels/{page['id']}", headers=account.headers)
    assert gone.status_code == 200

    again = await connect_pages(
        client, account, await messenger_login(client, account, ada), [ada.pages[0].id]
    )
    assert again.status_code == 201

    assert [(e["action"], e["target"]["id"]) for e in await entries(client, account)] == [
        ("channel.connected", page["id"]),  # newest first
        ("channel.disconnected", page["id"]),
        ("channel.connected", page["id"]),
    ]


# --- disconnect, rename, settings ----------------------------------------------------


async def test_disconnecting_is_logged_once(client: httpx.AsyncClient, meta: FakeMeta) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])

    first = await client.delete(
        f"/api/channels/{page['id']}", headers={**account.headers, **BROWSER}
    )
    second = await client.delete(f"/api/channels/{page['id']}", headers=account.headers)

    assert first.status_code == second.status_code == 200
    (item,) = await entries(client, account, "channel.disconnected")
    assert item["target"] == {"type": "channel", "id": page["id"], "label": "Ada Support"}
    assert item["actor"]["label"] == account.email
    assert (item["ip"], item["user_agent"]) == ("127.0.0.1", BROWSER["User-Agent"])
    assert item["details"] == {
        "kind": "messenger",
        "external_id": page["external_id"],
        "previous_status": "active",
    }


async def test_renaming_and_read_receipts_are_logged_with_before_and_after(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    url = f"/api/channels/{page['id']}"

    renamed = await client.patch(url, json={"name": "  Front desk "}, headers=account.headers)
    receipts = await client.patch(url, json={"send_read_receipts": True}, headers=account.headers)
    unchanged = await client.patch(url, json={"name": "Front desk"}, headers=account.headers)

    assert renamed.status_code == receipts.status_code == unchanged.status_code == 200
    later, earlier = await entries(client, account, "channel.updated")
    assert earlier["target"]["label"] == "Front desk"
    assert earlier["details"]["changes"] == {"name": {"from": "Ada Support", "to": "Front desk"}}
    assert later["details"]["changes"] == {"send_read_receipts": {"from": False, "to": True}}
    assert later["actor"]["user_id"] == str(account.user_id)


async def test_a_refused_change_logs_nothing(client: httpx.AsyncClient, meta: FakeMeta) -> None:
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    page = await connected_page(client, acme, meta.users[0])

    foreign = await client.patch(
        f"/api/channels/{page['id']}", json={"name": "Mine now"}, headers=globex.headers
    )
    foreign_delete = await client.delete(f"/api/channels/{page['id']}", headers=globex.headers)

    assert foreign.status_code == foreign_delete.status_code == 404
    assert await entries(client, globex) == []
    assert [e["action"] for e in await entries(client, acme)] == ["channel.connected"]


# --- re-authorisation ---------------------------------------------------------------


async def test_completing_a_reconnect_is_logged_as_reauthorized_by_the_user_who_started_it(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    page = await connected_page(client, account, ada)
    await _set_status(session, page["id"], ChannelStatus.NEEDS_REAUTH)
    started = await client.post(f"/api/channels/{page['id']}/reconnect", headers=account.headers)
    state = split(started.json()["authorize_url"])[1]["state"]

    response = await client.get(
        "/api/meta/callback", params={"code": ada.code, "state": state}, headers=BROWSER
    )

    assert response.status_code == 302
    assert "reconnected" in split(response.headers["location"])[1]
    latest, first = await entries(client, account)
    assert first["action"] == "channel.connected"
    assert latest["action"] == "channel.reauthorized"
    assert latest["target"]["id"] == page["id"]
    assert latest["actor"] == {
        "type": "user",
        "user_id": str(account.user_id),
        "api_key_id": None,
        "label": account.email,
    }
    assert (latest["ip"], latest["user_agent"]) == ("127.0.0.1", BROWSER["User-Agent"])
    assert latest["details"]["previous_status"] == "needs_reauth"


async def test_a_reconnect_that_fails_logs_nothing(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    page = await connected_page(client, account, ada)
    await _set_status(session, page["id"], ChannelStatus.NEEDS_REAUTH)
    ada.pages = ada.pages[1:]  # lost their role on the page
    started = await client.post(f"/api/channels/{page['id']}/reconnect", headers=account.headers)

    _, query = await callback(
        client, code=ada.code, state=split(started.json()["authorize_url"])[1]["state"]
    )

    assert query["error"] == "not_found"
    assert [e["action"] for e in await entries(client, account)] == ["channel.connected"]


# --- Meta and the token check ----------------------------------------------------------


async def test_meta_deauthorizing_logs_a_system_entry_in_each_affected_tenant(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    ada = meta.users[0]
    bob = meta.add_user(default_user("bob", id_base=500))
    acme, globex, initech = (
        await create_account(client, "Acme"),
        await create_account(client, "Globex"),
        await create_account(client, "Initech"),
    )
    acme_page = await connected_page(client, acme, ada, page_index=0)
    acme_number = await connected_number(client, acme, ada)
    globex_page = await connected_page(client, globex, ada, page_index=1)
    await connected_page(client, initech, bob)
    form = {"signed_request": signed_request(meta_payload(ada.id))}

    first = await client.post("/api/meta/deauthorize", data=form)
    repeat = await client.post("/api/meta/deauthorize", data=form)

    assert first.status_code == repeat.status_code == 200
    acme_log = await entries(client, acme, "channel.token_revoked")
    # One entry per channel: Meta repeating the callback adds nothing.
    assert sorted(e["target"]["id"] for e in acme_log) == sorted(
        [acme_page["id"], acme_number["id"]]
    )
    for item in acme_log:
        assert item["actor"] == {
            "type": "system",
            "user_id": None,
            "api_key_id": None,
            "label": "Meta",
        }
        assert item["details"]["reason"] == "deauthorized"
    (globex_entry,) = await entries(client, globex, "channel.token_revoked")
    assert globex_entry["target"]["id"] == globex_page["id"]
    assert await entries(client, initech, "channel.token_revoked") == []


async def test_meta_deleting_a_users_data_is_logged(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    page = await connected_page(client, account, ada)

    response = await client.post(
        "/api/meta/data-deletion", data={"signed_request": signed_request(meta_payload(ada.id))}
    )

    assert response.status_code == 200
    (item,) = await entries(client, account, "channel.token_revoked")
    assert item["target"]["id"] == page["id"]
    assert item["actor"]["type"] == "system"
    assert item["details"]["reason"] == "data_deletion_request"


async def test_a_login_without_channels_is_logged_when_meta_revokes_it(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    meta_account_id = await messenger_login(client, account, ada)

    await client.post(
        "/api/meta/deauthorize", data={"signed_request": signed_request(meta_payload(ada.id))}
    )

    (item,) = await entries(client, account, "channel.token_revoked")
    assert item["target"] == {
        "type": "meta_account",
        "id": str(meta_account_id),
        "label": "Ada Lovelace",
    }


async def test_the_token_check_logs_a_channel_it_flags(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    ada = meta.users[0]
    flagged = await connected_page(client, account, ada, page_index=0)
    await connected_page(client, account, ada, page_index=1)
    meta.token_info[ada.pages[0].access_token] = {"is_valid": False}

    assert await tasks.check_tokens({}) == "checked 2, needs_reauth 1, skipped 0"

    (item,) = await entries(client, account, "channel.needs_reauth")
    assert item["target"]["id"] == flagged["id"]
    assert item["actor"]["type"] == "system"
    assert item["ip"] is None
    assert item["details"]["reason"] == "token_check"
