"""Reactions, quoted replies and read receipts at the imitated Send / Cloud APIs."""

import json
from typing import Any

import httpx
import respx

from metasim.fixtures import LIMA_NUMBER_ID
from tests.metasim.conftest import CUSTOMER_PSID
from tests.metasim.flows import VERSION, bearer, graph_error
from tests.metasim.test_followups import settings, wa_contact, wait_idle
from tests.metasim.test_send_api import send, sent_calls

__all__ = ["wa_contact"]  # the fixture, shared with the follow-up tests

WA_ID = "15551234567"


async def inbound_mid(sim: httpx.AsyncClient, page: dict[str, str]) -> str:
    body = {"page_id": page["id"], "text": "Is it in stock?", "psid": CUSTOMER_PSID}
    response = await sim.post("/_sim/messenger/deliver", json=body)
    mid: str = response.json()["mid"]
    return mid


def react(mid: str, emoji: str | None = "❤️", action: str = "react") -> dict[str, Any]:
    payload: dict[str, Any] = {"message_id": mid}
    if emoji is not None:
        payload["reaction"] = emoji
    return {"recipient": {"id": CUSTOMER_PSID}, "sender_action": action, "payload": payload}


async def latest_wamid(sim: httpx.AsyncClient) -> str:
    deliveries = (await sim.get("/_sim/deliveries")).json()["items"]
    wamid: str = [d for d in deliveries if d.get("wamid")][-1]["wamid"]
    return wamid


async def wa_post(sim: httpx.AsyncClient, token: str, body: dict[str, Any]) -> httpx.Response:
    return await sim.post(f"/{VERSION}/{LIMA_NUMBER_ID}/messages", json=body, headers=bearer(token))


def wa_body(kind: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": WA_ID, "type": kind, kind: content, **extra}


# Messenger ----------------------------------------------------------------------------


async def test_messenger_react_and_unreact_name_a_message_of_the_thread(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str, webhook_target: respx.Route
) -> None:
    mid = await inbound_mid(sim, page)
    await settings(sim, status_delay_ms=0)
    before = webhook_target.call_count

    reacted = await send(sim, page, react(mid))
    unreacted = await send(sim, page, react(mid, None, "unreact"))
    await wait_idle(sim)

    assert reacted.status_code == unreacted.status_code == 200
    assert reacted.json() == {"recipient_id": customer, "message_id": mid}
    calls = await sent_calls(sim)
    assert [c["body"]["sender_action"] for c in calls[-2:]] == ["react", "unreact"]
    assert calls[-2]["body"]["payload"] == {"message_id": mid, "reaction": "❤️"}
    assert webhook_target.call_count == before  # no echo, no receipts for a sender action


async def test_messenger_react_refuses_unknown_messages_and_malformed_payloads(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    mid = await inbound_mid(sim, page)

    answers = [
        await send(sim, page, react("m_not_a_message")),
        await send(sim, page, react(mid, None)),  # react without an emoji
        await send(sim, page, react(mid, "👍", "unreact")),  # unreact names no emoji
    ]

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert {graph_error(a)["code"] for a in answers} == {100}


async def test_messenger_mark_seen_is_recorded(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    body = {"recipient": {"id": customer}, "sender_action": "mark_seen"}

    response = await send(sim, page, body)

    assert response.json() == {"recipient_id": customer}
    [call] = [c for c in await sent_calls(sim) if c["body"].get("sender_action")]
    assert call["body"] == body


# WhatsApp -----------------------------------------------------------------------------


async def test_a_whatsapp_reaction_is_a_message_followed_by_sent_only(
    sim: httpx.AsyncClient, wa_contact: str, webhook_target: respx.Route
) -> None:
    target = await latest_wamid(sim)
    await settings(sim, status_delay_ms=0)
    before = webhook_target.call_count

    response = await wa_post(
        sim, wa_contact, wa_body("reaction", {"message_id": target, "emoji": "👍"})
    )
    removed = await wa_post(
        sim, wa_contact, wa_body("reaction", {"message_id": target, "emoji": ""})
    )
    no_emoji = await wa_post(sim, wa_contact, wa_body("reaction", {"message_id": target}))
    await wait_idle(sim)

    assert (response.status_code, removed.status_code, no_emoji.status_code) == (200, 200, 400)
    assert response.json()["messages"][0]["id"].startswith("wamid.")
    statuses = [
        change["value"]["statuses"][0]["status"]
        for call in webhook_target.calls[before:]
        for change in _changes(call.request)
    ]
    assert statuses == ["sent", "sent"]


async def test_a_whatsapp_reply_quotes_with_context(
    sim: httpx.AsyncClient, wa_contact: str
) -> None:
    target = await latest_wamid(sim)
    text = {"body": "Yes, size M is in stock."}

    quoted = await wa_post(sim, wa_contact, wa_body("text", text, context={"message_id": target}))
    broken = await wa_post(sim, wa_contact, wa_body("text", text, context={"id": target}))

    assert (quoted.status_code, broken.status_code) == (200, 400)
    call = [c for c in await sent_calls(sim) if c["status_code"] == 200][-1]
    assert call["body"]["context"] == {"message_id": target}


async def test_whatsapp_read_receipt_needs_a_wamid_the_number_received(
    sim: httpx.AsyncClient, wa_contact: str
) -> None:
    target = await latest_wamid(sim)
    body = {"messaging_product": "whatsapp", "status": "read"}

    read = await wa_post(sim, wa_contact, {**body, "message_id": target})
    unknown = await wa_post(sim, wa_contact, {**body, "message_id": "wamid.unknown"})

    assert read.json() == {"success": True}
    assert unknown.status_code == 400 and graph_error(unknown)["code"] == 131009


def _changes(request: httpx.Request) -> list[dict[str, Any]]:
    payload = json.loads(request.content)
    return [change for entry in payload["entry"] for change in entry["changes"]]
