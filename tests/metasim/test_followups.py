"""Automatic echoes, receipts and statuses after a send, and ``/_sim/settings``."""

from typing import Any

import httpx
import pytest
import respx

from metasim.config import SimSettings
from metasim.fixtures import ANA_ID, LIMA_NUMBER_ID, LIMA_WABA_ID
from tests.metasim.flows import VERSION, bearer, mint_token
from tests.metasim.signed import only_messenger_event, only_value, payloads

WA_ID = "15551234567"
DEFAULTS = {
    "messenger_echoes": True,
    "messenger_receipts": True,
    "whatsapp_statuses": True,
    "status_delay_ms": 200,
}


async def settings(sim: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await sim.post("/_sim/settings", json=changes)
    assert response.status_code == 200, response.text
    current: dict[str, Any] = response.json()
    return current


async def wait_idle(sim: httpx.AsyncClient) -> None:
    response = await sim.post("/_sim/wait-idle", params={"timeout": 5})
    assert response.json() == {"idle": True, "pending": 0}


async def messenger_send(
    sim: httpx.AsyncClient, page: dict[str, str], psid: str, **extra: Any
) -> dict[str, Any]:
    body = {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {"text": "On its way"},
        **extra,
    }
    response = await sim.post(
        f"/{VERSION}/{page['id']}/messages", json=body, headers=bearer(page["token"])
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def wa_contact(sim: httpx.AsyncClient, webhook_target: respx.Route) -> str:
    """A WhatsApp user who wrote to Lima Bikes' number; the token of Ana (who reaches it)."""
    body = {"phone_number_id": LIMA_NUMBER_ID, "text": "Hi", "wa_id": WA_ID}
    assert (await sim.post("/_sim/whatsapp/deliver", json=body)).json()["delivered"] is True
    return await mint_token(sim, ANA_ID)


async def wa_send(sim: httpx.AsyncClient, token: str, **extra: Any) -> str:
    body = {
        "messaging_product": "whatsapp",
        "to": WA_ID,
        "type": "text",
        "text": {"body": "Ready for pickup"},
        **extra,
    }
    response = await sim.post(
        f"/{VERSION}/{LIMA_NUMBER_ID}/messages", json=body, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    wamid: str = response.json()["messages"][0]["id"]
    return wamid


async def test_settings_defaults_partial_updates_and_reset(sim: httpx.AsyncClient) -> None:
    assert (await sim.get("/_sim/settings")).json() == DEFAULTS

    changed = await settings(sim, whatsapp_statuses=False, status_delay_ms=5)
    await sim.delete("/_sim/state")

    assert changed == {**DEFAULTS, "whatsapp_statuses": False, "status_delay_ms": 5}
    assert (await sim.get("/_sim/settings")).json() == DEFAULTS
    assert (await sim.post("/_sim/settings", json={"status_delay_ms": -1})).status_code == 422
    assert (await sim.post("/_sim/settings", json={"echoes": True})).status_code == 422


async def test_messenger_send_is_followed_by_echo_delivery_and_read(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    customer: str,
    webhook_target: respx.Route,
    sim_settings: SimSettings,
) -> None:
    await settings(sim, status_delay_ms=10)
    before = webhook_target.call_count

    sent = await messenger_send(sim, page, customer, metadata="parley:msg-42")
    await wait_idle(sim)

    echo, delivery, read = [
        only_messenger_event(p) for p in payloads(webhook_target, sim_settings.app_secret)[before:]
    ]
    assert echo["sender"] == {"id": page["id"]}
    assert echo["recipient"] == {"id": customer}
    assert echo["message"] == {
        "mid": sent["message_id"],
        "is_echo": True,
        "app_id": int(sim_settings.app_id),
        "text": "On its way",
        "metadata": "parley:msg-42",
    }
    assert delivery["sender"] == {"id": customer}
    assert delivery["delivery"]["mids"] == [sent["message_id"]]
    assert delivery["delivery"]["watermark"] >= echo["timestamp"]
    assert read["read"]["watermark"] >= delivery["delivery"]["watermark"]
    logged = (await sim.get("/_sim/deliveries")).json()["items"][-3:]
    assert [(d["event"], d["auto"], d["mid"]) for d in logged] == [
        ("echo", "true", sent["message_id"]),
        ("delivery", "true", sent["message_id"]),
        ("read", "true", sent["message_id"]),
    ]


async def test_attachment_send_is_echoed_with_its_attachment(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    customer: str,
    webhook_target: respx.Route,
    sim_settings: SimSettings,
) -> None:
    await settings(sim, status_delay_ms=0, messenger_receipts=False)
    before = webhook_target.call_count
    attachment = {"type": "image", "payload": {"url": "https://parley.test/a.png"}}

    await messenger_send(sim, page, customer, message={"attachment": attachment})
    await wait_idle(sim)

    [echo] = [
        only_messenger_event(p) for p in payloads(webhook_target, sim_settings.app_secret)[before:]
    ]
    assert echo["message"]["attachments"] == [attachment]
    assert "text" not in echo["message"]
    assert "metadata" not in echo["message"]


async def test_whatsapp_send_is_followed_by_sent_delivered_read(
    sim: httpx.AsyncClient,
    wa_contact: str,
    webhook_target: respx.Route,
    sim_settings: SimSettings,
) -> None:
    await settings(sim, status_delay_ms=10)
    before = webhook_target.call_count

    wamid = await wa_send(sim, wa_contact, biz_opaque_callback_data="ticket-9")
    await wait_idle(sim)

    received = payloads(webhook_target, sim_settings.app_secret)[before:]
    assert [p["entry"][0]["id"] for p in received] == [LIMA_WABA_ID] * 3
    statuses = [only_value(p)["statuses"] for p in received]
    assert [s["status"] for [s] in statuses] == ["sent", "delivered", "read"]
    for [status] in statuses:
        assert (status["id"], status["recipient_id"]) == (wamid, WA_ID)
        assert status["biz_opaque_callback_data"] == "ticket-9"
        assert status["pricing"]["category"] == "service"
        assert status["conversation"]["origin"] == {"type": "service"}
    assert int(statuses[0][0]["timestamp"]) <= int(statuses[2][0]["timestamp"])


async def test_template_statuses_are_billable(
    sim: httpx.AsyncClient,
    wa_contact: str,
    webhook_target: respx.Route,
    sim_settings: SimSettings,
) -> None:
    await settings(sim, status_delay_ms=0)
    before = webhook_target.call_count
    template = {"name": "hello_world", "language": {"code": "en_US"}}

    await wa_send(sim, wa_contact, type="template", template=template)
    await wait_idle(sim)

    received = payloads(webhook_target, sim_settings.app_secret)[before:]
    [sent, *_] = [only_value(p)["statuses"][0] for p in received]
    assert sent["pricing"]["billable"] is True
    assert sent["pricing"]["category"] == "utility"


async def test_nothing_fires_when_settings_are_off(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    customer: str,
    wa_contact: str,
    webhook_target: respx.Route,
) -> None:
    await settings(
        sim,
        messenger_echoes=False,
        messenger_receipts=False,
        whatsapp_statuses=False,
        status_delay_ms=0,
    )
    before = webhook_target.call_count

    await messenger_send(sim, page, customer)
    await wa_send(sim, wa_contact)
    await wait_idle(sim)

    assert webhook_target.call_count == before


async def test_turning_off_after_a_send_stops_what_is_still_waiting(
    sim: httpx.AsyncClient, wa_contact: str, webhook_target: respx.Route
) -> None:
    await settings(sim, status_delay_ms=100)
    before = webhook_target.call_count

    await wa_send(sim, wa_contact)
    await settings(sim, whatsapp_statuses=False)
    await wait_idle(sim)

    assert webhook_target.call_count == before


async def test_failed_sends_mark_read_and_sender_actions_fire_nothing(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    customer: str,
    wa_contact: str,
    webhook_target: respx.Route,
) -> None:
    await settings(sim, status_delay_ms=0)
    before = webhook_target.call_count
    inbound = (await sim.get("/_sim/deliveries")).json()["items"][-1]["wamid"]

    unknown = {"recipient": {"id": "42"}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    failed = await sim.post(
        f"/{VERSION}/{page['id']}/messages", json=unknown, headers=bearer(page["token"])
    )
    typing = await sim.post(
        f"/{VERSION}/{page['id']}/messages",
        json={"recipient": {"id": customer}, "sender_action": "typing_on"},
        headers=bearer(page["token"]),
    )
    read = await sim.post(
        f"/{VERSION}/{LIMA_NUMBER_ID}/messages",
        json={"messaging_product": "whatsapp", "status": "read", "message_id": inbound},
        headers=bearer(wa_contact),
    )
    await wait_idle(sim)

    assert (failed.status_code, typing.status_code, read.status_code) == (400, 200, 200)
    assert webhook_target.call_count == before


async def test_an_unreachable_webhook_is_logged_not_fatal(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    customer: str,
    outgoing: respx.MockRouter,
    sim_settings: SimSettings,
) -> None:
    await settings(sim, status_delay_ms=0)
    outgoing.post(sim_settings.webhook_url).mock(side_effect=httpx.ConnectError("refused"))

    await messenger_send(sim, page, customer)
    await wait_idle(sim)

    logged = (await sim.get("/_sim/deliveries")).json()["items"][-3:]
    assert [(d["event"], d["delivered"]) for d in logged] == [
        ("echo", False),
        ("delivery", False),
        ("read", False),
    ]
    assert all(d["error"].startswith("ConnectError") for d in logged)
    assert (await sim.get("/_sim/healthz")).status_code == 200


async def test_defaults_fire_after_the_default_delay(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    customer: str,
    webhook_target: respx.Route,
) -> None:
    before = webhook_target.call_count

    await messenger_send(sim, page, customer)
    right_after = webhook_target.call_count
    await wait_idle(sim)

    assert right_after == before  # nothing before the first 200 ms delay
    assert webhook_target.call_count == before + 3


async def test_reset_cancels_pending_automatic_events(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    customer: str,
    webhook_target: respx.Route,
) -> None:
    await settings(sim, status_delay_ms=500)
    await messenger_send(sim, page, customer)
    before = webhook_target.call_count

    await sim.delete("/_sim/state")
    await wait_idle(sim)

    assert webhook_target.call_count == before
