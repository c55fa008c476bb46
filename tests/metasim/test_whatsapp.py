"""WhatsApp: registered numbers, signed webhook deliveries, the Cloud API send endpoint."""

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
import respx

from metasim.config import SimSettings
from metasim.fixtures import (
    ANA_ID,
    BEN_ID,
    LIMA_NUMBER_ID,
    LIMA_SUPPORT_NUMBER_ID,
    LIMA_WABA_ID,
    OKAFOR_NUMBER_ID,
)
from tests.metasim.flows import VERSION, bearer, graph_error, mint_token

WA_ID = "15551234567"


async def deliver(sim: httpx.AsyncClient, **body: str) -> dict[str, Any]:
    response = await sim.post("/_sim/whatsapp/deliver", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def wa_send(
    sim: httpx.AsyncClient, token: str, body: dict[str, Any], number: str = LIMA_NUMBER_ID
) -> httpx.Response:
    return await sim.post(f"/{VERSION}/{number}/messages", json=body, headers=bearer(token))


def text_body(to: str = WA_ID, text: str = "Hello from Lima Bikes") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": text},
    }


@pytest.fixture
async def ana_token(sim: httpx.AsyncClient) -> str:
    return await mint_token(sim, ANA_ID)


# Deliveries ------------------------------------------------------------------------------


async def test_delivery_is_a_signed_whatsapp_business_account_webhook(
    sim: httpx.AsyncClient, sim_settings: SimSettings, webhook_target: respx.Route
) -> None:
    result = await deliver(
        sim, phone_number_id=LIMA_NUMBER_ID, text="Olá, is my bike ready?", wa_id=WA_ID, name="João"
    )

    assert (result["delivered"], result["status_code"], result["error"]) == (True, 200, None)
    assert result["wa_id"] == WA_ID
    assert result["wamid"].startswith("wamid.")
    request = webhook_target.calls.last.request
    body = request.content
    expected = hmac.new(sim_settings.app_secret.encode(), body, hashlib.sha256).hexdigest()
    assert request.headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert b"\\u00e1" in body  # encoded like Meta: ASCII only
    payload = json.loads(body)
    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    assert entry["id"] == LIMA_WABA_ID
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": "15550100001",
        "phone_number_id": LIMA_NUMBER_ID,
    }
    assert value["contacts"] == [{"profile": {"name": "João"}, "wa_id": WA_ID}]
    [message] = value["messages"]
    assert message["from"] == WA_ID
    assert message["id"] == result["wamid"]
    assert message["type"] == "text"
    assert message["text"] == {"body": "Olá, is my bike ready?"}
    assert isinstance(message["timestamp"], str)
    assert message["timestamp"].isdigit()
    assert 10**9 < int(message["timestamp"]) < 10**10  # seconds, not milliseconds


async def test_delivery_defaults_and_log(
    sim: httpx.AsyncClient, webhook_target: respx.Route
) -> None:
    result = await deliver(sim, phone_number_id=OKAFOR_NUMBER_ID, text="Hi")

    assert result["wa_id"].isdigit()
    [logged] = (await sim.get("/_sim/deliveries")).json()["items"]
    assert logged["kind"] == "whatsapp"
    assert (logged["phone_number_id"], logged["wamid"]) == (OKAFOR_NUMBER_ID, result["wamid"])
    assert logged["body"].encode() == webhook_target.calls.last.request.content
    payload = json.loads(logged["body"])
    assert payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"]


async def test_delivery_to_an_unknown_number_is_a_404(
    sim: httpx.AsyncClient, outgoing: respx.MockRouter
) -> None:
    response = await sim.post(
        "/_sim/whatsapp/deliver", json={"phone_number_id": "499999999999999", "text": "Hi"}
    )
    bad_wa_id = await sim.post(
        "/_sim/whatsapp/deliver",
        json={"phone_number_id": LIMA_NUMBER_ID, "text": "Hi", "wa_id": "+1 555"},
    )

    assert response.status_code == 404
    assert response.json()["error"] == "number_not_found"
    assert bad_wa_id.status_code == 422
    assert outgoing.calls.call_count == 0


async def test_failed_target_is_reported(
    sim: httpx.AsyncClient, outgoing: respx.MockRouter
) -> None:
    outgoing.post("http://parley.test/api/webhooks/meta").respond(500)

    result = await deliver(sim, phone_number_id=LIMA_NUMBER_ID, text="Hi")

    assert (result["delivered"], result["status_code"]) == (False, 500)


async def test_registered_number_delivers_and_its_token_sends(
    sim: httpx.AsyncClient, webhook_target: respx.Route
) -> None:
    registered = await sim.put(
        "/_sim/whatsapp/numbers/400000000000777",
        json={
            "waba_id": "300000000000777",
            "display_phone_number": "+1 555-010-0777",
            "verified_name": "Demo Co",
            "access_token": "EAAG-demo-wa-token",
        },
    )
    result = await deliver(sim, phone_number_id="400000000000777", text="Hi", wa_id=WA_ID)

    sent = await wa_send(sim, "EAAG-demo-wa-token", text_body(), number="400000000000777")
    number = await sim.get(f"/{VERSION}/400000000000777", headers=bearer("EAAG-demo-wa-token"))
    fixture = await sim.get(f"/{VERSION}/{LIMA_NUMBER_ID}", headers=bearer("EAAG-demo-wa-token"))

    assert registered.status_code == 200
    assert registered.json()["waba_id"] == "300000000000777"
    assert "EAAG-demo-wa-token" not in registered.text
    entry = json.loads(webhook_target.calls.last.request.content)["entry"][0]
    assert entry["id"] == "300000000000777"
    assert result["delivered"] is True
    assert sent.status_code == 200, sent.text
    assert number.json()["verified_name"] == "Demo Co"
    assert graph_error(fixture)["code"] == 100


async def test_number_cannot_move_waba_or_reuse_a_page_token(
    sim: httpx.AsyncClient, page: dict[str, str]
) -> None:
    moved = await sim.put(
        f"/_sim/whatsapp/numbers/{LIMA_NUMBER_ID}",
        json={
            "waba_id": "300000000000777",
            "display_phone_number": "+1",
            "verified_name": "x",
            "access_token": "t1",
        },
    )
    page_token = await sim.put(
        "/_sim/whatsapp/numbers/400000000000778",
        json={
            "waba_id": "300000000000777",
            "display_phone_number": "+1",
            "verified_name": "x",
            "access_token": page["token"],
        },
    )

    assert moved.status_code == 409
    assert page_token.status_code == 409


# Sending -----------------------------------------------------------------------------------


async def test_send_text_to_a_user_who_wrote_first(
    sim: httpx.AsyncClient, ana_token: str, webhook_target: respx.Route
) -> None:
    await deliver(sim, phone_number_id=LIMA_NUMBER_ID, text="Hi", wa_id=WA_ID)

    response = await wa_send(sim, ana_token, text_body(to="+1 555-123-4567"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+1 555-123-4567", "wa_id": WA_ID}]
    [message] = body["messages"]
    assert message["id"].startswith("wamid.")
    [recorded] = (await sim.get("/_sim/sent", params={"kind": "whatsapp_send"})).json()["items"]
    assert recorded["phone_number_id"] == LIMA_NUMBER_ID
    assert recorded["recipient_id"] == "+1 555-123-4567"
    assert recorded["response"] == body
    assert (await sim.get("/_sim/sent", params={"phone_number_id": LIMA_NUMBER_ID})).json()[
        "items"
    ] == [recorded]


async def test_unknown_wa_id_is_undeliverable_131026(
    sim: httpx.AsyncClient, ana_token: str, webhook_target: respx.Route
) -> None:
    await deliver(sim, phone_number_id=LIMA_NUMBER_ID, text="Hi", wa_id=WA_ID)

    stranger = await wa_send(sim, ana_token, text_body(to="15559999999"))
    other_number = await wa_send(sim, ana_token, text_body(), number=LIMA_SUPPORT_NUMBER_ID)

    for response in (stranger, other_number):
        error = graph_error(response)
        assert error["code"] == 131026
        assert error["error_data"]["details"] == "Message Undeliverable."


async def test_text_needs_a_body_and_the_product(
    sim: httpx.AsyncClient, ana_token: str, webhook_target: respx.Route
) -> None:
    await deliver(sim, phone_number_id=LIMA_NUMBER_ID, text="Hi", wa_id=WA_ID)
    no_body = {**text_body(), "text": {}}
    no_product = {k: v for k, v in text_body().items() if k != "messaging_product"}
    template = {
        **{k: v for k, v in text_body().items() if k not in ("type", "text")},
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }

    missing_body = await wa_send(sim, ana_token, no_body)
    missing_product = await wa_send(sim, ana_token, no_product)
    accepted = await wa_send(sim, ana_token, template)

    assert graph_error(missing_body)["code"] == 100
    assert "text['body']" in graph_error(missing_body)["message"]
    assert graph_error(missing_product)["code"] == 100
    assert accepted.json()["messages"][0]["message_status"] == "accepted"


async def test_mark_read_needs_a_received_wamid(
    sim: httpx.AsyncClient, ana_token: str, webhook_target: respx.Route
) -> None:
    result = await deliver(sim, phone_number_id=LIMA_NUMBER_ID, text="Hi", wa_id=WA_ID)
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": result["wamid"]}

    ok = await wa_send(sim, ana_token, read)
    bad = await wa_send(sim, ana_token, {**read, "message_id": "wamid.unknown"})

    assert ok.json() == {"success": True}
    assert graph_error(bad)["code"] == 131009


async def test_send_needs_a_token_that_reaches_the_number_with_messaging(
    sim: httpx.AsyncClient, webhook_target: respx.Route
) -> None:
    await deliver(sim, phone_number_id=LIMA_NUMBER_ID, text="Hi", wa_id=WA_ID)
    ben = await mint_token(sim, BEN_ID)
    management_only = await mint_token(sim, ANA_ID, scopes=["whatsapp_business_management"])

    wrong_user = await wa_send(sim, ben, text_body())
    no_messaging = await wa_send(sim, management_only, text_body())
    no_token = await sim.post(f"/{VERSION}/{LIMA_NUMBER_ID}/messages", json=text_body())

    assert graph_error(wrong_user)["code"] == 100
    assert graph_error(no_messaging)["code"] == 200
    assert graph_error(no_token)["code"] == 104


async def test_whatsapp_send_faults(
    sim: httpx.AsyncClient, ana_token: str, webhook_target: respx.Route
) -> None:
    await deliver(sim, phone_number_id=LIMA_NUMBER_ID, text="Hi", wa_id=WA_ID)
    fault = {
        "endpoint": "whatsapp_send",
        "code": 80007,
        "message": "(#80007) Rate limit hit",
        "page_id": LIMA_WABA_ID,  # narrows to the WABA (or the number)
    }
    await sim.post("/_sim/faults", json=fault)

    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.x"}
    mark_read = await wa_send(sim, ana_token, read)
    limited = await wa_send(sim, ana_token, text_body())
    recovered = await wa_send(sim, ana_token, text_body())

    assert graph_error(mark_read)["code"] == 131009  # mark-read never takes a fault
    assert graph_error(limited)["code"] == 80007
    assert recovered.status_code == 200
