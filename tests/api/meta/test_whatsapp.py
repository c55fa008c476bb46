"""Connecting WhatsApp numbers: JS SDK token or Embedded Signup code → business → WABA →
number (meta-platform.md §2, §5.1)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import get_secret_box
from api.models import (
    Channel,
    ChannelKind,
    ChannelStatus,
    MetaAccount,
    WhatsAppBusinessAccount,
)
from api.vault import open_token
from tests.api.meta.fake_meta import FakeMeta, FakeUser, default_user
from tests.api.meta.flows import (
    connect_number,
    connected_number,
    create_agent,
    whatsapp_login,
)
from tests.helpers import Account, EventRecorder, create_account


async def _rows(session: AsyncSession, model: Any) -> list[Any]:
    result = await session.execute(select(model).execution_options(populate_existing=True))
    return list(result.scalars())


async def _login(client: httpx.AsyncClient, account: Account, user: FakeUser) -> str:
    response = await whatsapp_login(client, account, access_token=user.short_token)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# --- the WhatsApp login ----------------------------------------------------------


async def test_a_js_sdk_token_is_exchanged_for_a_long_lived_one_and_stored(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]

    response = await whatsapp_login(client, account, access_token=user.short_token)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "fb_user_id", "name", "scopes", "token_expires_at"}
    assert body["fb_user_id"] == user.id and body["name"] == user.name
    assert {"whatsapp_business_management", "whatsapp_business_messaging"} <= set(body["scopes"])
    assert body["token_expires_at"] is not None
    (stored,) = await _rows(session, MetaAccount)
    assert str(stored.id) == body["id"] and stored.tenant_id == account.tenant_id
    assert open_token(get_secret_box(), stored) == user.long_token
    (exchange,) = meta.calls_to("POST", "oauth/access_token")
    assert exchange.params["grant_type"] == "fb_exchange_token"
    assert exchange.params["fb_exchange_token"] == user.short_token
    assert user.short_token not in response.text and user.long_token not in response.text


async def test_an_embedded_signup_code_is_exchanged_without_redirect_uri(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]

    response = await whatsapp_login(client, account, code=user.business_code)

    assert response.status_code == 201
    assert response.json()["token_expires_at"] is None  # business tokens do not expire
    (stored,) = await _rows(session, MetaAccount)
    assert open_token(get_secret_box(), stored) == user.business_token
    (exchange,) = meta.calls_to("POST", "oauth/access_token")
    assert exchange.params["code"] == user.business_code
    assert "redirect_uri" not in exchange.params
    assert user.business_token not in response.text


@pytest.mark.parametrize(
    "body",
    [{}, {"access_token": "EAAshortadaUSERtoken001", "code": "code-ada-signup"}, {"code": ""}],
)
async def test_exactly_one_of_token_or_code(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, body: dict[str, str]
) -> None:
    account = await create_account(client)
    response = await client.post("/api/meta/whatsapp/login", json=body, headers=account.headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert await _rows(session, MetaAccount) == []
    assert meta.calls == []


async def test_a_token_of_another_app_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta.users[0].app_id = "999999999999999"

    response = await whatsapp_login(client, account, access_token=meta.users[0].short_token)

    assert response.status_code == 400
    assert response.json()["error"] == "wrong_app"
    assert await _rows(session, MetaAccount) == []


async def test_a_missing_whatsapp_permission_is_named(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta.users[0].scopes.remove("whatsapp_business_messaging")

    response = await whatsapp_login(client, account, code=meta.users[0].business_code)

    assert response.status_code == 400
    assert response.json()["error"] == "missing_scopes"
    assert "whatsapp_business_messaging" in response.json()["detail"]
    assert await _rows(session, MetaAccount) == []


@pytest.mark.parametrize("field", ["access_token", "code"])
async def test_a_token_or_code_meta_refuses_is_oauth_failed(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, field: str
) -> None:
    account = await create_account(client)
    response = await whatsapp_login(client, account, **{field: "not-a-real-one"})
    assert response.status_code == 400
    assert response.json()["error"] == "oauth_failed"
    assert await _rows(session, MetaAccount) == []


async def test_an_agent_may_not_log_in_for_whatsapp(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    agent = await create_agent(client, session, account.tenant_id)
    response = await client.post(
        "/api/meta/whatsapp/login", json={"access_token": meta.users[0].short_token}, headers=agent
    )
    assert response.status_code == 403
    assert await _rows(session, MetaAccount) == []


# --- discovery -------------------------------------------------------------------


async def test_businesses_then_wabas_with_ownership_then_numbers(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    business = user.businesses[0]
    owned, shared = business.owned[0], business.client[0]
    account_id = await _login(client, account, user)
    base = f"/api/meta/accounts/{account_id}"

    businesses = await client.get(f"{base}/businesses", headers=account.headers)
    wabas = await client.get(
        f"{base}/businesses/{business.id}/whatsapp-accounts", headers=account.headers
    )
    numbers = await client.get(
        f"{base}/whatsapp-accounts/{owned.id}/phone-numbers", headers=account.headers
    )

    assert businesses.json()["items"] == [{"id": business.id, "name": business.name}]
    assert wabas.json()["items"] == [
        {"id": owned.id, "name": owned.name, "ownership": "owned"},
        {"id": shared.id, "name": shared.name, "ownership": "client"},
    ]
    assert numbers.json()["items"] == [
        {
            "id": n.id,
            "display_phone_number": n.display_phone_number,
            "verified_name": n.verified_name,
            "quality_rating": "GREEN",
            "status": "CONNECTED",
            "connected": None,
        }
        for n in owned.numbers
    ]
    (numbers_call,) = meta.calls_to("GET", f"{owned.id}/phone_numbers")
    assert numbers_call.token == user.long_token


async def test_numbers_show_where_they_are_connected(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    ada = meta.users[0]
    bob = meta.add_user(default_user("bob", id_base=500))
    bob.businesses = ada.businesses  # both manage the same business and WABAs
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    waba = ada.businesses[0].owned[0]
    first, second = waba.numbers
    await connected_number(client, acme, ada)  # first number
    bob_account = await _login(client, globex, bob)
    assert (
        await connect_number(client, globex, bob_account, waba.id, second.id)
    ).status_code == 201

    listing = await client.get(
        f"/api/meta/accounts/{bob_account}/whatsapp-accounts/{waba.id}/phone-numbers",
        headers=globex.headers,
    )

    states = {n["id"]: n["connected"] for n in listing.json()["items"]}
    assert states == {first.id: "elsewhere", second.id: "here"}


async def test_a_business_the_login_cannot_see_is_404(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    account = await create_account(client)
    account_id = await _login(client, account, meta.users[0])

    response = await client.get(
        f"/api/meta/accounts/{account_id}/businesses/777777777/whatsapp-accounts",
        headers=account.headers,
    )

    assert response.status_code == 404
    assert [c for c in meta.calls if "whatsapp_business_accounts" in c.path] == []


async def test_a_waba_not_granted_to_the_login_is_404(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    user = meta.users[0]
    owned, shared = user.businesses[0].owned[0], user.businesses[0].client[0]
    # The person shared only the owned WABA in the login dialog.
    user.granular_scopes = {
        "whatsapp_business_management": [owned.id],
        "whatsapp_business_messaging": [owned.id],
        "business_management": [user.businesses[0].id],
    }
    account = await create_account(client)
    account_id = await _login(client, account, user)

    listing = await client.get(
        f"/api/meta/accounts/{account_id}/whatsapp-accounts/{shared.id}/phone-numbers",
        headers=account.headers,
    )
    connecting = await connect_number(client, account, account_id, shared.id, shared.numbers[0].id)

    assert listing.status_code == 404 and connecting.status_code == 404
    assert meta.calls_to("GET", f"{shared.id}/phone_numbers") == []
    assert meta.calls_to("POST", f"{shared.id}/subscribed_apps") == []
    assert await _rows(session, Channel) == []
    allowed = await client.get(
        f"/api/meta/accounts/{account_id}/whatsapp-accounts/{owned.id}/phone-numbers",
        headers=account.headers,
    )
    assert allowed.status_code == 200


async def test_a_waba_meta_does_not_know_is_404(client: httpx.AsyncClient, meta: FakeMeta) -> None:
    meta.users[0].granular_scopes = {}  # no granular targets: Meta decides
    account = await create_account(client)
    account_id = await _login(client, account, meta.users[0])

    response = await client.get(
        f"/api/meta/accounts/{account_id}/whatsapp-accounts/300000000009999/phone-numbers",
        headers=account.headers,
    )

    assert response.status_code == 404


# --- connecting ------------------------------------------------------------------


async def test_connecting_a_number_subscribes_its_waba_and_seals_the_token(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    waba = user.businesses[0].owned[0]
    number = waba.numbers[0]
    account_id = await _login(client, account, user)
    events.published.clear()

    response = await connect_number(client, account, account_id, waba.id, number.id)

    assert response.status_code == 201
    out = response.json()
    assert out["kind"] == "whatsapp" and out["external_id"] == number.id
    assert out["name"] == number.verified_name
    assert out["display_phone_number"] == number.display_phone_number
    assert out["waba_id"] == waba.id and out["status"] == "active" and out["health"] == "ok"
    assert out["is_primary"] is False
    (channel,) = await _rows(session, Channel)
    assert channel.kind is ChannelKind.WHATSAPP and channel.status is ChannelStatus.ACTIVE
    assert str(channel.meta_account_id) == account_id
    assert open_token(get_secret_box(), channel) == user.long_token
    (subscribe,) = meta.calls_to("POST", f"{waba.id}/subscribed_apps")
    assert subscribe.token == user.long_token
    assert waba.id in meta.waba_subscriptions
    (waba_row,) = await _rows(session, WhatsAppBusinessAccount)
    assert waba_row.waba_id == waba.id and waba_row.tenant_id == account.tenant_id
    assert str(waba_row.meta_account_id) == account_id
    assert events.names() == ["channel:updated"]


async def test_make_primary_moves_the_primary_flag(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    waba = user.businesses[0].owned[0]
    account_id = await _login(client, account, user)
    first = await connect_number(
        client, account, account_id, waba.id, waba.numbers[0].id, make_primary=True
    )
    assert first.json()["is_primary"] is True

    second = await connect_number(
        client, account, account_id, waba.id, waba.numbers[1].id, make_primary=True
    )

    assert second.json()["is_primary"] is True
    primaries = {c.external_id: c.is_primary for c in await _rows(session, Channel)}
    assert primaries == {waba.numbers[0].id: False, waba.numbers[1].id: True}
    listed = await client.get("/api/channels", headers=account.headers)
    assert {c["external_id"]: c["is_primary"] for c in listed.json()["items"]} == primaries


async def test_another_workspaces_primary_is_untouched(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    ada = meta.users[0]
    bob = meta.add_user(default_user("bob", id_base=500))
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    await connected_number(client, globex, bob, make_primary=True)

    await connected_number(client, acme, ada, make_primary=True)

    primaries = {c.tenant_id: c.is_primary for c in await _rows(session, Channel)}
    assert primaries == {acme.tenant_id: True, globex.tenant_id: True}


async def test_a_number_not_in_the_waba_is_404(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    owned, shared = user.businesses[0].owned[0], user.businesses[0].client[0]
    account_id = await _login(client, account, user)

    response = await connect_number(client, account, account_id, owned.id, shared.numbers[0].id)

    assert response.status_code == 404
    assert await _rows(session, Channel) == []
    assert meta.calls_to("POST", f"{owned.id}/subscribed_apps") == []


async def test_a_number_connected_by_another_workspace_is_409(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    ada = meta.users[0]
    bob = meta.add_user(default_user("bob", id_base=500))
    bob.businesses = ada.businesses
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    await connected_number(client, globex, bob)
    waba = ada.businesses[0].owned[0]
    account_id = await _login(client, acme, ada)
    subscribed_before = len(meta.calls_to("POST", f"{waba.id}/subscribed_apps"))

    response = await connect_number(client, acme, account_id, waba.id, waba.numbers[0].id)

    assert response.status_code == 409
    assert response.json()["error"] == "number_connected_elsewhere"
    channels = await _rows(session, Channel)
    assert [c.tenant_id for c in channels] == [globex.tenant_id]
    assert [w.tenant_id for w in await _rows(session, WhatsAppBusinessAccount)] == [
        globex.tenant_id
    ]
    assert len(meta.calls_to("POST", f"{waba.id}/subscribed_apps")) == subscribed_before
    assert open_token(get_secret_box(), channels[0]) == bob.long_token


async def test_whatsapp_endpoints_refuse_another_workspaces_account(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    acme, globex = await create_account(client, "Acme"), await create_account(client, "Globex")
    account_id = await _login(client, acme, meta.users[0])
    waba = meta.users[0].businesses[0].owned[0]
    base = f"/api/meta/accounts/{account_id}"

    answers = [
        await client.get(f"{base}/businesses", headers=globex.headers),
        await client.get(
            f"{base}/whatsapp-accounts/{waba.id}/phone-numbers", headers=globex.headers
        ),
        await connect_number(client, globex, account_id, waba.id, waba.numbers[0].id),
        await client.get(f"/api/meta/accounts/{uuid.uuid4()}/businesses", headers=acme.headers),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
