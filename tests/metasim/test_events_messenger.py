"""``POST /_sim/messenger/events``: every Messenger event kind, signed like Meta does."""

from typing import Any

import httpx
import pytest
import respx

from metasim.config import SimSettings
from metasim.fixtures import LIMA_BIKES_PAGE_ID
from tests.metasim.signed import last_payload, only_messenger_event

MARTA = "7100000000000001"  # a fixture customer with history on Lima Bikes


async def event(
    sim: httpx.AsyncClient,
    route: respx.Route,
    settings: SimSettings,
    kind: str,
    container: str = "messaging",
    **params: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Deliver one event; the answer and the verified event as the webhook received it."""
    body = {"page_id": LIMA_BIKES_PAGE_ID, "kind": kind, "psid": MARTA, **params}
    response = await sim.post("/_sim/messenger/events", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert (result["delivered"], result["status_code"], result["error"]) == (True, 200, None)
    assert result["kind"] == kind
    assert result["page_id"] == LIMA_BIKES_PAGE_ID
    assert result["psid"] == MARTA
    payload = last_payload(route, settings.app_secret)
    assert payload["entry"][0]["id"] == LIMA_BIKES_PAGE_ID
    found = only_messenger_event(payload, container)
    if container == "messaging" and kind != "echo":
        assert found["sender"] == {"id": MARTA}
        assert found["recipient"] == {"id": LIMA_BIKES_PAGE_ID}
    assert found["timestamp"] > 10**12
    return result, found


async def test_text(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, found = await event(sim, webhook_target, sim_settings, "text", text="Olá!")

    assert found["message"] == {"mid": result["mid"], "text": "Olá!"}
    assert result["mid"].startswith("m_")


@pytest.mark.parametrize(
    ("kind", "mime", "magic"),
    [
        ("image", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("video", "video/mp4", b"\x00\x00\x00\x20ftypisom"),
        ("audio", "audio/mpeg", b"\xff\xfb"),
        ("file", "application/pdf", b"%PDF-1.4"),
    ],
)
async def test_media_attachment_points_at_real_bytes_on_the_cdn(
    sim: httpx.AsyncClient,
    webhook_target: respx.Route,
    sim_settings: SimSettings,
    kind: str,
    mime: str,
    magic: bytes,
) -> None:
    result, found = await event(sim, webhook_target, sim_settings, kind)

    message = found["message"]
    [attachment] = message["attachments"]
    assert attachment["type"] == kind
    url = attachment["payload"]["url"]
    assert url == result["attachment_url"]
    assert url.startswith(f"http://metasim/_sim/cdn/{result['asset_id']}?")
    download = await sim.get(url)  # no token: Meta's CDN URLs are open
    assert download.status_code == 200
    assert download.headers["content-type"] == mime
    assert download.content.startswith(magic)
    assert int(download.headers["content-length"]) == len(download.content) > 0


async def test_sticker_arrives_as_image_and_sticker_attachments(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, found = await event(sim, webhook_target, sim_settings, "sticker", sticker_id=1234)

    message = found["message"]
    assert message["sticker_id"] == 1234
    assert [a["type"] for a in message["attachments"]] == ["image", "sticker"]
    assert all(a["payload"]["sticker_id"] == 1234 for a in message["attachments"])
    picture = await sim.get(message["attachments"][1]["payload"]["url"])
    assert picture.headers["content-type"] == "image/png"


async def test_link_is_a_fallback_attachment(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    link = "https://shop.test/p/1"
    _, found = await event(sim, webhook_target, sim_settings, "link", link=link, title="Shop")

    [attachment] = found["message"]["attachments"]
    assert attachment["type"] == "fallback"
    assert (attachment["url"], attachment["title"]) == (link, "Shop")
    assert attachment["payload"] == {"url": link, "title": "Shop"}
    assert found["message"]["text"] == link


async def test_quick_reply_postback_and_reply(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, quick = await event(
        sim, webhook_target, sim_settings, "quick_reply", text="Red", payload="COLOR_RED"
    )
    result, postback = await event(
        sim, webhook_target, sim_settings, "postback", title="Start", payload="START"
    )
    reply_result, reply = await event(
        sim, webhook_target, sim_settings, "reply", text="This one", target_mid="m_target"
    )

    assert quick["message"]["text"] == "Red"
    assert quick["message"]["quick_reply"] == {"payload": "COLOR_RED"}
    assert postback["postback"] == {"title": "Start", "payload": "START", "mid": result["mid"]}
    assert reply["message"]["reply_to"] == {"mid": "m_target"}
    assert reply_result["target_mid"] == "m_target"


async def test_reply_defaults_to_the_latest_message_of_the_thread(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    first, _ = await event(sim, webhook_target, sim_settings, "text")
    result, reply = await event(sim, webhook_target, sim_settings, "reply")

    assert reply["message"]["reply_to"] == {"mid": first["mid"]}
    assert result["target_mid"] == first["mid"]


async def test_reaction_and_unreact_target_a_mid(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, react = await event(
        sim, webhook_target, sim_settings, "reaction", target_mid="m_x", reaction="like", emoji="👍"
    )
    _, unreact = await event(sim, webhook_target, sim_settings, "unreact", target_mid="m_x")

    assert react["reaction"] == {"mid": "m_x", "action": "react", "reaction": "like", "emoji": "👍"}
    assert unreact["reaction"] == {"mid": "m_x", "action": "unreact"}


async def test_echo_from_another_app(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, found = await event(sim, webhook_target, sim_settings, "echo", text="From the app")

    assert found["sender"] == {"id": LIMA_BIKES_PAGE_ID}
    assert found["recipient"] == {"id": MARTA}
    message = found["message"]
    assert message["is_echo"] is True
    assert message["mid"] == result["mid"]
    assert message["text"] == "From the app"
    assert str(message["app_id"]) != sim_settings.app_id
    assert isinstance(message["app_id"], int)  # Meta sends the app id as a number


async def test_delivery_and_read_receipts(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, delivery = await event(
        sim, webhook_target, sim_settings, "delivery", mids=["m_1", "m_2"], watermark=1700000000000
    )
    _, read = await event(sim, webhook_target, sim_settings, "read", watermark=1700000000001)

    assert delivery["delivery"] == {"mids": ["m_1", "m_2"], "watermark": 1700000000000}
    assert read["read"] == {"watermark": 1700000000001}


async def test_referral_has_no_message(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, found = await event(
        sim, webhook_target, sim_settings, "referral", ref="promo", ad_id="42", source="ADS"
    )

    assert "message" not in found
    assert found["referral"] == {
        "ref": "promo",
        "source": "ADS",
        "type": "OPEN_THREAD",
        "ad_id": "42",
    }


async def test_standby_puts_the_message_in_standby(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, found = await event(
        sim, webhook_target, sim_settings, "standby", container="standby", text="Hello?"
    )

    assert found["message"] == {"mid": result["mid"], "text": "Hello?"}
    assert "messaging" not in last_payload(webhook_target, sim_settings.app_secret)["entry"][0]


async def test_unknown_event_key(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    _, found = await event(sim, webhook_target, sim_settings, "unknown")
    _, custom = await event(
        sim, webhook_target, sim_settings, "unknown", event_key="future_thing", data={"a": 1}
    )

    assert isinstance(found["brand_new_event"], dict)
    assert custom["future_thing"] == {"a": 1}


async def test_inbound_messages_join_the_thread_and_the_customer_becomes_known(
    sim: httpx.AsyncClient, page: dict[str, str], webhook_target: respx.Route
) -> None:
    body = {"page_id": page["id"], "kind": "image", "first_name": "Nia"}
    result = (await sim.post("/_sim/messenger/events", json=body)).json()

    deliveries = (await sim.get("/_sim/deliveries")).json()["items"]
    assert deliveries[-1]["kind"] == "messenger"
    assert deliveries[-1]["event"] == "image"
    assert (deliveries[-1]["mid"], deliveries[-1]["psid"]) == (result["mid"], result["psid"])
    headers = {"Authorization": f"Bearer {page['token']}"}
    profile = await sim.get(f"/v25.0/{result['psid']}", headers=headers)
    assert profile.json()["first_name"] == "Nia"
    thread = await sim.get(
        f"/v25.0/{page['id']}/conversations",
        params={"user_id": result["psid"], "fields": "id,message_count"},
        headers=headers,
    )
    assert thread.json()["data"][0]["message_count"] == 1


async def test_unknown_page_and_bad_kind_are_refused(sim: httpx.AsyncClient) -> None:
    unknown = await sim.post("/_sim/messenger/events", json={"page_id": "999", "kind": "text"})
    bad_kind = await sim.post(
        "/_sim/messenger/events", json={"page_id": LIMA_BIKES_PAGE_ID, "kind": "smoke"}
    )
    typo = await sim.post(
        "/_sim/messenger/events", json={"page_id": LIMA_BIKES_PAGE_ID, "kind": "text", "txt": "x"}
    )

    assert unknown.status_code == 404
    assert unknown.json()["error"] == "page_not_found"
    assert bad_kind.status_code == 422
    assert typo.status_code == 422


async def test_cdn_asset_can_expire(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    result, _ = await event(sim, webhook_target, sim_settings, "image")

    expired = await sim.post(f"/_sim/cdn/{result['asset_id']}/expire")
    gone = await sim.get(result["attachment_url"])

    assert expired.json() == {"id": result["asset_id"], "expired": True}
    assert gone.status_code == 404


async def test_failed_target_is_reported_not_raised(
    sim: httpx.AsyncClient, outgoing: respx.MockRouter, sim_settings: SimSettings
) -> None:
    outgoing.post(sim_settings.webhook_url).respond(500)

    response = await sim.post(
        "/_sim/messenger/events", json={"page_id": LIMA_BIKES_PAGE_ID, "kind": "read"}
    )

    assert response.status_code == 200
    result = response.json()
    assert (result["delivered"], result["status_code"]) == (False, 500)
    assert result["error"] == "target answered HTTP 500"
