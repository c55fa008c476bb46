"""Facebook Login: the bound, single-use, short-lived state and the callback's outcomes."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.crypto import get_secret_box
from api.models import MetaAccount, MetaAccountStatus, OAuthState, Role, User
from api.vault import open_token
from tests.api.meta.fake_meta import FakeMeta, graph_error
from tests.api.meta.flows import (
    callback,
    create_agent,
    messenger_login,
    public_url,
    split,
    start_login,
)
from tests.helpers import create_account

URL_SAFE_STATE = re.compile(r"[A-Za-z0-9_-]{43,}")


async def _meta_accounts(session: AsyncSession) -> list[MetaAccount]:
    result = await session.execute(select(MetaAccount).execution_options(populate_existing=True))
    return list(result.scalars())


async def _state_row(session: AsyncSession, state: str) -> OAuthState:
    result = await session.execute(
        select(OAuthState)
        .where(OAuthState.state_hash == hashlib.sha256(state.encode()).hexdigest())
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


# --- starting the login ----------------------------------------------------------


@pytest.mark.parametrize("product", ["messenger", "whatsapp"])
async def test_login_answers_the_dialog_url_as_json(
    client: httpx.AsyncClient, session: AsyncSession, product: str
) -> None:
    account = await create_account(client)
    settings = get_settings()

    response = await client.get(
        "/api/meta/login",
        params={"product": product},
        headers={**account.headers, "Accept": "application/json"},
    )

    assert response.status_code == 200
    base, query = split(response.json()["authorize_url"])
    assert base == f"{settings.meta.oauth_dialog_url.rstrip('/')}/v25.0/dialog/oauth"
    assert query["client_id"] == settings.meta.app_id
    assert query["redirect_uri"] == public_url("/api/meta/callback")
    assert query["response_type"] == "code"
    assert URL_SAFE_STATE.fullmatch(query["state"]), query["state"]
    scopes = (
        settings.meta.messenger_scopes if product == "messenger" else settings.meta.whatsapp_scopes
    )
    assert query["scope"].split(",") == scopes
    assert ("pages_messaging" in scopes) == (product == "messenger")
    assert ("whatsapp_business_messaging" in scopes) == (product == "whatsapp")
    row = await _state_row(session, query["state"])
    assert row.product == product
    assert row.tenant_id == account.tenant_id and row.user_id == account.user_id
    assert row.channel_id is None and row.used_at is None
    assert timedelta(minutes=9) < row.expires_at - datetime.now(UTC) <= timedelta(minutes=10)


async def test_the_database_keeps_only_the_states_hash(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    state = await start_login(client, account)

    row = await _state_row(session, state)
    assert row.state_hash == hashlib.sha256(state.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in OAuthState.__table__.columns]
    assert not any(state in value for value in stored)
    raw = (await session.execute(select(OAuthState.__table__))).all()
    assert all(state not in str(tuple(r)) for r in raw)


async def test_every_login_gets_a_fresh_state(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    states = {await start_login(client, account) for _ in range(3)}
    assert len(states) == 3


async def test_a_browser_is_redirected_to_facebook(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)

    response = await client.get("/api/meta/login?product=messenger", headers=account.headers)

    assert response.status_code == 302
    base, query = split(response.headers["location"])
    assert base.endswith("/v25.0/dialog/oauth")
    assert query["client_id"] == get_settings().meta.app_id
    assert query["redirect_uri"] == public_url("/api/meta/callback")
    assert URL_SAFE_STATE.fullmatch(query["state"])
    assert "pages_messaging" in query["scope"].split(",")
    assert (await _state_row(session, query["state"])).user_id == account.user_id


async def test_an_agent_may_not_start_a_login(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    agent = await create_agent(client, session, account.tenant_id)

    response = await client.get(
        "/api/meta/login?product=messenger", headers={**agent, "Accept": "application/json"}
    )

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    count = await session.execute(select(func.count()).select_from(OAuthState))
    assert count.scalar_one() == 0


async def test_login_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/meta/login?product=messenger", headers={"Accept": "application/json"}
    )
    assert response.status_code == 401


async def test_an_unknown_product_is_422(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    response = await client.get(
        "/api/meta/login?product=instagram",
        headers={**account.headers, "Accept": "application/json"},
    )
    assert response.status_code == 422


# --- the callback: refusals ------------------------------------------------------


def _assert_error(target: str, query: dict[str, str], code: str) -> None:
    assert target == public_url("/channels")
    assert query["error"] == code
    assert query.get("detail"), "the SPA needs a readable reason"
    assert "account" not in query


async def test_an_unknown_state_is_refused_without_calling_meta(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    await create_account(client)
    target, query = await callback(client, code=meta.users[0].code, state="x" * 43)
    _assert_error(target, query, "invalid_state")
    assert await _meta_accounts(session) == []
    assert meta.calls == []


async def test_a_missing_state_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    target, query = await callback(client, code=meta.users[0].code)
    _assert_error(target, query, "invalid_state")
    assert await _meta_accounts(session) == []


async def test_an_expired_state_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    state = await start_login(client, account)
    digest = hashlib.sha256(state.encode()).hexdigest()
    await session.execute(
        update(OAuthState)
        .where(OAuthState.state_hash == digest)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "state_expired")
    assert await _meta_accounts(session) == []
    assert meta.calls_to("POST", "oauth/access_token") == []


async def test_a_state_is_single_use(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    state = await start_login(client, account)
    first = await callback(client, error="access_denied", state=state)
    assert first[1]["error"] == "oauth_denied"

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "state_reused")
    assert await _meta_accounts(session) == []
    assert meta.calls_to("POST", "oauth/access_token") == []


async def test_a_state_that_logged_in_once_cannot_log_in_again(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    state = await start_login(client, account)
    assert (await callback(client, code=meta.users[0].code, state=state))[1].get("account")

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "state_reused")
    assert len(await _meta_accounts(session)) == 1


async def test_a_cancelled_login_is_oauth_denied(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    state = await start_login(client, account)

    target, query = await callback(
        client,
        state=state,
        error="access_denied",
        error_reason="user_denied",
        error_description="Permissions error",
    )

    _assert_error(target, query, "oauth_denied")
    assert "cancelled" in query["detail"] and "Permissions error" in query["detail"]
    assert await _meta_accounts(session) == []
    assert meta.calls == []
    assert (await _state_row(session, state)).used_at is not None


async def test_a_token_issued_to_another_app_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta.users[0].app_id = "999999999999999"
    state = await start_login(client, account)

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "wrong_app")
    assert await _meta_accounts(session) == []
    assert (await _state_row(session, state)).used_at is not None


async def test_a_missing_permission_is_named(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta.users[0].scopes.remove("pages_messaging")
    state = await start_login(client, account)

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "missing_scopes")
    assert "pages_messaging" in query["detail"]
    assert "pages_show_list" not in query["detail"]
    assert await _meta_accounts(session) == []


async def test_an_invalid_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta.token_info[meta.users[0].long_token] = {"is_valid": False}
    state = await start_login(client, account)

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "invalid_token")
    assert await _meta_accounts(session) == []


@pytest.mark.parametrize(
    "failure",
    [
        graph_error(100, "Invalid verification code format.", subcode=36007),
        graph_error(2, "Service temporarily unavailable", status=503, transient=True),
    ],
)
async def test_a_graph_error_in_the_code_exchange_is_oauth_failed_and_spends_the_state(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, failure: httpx.Response
) -> None:
    account = await create_account(client)
    meta.fail("POST", "oauth/access_token", failure)
    state = await start_login(client, account)

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "oauth_failed")
    assert await _meta_accounts(session) == []
    assert (await _state_row(session, state)).used_at is not None
    meta.failures.clear()
    again = await callback(client, code=meta.users[0].code, state=state)
    assert again[1]["error"] == "state_reused"
    assert await _meta_accounts(session) == []


async def test_a_graph_error_in_debug_token_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta.fail("GET", "debug_token", graph_error(4, "Application request limit reached"))
    state = await start_login(client, account)

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "oauth_failed")
    assert await _meta_accounts(session) == []


async def test_a_user_demoted_before_the_callback_cannot_connect(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    state = await start_login(client, account)
    await session.execute(update(User).where(User.id == account.user_id).values(role=Role.AGENT))
    await session.commit()

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "forbidden")
    assert await _meta_accounts(session) == []


# --- the callback: success -------------------------------------------------------


async def test_a_login_stores_the_long_lived_token_sealed_and_continues_to_the_picker(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    state = await start_login(client, account)

    target, query = await callback(client, code=user.code, state=state)

    assert target == public_url("/channels/connect/messenger")
    (stored,) = await _meta_accounts(session)
    assert query == {"account": str(stored.id)}
    assert stored.tenant_id == account.tenant_id
    assert stored.connected_by_user_id == account.user_id
    assert stored.fb_user_id == user.id
    assert stored.name == user.name
    assert stored.status is MetaAccountStatus.ACTIVE
    assert set(get_settings().meta.messenger_scopes) <= set(stored.scopes)
    assert stored.granular_scopes["pages_messaging"] == [p.id for p in user.pages]
    assert stored.token_expires_at is not None
    assert timedelta(days=59) < stored.token_expires_at - datetime.now(UTC) < timedelta(days=61)
    assert stored.token_ciphertext is not None
    for token in (user.long_token, user.short_token):
        assert token.encode() not in stored.token_ciphertext
    box = get_secret_box()
    assert stored.token_key_id == box.active_key_id
    assert open_token(box, stored) == user.long_token
    assert (await _state_row(session, state)).used_at is not None

    exchange, long_lived = meta.calls_to("POST", "oauth/access_token")
    assert exchange.params["code"] == user.code
    assert exchange.params["redirect_uri"] == public_url("/api/meta/callback")
    assert long_lived.params["grant_type"] == "fb_exchange_token"
    assert long_lived.params["fb_exchange_token"] == user.short_token
    for call in (exchange, long_lived):  # secrets travel in the form body, not the URL
        assert "?" not in call.url and meta.app_secret.encode() in call.body
    (check,) = meta.calls_to("GET", "debug_token")
    assert check.params["input_token"] == user.long_token
    assert check.token == f"{meta.app_id}|{meta.app_secret}"
    assert all("access_token" not in call.params for call in meta.calls)


async def test_logging_in_again_updates_the_same_account(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    first = await messenger_login(client, account, meta.users[0])
    meta.users[0].long_token = "EAAlongADArefreshed"

    second = await messenger_login(client, account, meta.users[0])

    assert first == second
    (stored,) = await _meta_accounts(session)
    assert open_token(get_secret_box(), stored) == "EAAlongADArefreshed"


async def test_the_same_facebook_user_in_two_workspaces_gets_two_accounts(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    acme = await create_account(client, "Acme")
    globex = await create_account(client, "Globex")

    a = await messenger_login(client, acme, meta.users[0])
    b = await messenger_login(client, globex, meta.users[0])

    assert a != b
    tenants = {row.id: row.tenant_id for row in await _meta_accounts(session)}
    assert tenants == {a: acme.tenant_id, b: globex.tenant_id}


async def test_a_whatsapp_login_continues_to_the_number_picker(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)

    meta_account_id = await messenger_login(client, account, meta.users[0], product="whatsapp")

    (stored,) = await _meta_accounts(session)
    assert stored.id == meta_account_id
    assert set(get_settings().meta.whatsapp_scopes) <= set(stored.scopes)


async def test_a_whatsapp_login_needs_the_whatsapp_permissions(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    meta.users[0].scopes.remove("whatsapp_business_management")
    state = await start_login(client, account, "whatsapp")

    target, query = await callback(client, code=meta.users[0].code, state=state)

    _assert_error(target, query, "missing_scopes")
    assert "whatsapp_business_management" in query["detail"]
    assert await _meta_accounts(session) == []
