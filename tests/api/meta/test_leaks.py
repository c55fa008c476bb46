"""No Meta token (user, long-lived, page, business) ever leaves Parley: not in an API
response, not in a log record, not in a realtime event."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from tests.api.meta.fake_meta import FakeMeta, FakeUser, graph_error
from tests.api.meta.flows import callback, connect_pages, messenger_login, split
from tests.api.meta.signing import meta_payload, signed_request
from tests.helpers import EventRecorder, create_account

SHORT = "LEAKshortUSERtoken9f1d"
LONG = "LEAKlongLIVEDtoken4c2a"
PAGE = "LEAKpageTOKENsupport77e0"
PAGE_2 = "LEAKpageTOKENsales0b31"
BUSINESS = "LEAKbusinessTOKEN1b9e"
TOKENS = (SHORT, LONG, PAGE, PAGE_2, BUSINESS)


@pytest.fixture
def responses(client: httpx.AsyncClient) -> list[str]:
    """Every response the API sends during the test: status line, headers and body."""
    seen: list[str] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        seen.append(
            f"{response.request.method} {response.request.url} -> {response.status_code}\n"
            f"{response.headers}\n{response.text}"
        )

    client.event_hooks["response"].append(record)
    return seen


def _leaky_user(meta: FakeMeta) -> FakeUser:
    user = meta.users[0]
    user.short_token, user.long_token, user.business_token = SHORT, LONG, BUSINESS
    user.pages[0].access_token, user.pages[1].access_token = PAGE, PAGE_2
    return user


async def _exercise_everything(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    """Connect a Page and a WhatsApp number, then use every endpoint that touches them."""
    user = _leaky_user(meta)
    account = await create_account(client)
    h = account.headers

    # Messenger: login, pick, connect; a failing subscribe on the way.
    meta_account = await messenger_login(client, account, user)
    assert (await client.get(f"/api/meta/accounts/{meta_account}/pages", headers=h)).is_success
    meta.fail("POST", f"{user.pages[1].id}/subscribed_apps", graph_error(190, "Session expired"))
    assert (
        await connect_pages(client, account, meta_account, [user.pages[1].id])
    ).status_code == 409
    meta.failures.clear()
    connected = await connect_pages(client, account, meta_account, [user.pages[0].id])
    page_channel = connected.json()["items"][0]["id"]

    # WhatsApp: Embedded Signup code (business token) and the JS SDK token; a refused body.
    both = await client.post(
        "/api/meta/whatsapp/login", json={"access_token": SHORT, "code": "x"}, headers=h
    )
    assert both.status_code == 422
    too_long = await client.post(
        "/api/meta/whatsapp/login", json={"access_token": LONG * 200}, headers=h
    )
    assert too_long.status_code == 422
    assert (
        await client.post("/api/meta/whatsapp/login", json={"access_token": SHORT}, headers=h)
    ).is_success
    login = await client.post(
        "/api/meta/whatsapp/login", json={"code": user.business_code}, headers=h
    )
    wa_account = login.json()["id"]
    business = user.businesses[0]
    waba = business.owned[0]
    base = f"/api/meta/accounts/{wa_account}"
    assert (await client.get(f"{base}/businesses", headers=h)).is_success
    assert (
        await client.get(f"{base}/businesses/{business.id}/whatsapp-accounts", headers=h)
    ).is_success
    assert (
        await client.get(f"{base}/whatsapp-accounts/{waba.id}/phone-numbers", headers=h)
    ).is_success
    number = await client.post(
        f"{base}/whatsapp/connect",
        json={"waba_id": waba.id, "phone_number_id": waba.numbers[0].id, "make_primary": True},
        headers=h,
    )
    number_channel = number.json()["id"]

    # Managing channels.
    assert (await client.get("/api/channels", headers=h)).is_success
    for channel in (page_channel, number_channel):
        assert (
            await client.patch(f"/api/channels/{channel}", json={"name": "Renamed"}, headers=h)
        ).is_success
        reconnect = await client.post(f"/api/channels/{channel}/reconnect", headers=h)
        state = split(reconnect.json()["authorize_url"])[1]["state"]
        _, query = await callback(client, code=user.code, state=state)
        assert "reconnected" in query, query
    assert (await client.post(f"/api/channels/{page_channel}/import-history", headers=h)).is_success
    bad_state = await callback(client, code=user.code, state="not-a-state-" + "x" * 40)
    assert bad_state[1]["error"] == "invalid_state"
    assert (await client.delete(f"/api/channels/{number_channel}", headers=h)).is_success
    assert (await client.get("/api/channels", headers=h)).is_success

    # Meta's callbacks.
    deleted = await client.post(
        "/api/meta/data-deletion", data={"signed_request": signed_request(meta_payload(user.id))}
    )
    code = deleted.json()["confirmation_code"]
    assert (await client.get(f"/api/meta/data-deletion/{code}")).is_success
    assert (
        await client.post(
            "/api/meta/deauthorize", data={"signed_request": signed_request(meta_payload(user.id))}
        )
    ).is_success
    assert (await client.get("/api/channels", headers=h)).is_success


def _secrets() -> Iterator[str]:
    yield from TOKENS
    yield get_settings().meta.app_secret


def _leaks(texts: list[str]) -> list[tuple[str, str]]:
    return [(secret, text[:300]) for text in texts for secret in _secrets() if secret in text]


async def test_no_token_in_any_api_response(
    client: httpx.AsyncClient,
    session: AsyncSession,
    meta: FakeMeta,
    responses: list[str],
) -> None:
    await _exercise_everything(client, session, meta)

    assert len(responses) >= 25
    assert _leaks(responses) == []
    assert not any("access_token=" in r for r in responses)


async def test_no_token_in_any_realtime_event(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    await _exercise_everything(client, session, meta)

    assert "channel:updated" in events.names()
    payloads = [f"{name} {payload!r}" for _, name, payload in events.published]
    assert _leaks(payloads) == []


@pytest.mark.parametrize(
    "graph_url_logging",
    [False, True],
    ids=["app-logging-config", "every-logger-at-debug"],
)
async def test_no_token_in_any_log_record(
    client: httpx.AsyncClient,
    session: AsyncSession,
    meta: FakeMeta,
    caplog: pytest.LogCaptureFixture,
    graph_url_logging: bool,
) -> None:
    """Every Parley logger at DEBUG. The app quiets httpx (it logs each request URL at
    INFO); the second case turns it up too, as an operator debugging Graph calls would."""
    caplog.set_level(logging.DEBUG)
    quieted = ("httpx", "httpcore") if graph_url_logging else ()
    for name in ("api", "worker", "sqlalchemy", "fastapi", "uvicorn", *quieted):
        caplog.set_level(logging.DEBUG, logger=name)

    await _exercise_everything(client, session, meta)

    records = [
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    ]
    assert records, "the capture must see something (Graph failures are logged)"
    assert _leaks(records) == []
    urls = [u for r in records for u in re.findall(r"https?://\S+", r)]
    assert not any("access_token=" in u for u in urls)


async def test_the_app_keeps_url_logging_quiet(client: httpx.AsyncClient) -> None:
    """httpx logs every request URL at INFO; the app must keep it above that."""
    assert logging.getLogger("httpx").getEffectiveLevel() > logging.INFO
