"""The Conversations API: fixture history, pagination, newest-first messages, live threads."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from metasim.fixtures import ANA_ID, LIMA_BIKES_PAGE_ID, LIMA_CAFE_PAGE_ID
from tests.metasim.flows import VERSION, bearer, graph_error, mint_token, page_tokens


@pytest.fixture
async def bikes_token(sim: httpx.AsyncClient) -> str:
    return (await page_tokens(sim, await mint_token(sim, ANA_ID)))[LIMA_BIKES_PAGE_ID]


async def get(sim: httpx.AsyncClient, path: str, token: str, **params: str) -> dict[str, Any]:
    response = await sim.get(f"/{VERSION}/{path}", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


async def test_fixture_history_is_paginated_newest_first(
    sim: httpx.AsyncClient, bikes_token: str
) -> None:
    fields = "id,updated_time,participants"
    path = f"{LIMA_BIKES_PAGE_ID}/conversations"

    first = await get(sim, path, bikes_token, platform="messenger", fields=fields, limit="2")
    after = first["paging"]["cursors"]["after"]
    second = await get(
        sim, path, bikes_token, platform="messenger", fields=fields, limit="2", after=after
    )

    threads = first["data"] + second["data"]
    assert len(first["data"]) == 2
    assert len(second["data"]) == 1
    assert "next" in first["paging"]
    assert "next" not in second["paging"]
    assert len({t["id"] for t in threads}) == 3
    times = [parse_time(t["updated_time"]) for t in threads]
    assert times == sorted(times, reverse=True)
    now = datetime.now(UTC)
    assert all(now - timedelta(days=10) < t < now for t in times)
    names = [t["participants"]["data"][0]["name"] for t in threads]
    assert names == ["Yuki Sato", "Tom Becker", "Marta Souza"]
    assert all(t["participants"]["data"][1]["id"] == LIMA_BIKES_PAGE_ID for t in threads)


async def test_conversation_messages_newest_first_with_from_and_to(
    sim: httpx.AsyncClient, bikes_token: str
) -> None:
    threads = await get(
        sim, f"{LIMA_BIKES_PAGE_ID}/conversations", bikes_token, user_id="7100000000000001"
    )
    [thread] = threads["data"]

    detail = await get(
        sim, thread["id"], bikes_token, fields="messages{id,created_time,from,to,message}"
    )

    assert detail["id"] == thread["id"]
    messages = detail["messages"]["data"]
    assert [m["message"] for m in messages] == [
        "See you then!",
        "Great, see you Tuesday.",
        "We do: bring it in any weekday morning.",
        "Hi! Do you service e-bikes?",
    ]
    times = [parse_time(m["created_time"]) for m in messages]
    assert times == sorted(times, reverse=True)
    newest, oldest = messages[0], messages[-1]
    assert newest["from"]["id"] == LIMA_BIKES_PAGE_ID
    assert newest["to"]["data"][0]["id"] == "7100000000000001"
    assert oldest["from"] == {
        "name": "Marta Souza",
        "email": "7100000000000001@facebook.com",
        "id": "7100000000000001",
    }
    assert all(m["id"].startswith("m_") for m in messages)


async def test_nested_messages_page_through_the_messages_edge(
    sim: httpx.AsyncClient, bikes_token: str
) -> None:
    thread_id = (
        await get(
            sim, f"{LIMA_BIKES_PAGE_ID}/conversations", bikes_token, user_id="7100000000000001"
        )
    )["data"][0]["id"]

    detail = await get(sim, thread_id, bikes_token, fields="messages.limit(3){message}")
    next_url = httpx.URL(detail["messages"]["paging"]["next"])
    rest = await get(sim, f"{thread_id}/messages", bikes_token, **dict(next_url.params.items()))

    assert [m["message"] for m in detail["messages"]["data"]] == [
        "See you then!",
        "Great, see you Tuesday.",
        "We do: bring it in any weekday morning.",
    ]
    assert next_url.path == f"/{VERSION}/{thread_id}/messages"
    assert [m["message"] for m in rest["data"]] == ["Hi! Do you service e-bikes?"]


async def test_deliveries_and_sends_join_the_thread(
    sim: httpx.AsyncClient, bikes_token: str, webhook_target: respx.Route
) -> None:
    delivered = await sim.post(
        "/_sim/messenger/deliver",
        json={
            "page_id": LIMA_BIKES_PAGE_ID,
            "text": "Do you rent bikes?",
            "psid": "7200000000000001",
        },
    )
    send = {
        "recipient": {"id": "7200000000000001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Yes, by the day."},
    }
    sent = await sim.post(f"/{VERSION}/me/messages", json=send, headers=bearer(bikes_token))

    threads = await get(
        sim, f"{LIMA_BIKES_PAGE_ID}/conversations", bikes_token, fields="id,message_count"
    )
    newest = threads["data"][0]
    messages = await get(sim, f"{newest['id']}/messages", bikes_token, fields="id,message,from")

    assert len(threads["data"]) == 4
    assert newest["message_count"] == 2
    assert [m["message"] for m in messages["data"]] == ["Yes, by the day.", "Do you rent bikes?"]
    assert messages["data"][0]["id"] == sent.json()["message_id"]
    assert messages["data"][1]["id"] == delivered.json()["mid"]
    one = await get(sim, delivered.json()["mid"], bikes_token, fields="message,from")
    assert one["message"] == "Do you rent bikes?"


async def test_conversations_need_that_pages_token_and_pages_messaging(
    sim: httpx.AsyncClient, bikes_token: str
) -> None:
    user_token = await mint_token(sim, ANA_ID)
    cafe = (await page_tokens(sim, user_token))[LIMA_CAFE_PAGE_ID]
    path = f"/{VERSION}/{LIMA_BIKES_PAGE_ID}/conversations"

    with_user_token = await sim.get(path, headers=bearer(user_token))
    other_page = await sim.get(path, headers=bearer(cafe))
    empty = await get(sim, f"{LIMA_CAFE_PAGE_ID}/conversations", cafe)
    # Page tokens are stable per (user, page) and carry the user's latest grant.
    no_messaging = await mint_token(sim, ANA_ID, scopes=["pages_show_list"])
    weak = (await page_tokens(sim, no_messaging))[LIMA_BIKES_PAGE_ID]
    without_scope = await sim.get(path, headers=bearer(weak))

    assert weak == bikes_token
    assert graph_error(with_user_token)["code"] == 210
    assert graph_error(other_page)["code"] == 100
    assert empty == {"data": []}
    assert graph_error(without_scope)["code"] == 200


async def test_rate_limit_is_off_by_default_and_opt_in(
    sim: httpx.AsyncClient, bikes_token: str
) -> None:
    path = f"/{VERSION}/{LIMA_BIKES_PAGE_ID}/conversations"
    unlimited = [await sim.get(path, headers=bearer(bikes_token)) for _ in range(5)]

    await sim.post("/_sim/limits", json={"conversations_per_second": 2})
    limited = [await sim.get(path, headers=bearer(bikes_token)) for _ in range(3)]

    assert all(r.status_code == 200 for r in unlimited)
    assert [r.status_code for r in limited] == [200, 200, 400]
    assert graph_error(limited[2])["code"] == 613
