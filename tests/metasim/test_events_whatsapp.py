"""``POST /_sim/whatsapp/events``: every WhatsApp event kind, signed like Meta does."""

from typing import Any

import httpx
import pytest
import respx

from metasim.config import SimSettings
from metasim.fixtures import ANA_ID, LIMA_NUMBER_ID, LIMA_WABA_ID
from tests.metasim.flows import VERSION, bearer, mint_token
from tests.metasim.signed import last_payload, only_value

WA_ID = "15551234567"
BUSINESS_DIGITS = "15550100001"  # Lima Bikes' number as webhooks carry it


async def wa_event(
    sim: httpx.AsyncClient,
    route: respx.Route,
    settings: SimSettings,
    kind: str,
    field: str = "messages",
    **params: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Deliver one event; the answer and the verified change value the webhook received."""
    body = {"phone_number_id": LIMA_NUMBER_ID, "kind": kind, "wa_id": WA_ID, **params}
    response = await sim.post("/_sim/whatsapp/events", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert (result["delivered"], result["status_code"], result["error"]) == (True, 200, None)
    assert (result["kind"], result["phone_number_id"]) == (kind, LIMA_NUMBER_ID)
    assert result["waba_id"] == LIMA_WABA_ID
    payload = last_payload(route, settings.app_secret)
    assert payload["entry"][0]["id"] == LIMA_WABA_ID
    value = only_value(payload, field)
    if field == "messages":
        assert value["messaging_product"] == "whatsapp"
        assert value["metadata"] == {
            "display_phone_number": BUSINESS_DIGITS,
            "phone_number_id": LIMA_NUMBER_ID,
        }
    else:
        assert payload["entry"][0]["time"] > 10**9
    return result, value


def only_message(value: dict[str, Any], result: dict[str, Any], kind: str) -> dict[str, Any]:
    [message] = value["messages"]
    assert message["from"] == WA_ID
    assert message["id"] == result["wamid"]
    assert message["timestamp"].isdigit()
    assert message["type"] == kind
    found: dict[str, Any] = message
    return found


async def test_text_with_contact(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, value = await wa_event(
        sim, webhook_target, sim_settings, "text", text="Olá", name="João"
    )

    assert value["contacts"] == [{"profile": {"name": "João"}, "wa_id": WA_ID}]
    assert only_message(value, result, "text")["text"] == {"body": "Olá"}
    assert result["wamid"].startswith("wamid.")


@pytest.mark.parametrize(
    ("kind", "media_type", "mime"),
    [
        ("image", "image", "image/png"),
        ("video", "video", "video/mp4"),
        ("audio", "audio", "audio/mpeg"),
        ("voice", "audio", "audio/ogg; codecs=opus"),
        ("document", "document", "application/pdf"),
        ("sticker", "sticker", "image/webp"),
    ],
)
async def test_media_messages_carry_a_registered_media_id(
    sim: httpx.AsyncClient,
    webhook_target: respx.Route,
    sim_settings: SimSettings,
    kind: str,
    media_type: str,
    mime: str,
) -> None:
    result, value = await wa_event(sim, webhook_target, sim_settings, kind)

    content = only_message(value, result, media_type)[media_type]
    assert content["id"] == result["media_id"]
    assert content["mime_type"] == mime
    assert content["sha256"] == result["sha256"]
    assert len(content["sha256"]) == 64
    listed = (await sim.get("/_sim/media")).json()["items"]
    [media] = [m for m in listed if m["id"] == result["media_id"]]
    assert (media["sha256"], media["mime_type"]) == (content["sha256"], mime)
    assert media["phone_number_id"] == LIMA_NUMBER_ID
    assert media["file_size"] > 0


async def test_media_flags_caption_and_filename(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    image_result, image = await wa_event(
        sim, webhook_target, sim_settings, "image", caption="My bike"
    )
    voice_result, voice = await wa_event(sim, webhook_target, sim_settings, "voice")
    doc_result, doc = await wa_event(
        sim, webhook_target, sim_settings, "document", filename="invoice.pdf"
    )
    sticker_result, sticker = await wa_event(
        sim, webhook_target, sim_settings, "sticker", animated=True
    )

    assert only_message(image, image_result, "image")["image"]["caption"] == "My bike"
    assert only_message(voice, voice_result, "audio")["audio"]["voice"] is True
    assert only_message(doc, doc_result, "document")["document"]["filename"] == "invoice.pdf"
    assert only_message(sticker, sticker_result, "sticker")["sticker"]["animated"] is True


async def test_location_and_contacts(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    loc_result, loc = await wa_event(
        sim, webhook_target, sim_settings, "location", latitude=1.5, longitude=-2.25
    )
    card_result, card = await wa_event(
        sim, webhook_target, sim_settings, "contacts", contact_name="Rui Lopes"
    )

    location = only_message(loc, loc_result, "location")["location"]
    assert (location["latitude"], location["longitude"]) == (1.5, -2.25)
    assert {"name", "address"} <= location.keys()
    [shared] = only_message(card, card_result, "contacts")["contacts"]
    assert shared["name"]["formatted_name"] == "Rui Lopes"
    assert shared["phones"][0]["type"] == "CELL"


async def test_interactive_replies_and_template_button_quote_a_business_message(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    button_result, button = await wa_event(
        sim,
        webhook_target,
        sim_settings,
        "button_reply",
        reply_id="b1",
        title="Yes",
        target_wamid="wamid.OURS",
    )
    list_result, listed = await wa_event(
        sim, webhook_target, sim_settings, "list_reply", reply_id="r1", title="Pickup"
    )
    template_result, template = await wa_event(
        sim, webhook_target, sim_settings, "template_button", payload="OK", title="Confirm"
    )

    pressed = only_message(button, button_result, "interactive")
    assert pressed["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "b1", "title": "Yes"},
    }
    assert pressed["context"] == {"from": BUSINESS_DIGITS, "id": "wamid.OURS"}
    chosen = only_message(listed, list_result, "interactive")["interactive"]
    assert chosen["type"] == "list_reply"
    assert (chosen["list_reply"]["id"], chosen["list_reply"]["title"]) == ("r1", "Pickup")
    tapped = only_message(template, template_result, "button")
    assert tapped["button"] == {"payload": "OK", "text": "Confirm"}
    assert tapped["context"]["id"] == template_result["target_wamid"]


async def test_reaction_unreact_and_reply(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    react_result, react = await wa_event(
        sim, webhook_target, sim_settings, "reaction", target_wamid="wamid.A", emoji="🔥"
    )
    unreact_result, unreact = await wa_event(
        sim, webhook_target, sim_settings, "unreact", target_wamid="wamid.A"
    )
    reply_result, reply = await wa_event(
        sim, webhook_target, sim_settings, "reply", target_wamid="wamid.A", text="This"
    )

    assert only_message(react, react_result, "reaction")["reaction"] == {
        "message_id": "wamid.A",
        "emoji": "🔥",
    }
    assert only_message(unreact, unreact_result, "reaction")["reaction"] == {
        "message_id": "wamid.A",
        "emoji": "",
    }
    quoted = only_message(reply, reply_result, "text")
    assert quoted["context"] == {"from": BUSINESS_DIGITS, "id": "wamid.A"}
    assert quoted["text"] == {"body": "This"}


async def test_order(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, value = await wa_event(sim, webhook_target, sim_settings, "order", catalog_id="77")

    order = only_message(value, result, "order")["order"]
    assert order["catalog_id"] == "77"
    assert order["product_items"][0].keys() == {
        "product_retailer_id",
        "quantity",
        "item_price",
        "currency",
    }


async def test_system_user_changed_number_lets_the_business_write_to_the_new_id(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, value = await wa_event(
        sim, webhook_target, sim_settings, "system", new_wa_id="15559998888"
    )

    system = only_message(value, result, "system")["system"]
    assert system["type"] == "user_changed_number"
    assert system["new_wa_id"] == "15559998888"
    assert "contacts" not in value
    token = await mint_token(sim, ANA_ID)
    send = {
        "messaging_product": "whatsapp",
        "to": "15559998888",
        "type": "text",
        "text": {"body": "Noted"},
    }
    answer = await sim.post(
        f"/{VERSION}/{LIMA_NUMBER_ID}/messages", json=send, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text


async def test_unsupported_message_carries_error_131051(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, value = await wa_event(sim, webhook_target, sim_settings, "unsupported")

    [error] = only_message(value, result, "unsupported")["errors"]
    assert error["code"] == 131051
    assert {"title", "message", "error_data"} <= error.keys()


async def test_value_level_errors(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, value = await wa_event(
        sim, webhook_target, sim_settings, "errors", error_code=131000, error_details="Oops"
    )

    assert "messages" not in value
    [error] = value["errors"]
    assert error["code"] == 131000
    assert error["error_data"] == {"details": "Oops"}


@pytest.mark.parametrize("status", ["sent", "delivered", "read"])
async def test_status_has_conversation_and_pricing(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings, status: str
) -> None:
    result, value = await wa_event(
        sim, webhook_target, sim_settings, "status", wamid="wamid.OURS", status=status
    )

    assert "contacts" not in value
    [item] = value["statuses"]
    assert (item["id"], item["status"], item["recipient_id"]) == ("wamid.OURS", status, WA_ID)
    assert item["timestamp"].isdigit()
    assert item["conversation"]["origin"] == {"type": "service"}
    assert ("expiration_timestamp" in item["conversation"]) == (status == "sent")
    assert item["pricing"]["pricing_model"] == "PMP"
    assert {"billable", "category"} <= item["pricing"].keys()
    assert "errors" not in item
    assert (result["wamid"], result["status"]) == ("wamid.OURS", status)


async def test_failed_status_carries_errors(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, value = await wa_event(
        sim, webhook_target, sim_settings, "status", status="failed", error_code=131047
    )

    [item] = value["statuses"]
    assert item["status"] == "failed"
    [error] = item["errors"]
    assert error["code"] == 131047
    assert error["title"] == error["message"] == "Re-engagement message"
    assert error["error_data"]["details"]


async def test_status_defaults_to_the_latest_send(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    await sim.post("/_sim/settings", json={"whatsapp_statuses": False})
    await wa_event(sim, webhook_target, sim_settings, "text")
    token = await mint_token(sim, ANA_ID)
    send = {"messaging_product": "whatsapp", "to": WA_ID, "type": "text", "text": {"body": "Hi"}}
    sent = await sim.post(f"/{VERSION}/{LIMA_NUMBER_ID}/messages", json=send, headers=bearer(token))
    wamid = sent.json()["messages"][0]["id"]

    result, value = await wa_event(sim, webhook_target, sim_settings, "status", status="read")

    assert result["wamid"] == wamid
    assert value["statuses"][0]["id"] == wamid


async def test_template_status_quality_and_account_updates(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, template = await wa_event(
        sim,
        webhook_target,
        sim_settings,
        "template_status",
        field="message_template_status_update",
        event="REJECTED",
        template_name="promo",
    )
    _, quality = await wa_event(
        sim,
        webhook_target,
        sim_settings,
        "quality",
        field="phone_number_quality_update",
        event="DOWNGRADE",
        current_limit="TIER_250",
        quality_rating="RED",
    )
    _, account = await wa_event(
        sim, webhook_target, sim_settings, "account", field="account_update", event="PARTNER_ADDED"
    )

    assert template["event"] == "REJECTED"
    assert template["message_template_name"] == "promo"
    assert isinstance(template["message_template_id"], int)
    assert template["reason"] != "NONE"
    assert quality == {
        "display_phone_number": BUSINESS_DIGITS,
        "event": "DOWNGRADE",
        "current_limit": "TIER_250",
    }
    numbers = (await sim.get("/_sim/whatsapp/numbers")).json()["items"]
    assert next(n for n in numbers if n["id"] == LIMA_NUMBER_ID)["quality_rating"] == "RED"
    assert account["event"] == "PARTNER_ADDED"
    assert account["waba_info"]["waba_id"] == LIMA_WABA_ID


async def test_bsuid_contact_carries_user_id_and_username(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, value = await wa_event(
        sim, webhook_target, sim_settings, "bsuid", user_id="US.123", username="@zoe", name="Zoe"
    )

    [contact] = value["contacts"]
    assert contact == {
        "profile": {"name": "Zoe", "username": "@zoe"},
        "wa_id": WA_ID,
        "user_id": "US.123",
    }
    message = only_message(value, result, "text")
    assert message["from_user_id"] == "US.123"


async def test_unknown_number_is_refused(sim: httpx.AsyncClient) -> None:
    response = await sim.post(
        "/_sim/whatsapp/events", json={"phone_number_id": "999", "kind": "text"}
    )

    assert response.status_code == 404
    assert response.json()["error"] == "number_not_found"
