"""Files a business uploads, then sends by id: WhatsApp ``POST /{phone-number-id}/media``
and Messenger ``POST /{page-id}/message_attachments`` (multipart), checked like Meta; the
sends naming them are recorded in ``/_sim/sent`` with the file's details."""

import hashlib
import json
from typing import Any

import httpx
import pytest
import respx

from metasim.assets import build_pdf, build_png
from tests.metasim.flows import VERSION, bearer, graph_error

NUMBER_ID, WABA_ID, TOKEN = "400000000000777", "300000000000777", "EAAG-media-token"
OTHER_NUMBER_ID, OTHER_TOKEN = "400000000000778", "EAAG-other-waba-token"
WA_ID = "15550107777"
PNG = build_png((200, 30, 30))
PDF = build_pdf("Invoice 42")


@pytest.fixture
async def number(sim: httpx.AsyncClient, webhook_target: respx.Route) -> str:
    """A registered number a customer (WA_ID) has written to, so it may answer freely."""
    for number_id, waba_id, token in (
        (NUMBER_ID, WABA_ID, TOKEN),
        (OTHER_NUMBER_ID, "300000000000778", OTHER_TOKEN),
    ):
        body = {"waba_id": waba_id, "display_phone_number": "+1 555-010-0777",
                "verified_name": "Media Co", "access_token": token}  # fmt: skip
        assert (await sim.put(f"/_sim/whatsapp/numbers/{number_id}", json=body)).status_code == 200
    delivered = await sim.post(
        "/_sim/whatsapp/deliver", json={"phone_number_id": NUMBER_ID, "text": "hi", "wa_id": WA_ID}
    )
    assert delivered.json()["delivered"] is True
    return NUMBER_ID


async def wa_upload(
    sim: httpx.AsyncClient,
    content: bytes = PNG,
    mime: str = "image/png",
    *,
    number_id: str = NUMBER_ID,
    token: str = TOKEN,
    fields: dict[str, str] | None = None,
    with_file: bool = True,
) -> httpx.Response:
    data = {"messaging_product": "whatsapp", "type": mime} if fields is None else fields
    files = {"file": ("photo.png", content, mime)} if with_file else None
    return await sim.post(
        f"/{VERSION}/{number_id}/media", data=data, files=files, headers=bearer(token)
    )


async def wa_send(
    sim: httpx.AsyncClient, message_type: str, content: dict[str, Any]
) -> httpx.Response:
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID,
            "type": message_type, message_type: content}  # fmt: skip
    return await sim.post(f"/{VERSION}/{NUMBER_ID}/messages", json=body, headers=bearer(TOKEN))


async def sent(sim: httpx.AsyncClient, **filters: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await sim.get("/_sim/sent", params=filters)).json()["items"]
    return items


# WhatsApp --------------------------------------------------------------------------------


async def test_whatsapp_upload_gives_a_media_id_that_a_send_uses(
    sim: httpx.AsyncClient, number: str
) -> None:
    uploaded = await wa_upload(sim)
    assert uploaded.status_code == 200, uploaded.text
    media_id = uploaded.json()["id"]
    assert media_id.isdigit()

    info = await sim.get(f"/{VERSION}/{media_id}", headers=bearer(TOKEN))
    assert info.json()["mime_type"] == "image/png"
    assert info.json()["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert info.json()["file_size"] == len(PNG)

    response = await wa_send(sim, "image", {"id": media_id, "caption": "Your bike"})
    assert response.status_code == 200, response.text
    [call] = await sent(sim, phone_number_id=number)
    assert call["body"]["image"] == {"id": media_id, "caption": "Your bike"}
    assert call["media"] == {
        "id": media_id,
        "mime_type": "image/png",
        "filename": "photo.png",
        "file_size": len(PNG),
        "sha256": hashlib.sha256(PNG).hexdigest(),
    }
    [upload_call] = [c for c in (await sim.get("/_sim/calls")).json()["items"]
                     if c["kind"] == "media_upload"]  # fmt: skip
    assert upload_call["body"]["file"] == {
        "filename": "photo.png", "content_type": "image/png", "size": len(PNG)
    }  # fmt: skip
    assert upload_call["body"]["messaging_product"] == "whatsapp"


async def test_a_binary_file_arrives_byte_for_byte(sim: httpx.AsyncClient, number: str) -> None:
    tricky = bytes(range(256)) * 40 + b"\r\n--\r\n\r\n" + PDF
    media_id = (await wa_upload(sim, tricky, "application/pdf")).json()["id"]
    info = (await sim.get(f"/{VERSION}/{media_id}", headers=bearer(TOKEN))).json()
    assert info["sha256"] == hashlib.sha256(tricky).hexdigest()


@pytest.mark.parametrize(
    ("kwargs", "code", "needle"),
    [
        ({"with_file": False}, 100, "file is required"),
        ({"fields": {"type": "image/png"}}, 100, "messaging_product"),
        ({"fields": {"messaging_product": "whatsapp"}}, 100, "type is required"),
        ({"mime": "image/gif"}, 100, "one of the following types"),
        ({"content": b"x" * (5 * 1024 * 1024 + 1)}, 131053, "too big"),
    ],
)
async def test_whatsapp_upload_is_checked_like_meta(
    sim: httpx.AsyncClient, number: str, kwargs: dict[str, Any], code: int, needle: str
) -> None:
    response = await wa_upload(sim, **kwargs)
    error = graph_error(response)
    assert error["code"] == code
    assert needle in error["error_data"]["details"]


async def test_whatsapp_upload_needs_a_token_reaching_the_number(
    sim: httpx.AsyncClient, number: str
) -> None:
    error = graph_error(await wa_upload(sim, token=OTHER_TOKEN))
    assert (error["code"], error["error_subcode"]) == (100, 33)


async def test_a_send_naming_an_unknown_or_foreign_media_id_is_refused(
    sim: httpx.AsyncClient, number: str
) -> None:
    foreign = (await wa_upload(sim, number_id=OTHER_NUMBER_ID, token=OTHER_TOKEN)).json()["id"]
    for media_id in ("1234567890123456", foreign):
        error = graph_error(await wa_send(sim, "image", {"id": media_id}))
        assert error["code"] == 131053
        assert "not found" in error["error_data"]["details"]


async def test_a_media_id_is_sent_only_as_its_own_kind(sim: httpx.AsyncClient, number: str) -> None:
    media_id = (await wa_upload(sim, PDF, "application/pdf")).json()["id"]
    error = graph_error(await wa_send(sim, "image", {"id": media_id}))
    assert "cannot be sent as image" in error["error_data"]["details"]
    document = await wa_send(sim, "document", {"id": media_id, "filename": "invoice.pdf"})
    assert document.status_code == 200, document.text


async def test_audio_takes_no_caption(sim: httpx.AsyncClient, number: str) -> None:
    media_id = (await wa_upload(sim, b"ID3 fake mp3", "audio/mpeg")).json()["id"]
    error = graph_error(await wa_send(sim, "audio", {"id": media_id, "caption": "listen"}))
    assert error["code"] == 100
    assert (await wa_send(sim, "audio", {"id": media_id})).status_code == 200


async def test_an_upload_fault_can_be_injected(sim: httpx.AsyncClient, number: str) -> None:
    fault = {"endpoint": "media_upload", "code": 131016, "message": "Service unavailable",
             "http_status": 503, "is_transient": True}  # fmt: skip
    assert (await sim.post("/_sim/faults", json=fault)).status_code == 201
    assert graph_error(await wa_upload(sim))["code"] == 131016
    assert (await wa_upload(sim)).status_code == 200


# Messenger -------------------------------------------------------------------------------


async def messenger_upload(
    sim: httpx.AsyncClient,
    page: dict[str, str],
    kind: str = "image",
    content: bytes = PNG,
    mime: str = "image/png",
    *,
    message: Any = None,
    with_file: bool = True,
) -> httpx.Response:
    spec = {"attachment": {"type": kind, "payload": {"is_reusable": True}}}
    data = {"message": json.dumps(spec if message is None else message)}
    files = {"filedata": ("photo.png", content, mime)} if with_file else None
    return await sim.post(
        f"/{VERSION}/{page['id']}/message_attachments",
        data=data,
        files=files,
        headers=bearer(page["token"]),
    )


def attachment_send(psid: str, kind: str, attachment_id: str) -> dict[str, Any]:
    return {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": kind, "payload": {"attachment_id": attachment_id}}},
    }


async def test_messenger_upload_gives_an_attachment_id_that_a_send_uses(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str, webhook_target: respx.Route
) -> None:
    uploaded = await messenger_upload(sim, page)
    assert uploaded.status_code == 200, uploaded.text
    attachment_id = uploaded.json()["attachment_id"]

    response = await sim.post(
        f"/{VERSION}/{page['id']}/messages",
        json=attachment_send(customer, "image", attachment_id),
        headers=bearer(page["token"]),
    )
    assert response.status_code == 200, response.text
    [call] = await sent(sim, page_id=page["id"])
    assert call["media"]["id"] == attachment_id
    assert call["media"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (await sim.post("/_sim/wait-idle", params={"timeout": 5})).json()["idle"] is True
    echoes = [json.loads(c.request.content) for c in webhook_target.calls]
    echo = echoes[-3]["entry"][0]["messaging"][0]["message"]  # echo, delivery, read
    assert echo["is_echo"] is True
    [echoed] = echo["attachments"]
    cdn = await sim.get(echoed["payload"]["url"].split("metasim", 1)[-1])
    assert cdn.content == PNG


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"with_file": False}, "filedata"),
        ({"message": {"attachment": {"type": "image", "payload": {}}}}, "is_reusable"),
        ({"message": "not json"}, "JSON object"),
        ({"kind": "sticker"}, "must be one of"),
        ({"kind": "audio"}, "audio/* Content-Type"),
        ({"content": b"x" * (25 * 1024 * 1024 + 1)}, "size exceeds"),
    ],
)
async def test_messenger_upload_is_checked_like_meta(
    sim: httpx.AsyncClient, page: dict[str, str], kwargs: dict[str, Any], needle: str
) -> None:
    error = graph_error(await messenger_upload(sim, page, **kwargs))
    assert error["code"] == 100
    assert needle in error["message"]


async def test_a_messenger_send_naming_a_wrong_attachment_is_refused(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    attachment_id = (await messenger_upload(sim, page, "file", PDF, "application/pdf")).json()[
        "attachment_id"
    ]
    for kind, attachment, needle in (
        ("file", "999", "Invalid attachment_id"),
        ("image", attachment_id, "is a file, not a image"),
    ):
        response = await sim.post(
            f"/{VERSION}/{page['id']}/messages",
            json=attachment_send(customer, kind, attachment),
            headers=bearer(page["token"]),
        )
        assert needle in graph_error(response)["message"]


async def test_messenger_upload_needs_the_pages_token(
    sim: httpx.AsyncClient, page: dict[str, str], number: str
) -> None:
    response = await sim.post(
        f"/{VERSION}/{page['id']}/message_attachments",
        data={"message": "{}"},
        files={"filedata": ("a.png", PNG, "image/png")},
        headers=bearer(TOKEN),
    )
    assert graph_error(response)["code"] == 190
