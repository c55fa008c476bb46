"""Inbound media fetched into object storage by `media.fetch` (a real S3 server, SeaweedFS).

WhatsApp: media id → Graph metadata (short-lived URL, sha256) → download with the channel's
token. Messenger: the CDN URL, without any token. Failures retry or fail readably."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
import respx
from arq import Retry
from botocore.exceptions import ClientError
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.models import Attachment, AttachmentState, Channel
from api.storage import Storage
from tests.event_payloads import (
    attachments_of,
    cdn_attachment,
    create_whatsapp_channel,
    customer_message,
    deliver_and_process,
    only_conversation,
    page_payload,
    published,
    thread,
    wa_contact,
    wa_message,
    wa_messages,
)
from tests.helpers import Account, EventRecorder, create_account, create_messenger_channel
from worker import tasks

WA_ID = "16505551234"
PSID = "24012345678901234"
WA_TOKEN = "wa-system-user-token"
MEDIA_ID = "1479537139650973"
MEDIA_URL = "https://lookaside.test/media/x"
CDN_URL = "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?_nc_cat=1&oh=abc&oe=6800"
PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg but close enough " * 40


async def whatsapp_image(
    client: httpx.AsyncClient, session: AsyncSession, *, caption: str = "Broken on arrival"
) -> tuple[Account, Channel, Attachment]:
    """A customer's WhatsApp photo, ingested: its attachment is pending."""
    account = await create_account(client)
    channel = await create_whatsapp_channel(session, account.tenant_id, token=WA_TOKEN)
    image = {
        "caption": caption,
        "mime_type": "image/jpeg",
        "sha256": "webhook-hash",
        "id": MEDIA_ID,
    }
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "image", image), contacts=[wa_contact(WA_ID)]),
    )
    conversation = await only_conversation(session)
    (message,) = await thread(client, account, conversation.id)
    (attachment,) = await attachments_of(session, message["id"])
    assert attachment.state is AttachmentState.PENDING
    return account, channel, attachment


def media_metadata(body: bytes, *, sha256: str | None = None) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "url": MEDIA_URL,
        "mime_type": "image/jpeg",
        "sha256": sha256 if sha256 is not None else hashlib.sha256(body).hexdigest(),
        "file_size": str(len(body)),
        "id": MEDIA_ID,
    }


def lookaside(graph: respx.MockRouter, body: bytes, token: str = WA_TOKEN) -> respx.Route:
    """WhatsApp's media host: answers only with the channel's Bearer token."""

    def serve(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return httpx.Response(401, json={"error": {"message": "unauthorized"}})
        return httpx.Response(200, content=body, headers={"Content-Type": "image/jpeg"})

    route: respx.Route = graph.get(MEDIA_URL).mock(side_effect=serve)
    return route


async def fresh(session: AsyncSession, attachment: Attachment) -> Attachment:
    row = await session.get(Attachment, attachment.id, populate_existing=True)
    assert row is not None
    return row


async def fetch(attachment: Attachment, job_try: int = 1) -> str:
    return await tasks.fetch_media({"job_try": job_try}, str(attachment.id))


async def assert_not_stored(storage: Storage, attachment: Attachment) -> None:
    from api.inbox.media import storage_key

    with pytest.raises(ClientError):
        await storage.get(storage_key(attachment))


# --- WhatsApp -----------------------------------------------------------------------


async def test_whatsapp_media_is_downloaded_with_the_token_and_stored(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    storage: Storage,
    events: EventRecorder,
) -> None:
    account, _, attachment = await whatsapp_image(client, session)
    metadata = graph.get(f"/{MEDIA_ID}").respond(200, json=media_metadata(PHOTO))
    download = lookaside(graph, PHOTO)
    events.published.clear()

    assert await fetch(attachment) == "stored"

    assert metadata.calls.last.request.headers["Authorization"] == f"Bearer {WA_TOKEN}"
    assert download.call_count == 1
    assert "access_token" not in str(download.calls.last.request.url)
    row = await fresh(session, attachment)
    assert row.state is AttachmentState.STORED and row.error is None
    assert row.size == len(PHOTO)
    assert row.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert row.storage_key is not None
    assert row.storage_key.startswith(f"{account.tenant_id}/{row.message_id}/{row.id}/")
    assert await storage.get(row.storage_key) == PHOTO
    (updated,) = published(events, "message:updated")
    assert updated["message"]["id"] == str(row.message_id)
    assert [(a["state"], a["size"]) for a in updated["message"]["attachments"]] == [
        ("stored", len(PHOTO))
    ]
    conversation = await only_conversation(session)
    (message,) = await thread(client, account, conversation.id)
    assert message["attachments"][0]["state"] == "stored"
    assert message["attachments"][0]["mime_type"] == "image/jpeg"

    assert await fetch(attachment) == "skipped"  # a second run of the job does nothing
    assert download.call_count == 1


async def test_a_sha256_mismatch_retries_then_fails(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    _, _, attachment = await whatsapp_image(client, session)
    graph.get(f"/{MEDIA_ID}").respond(200, json=media_metadata(PHOTO, sha256="0" * 64))
    lookaside(graph, PHOTO)

    with pytest.raises(Retry):
        await fetch(attachment, job_try=1)

    row = await fresh(session, attachment)
    assert (row.state, row.attempts) == (AttachmentState.PENDING, 1)
    await assert_not_stored(storage, row)

    assert (await fetch(attachment, job_try=6)).startswith("failed")

    row = await fresh(session, attachment)
    assert row.state is AttachmentState.FAILED
    assert row.error is not None and "sha256" in row.error
    assert row.storage_key is None
    await assert_not_stored(storage, row)


async def test_a_base64_sha256_is_accepted_too(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    _, _, attachment = await whatsapp_image(client, session)
    digest = base64.b64encode(hashlib.sha256(PHOTO).digest()).decode()
    graph.get(f"/{MEDIA_ID}").respond(200, json=media_metadata(PHOTO, sha256=digest))
    lookaside(graph, PHOTO)

    assert await fetch(attachment) == "stored"
    assert (await fresh(session, attachment)).sha256 == hashlib.sha256(PHOTO).hexdigest()


async def test_a_transient_download_failure_retries_and_then_succeeds(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    _, _, attachment = await whatsapp_image(client, session)
    graph.get(f"/{MEDIA_ID}").respond(200, json=media_metadata(PHOTO))
    graph.get(MEDIA_URL).mock(side_effect=[httpx.Response(503), httpx.Response(200, content=PHOTO)])

    with pytest.raises(Retry):
        await fetch(attachment, job_try=1)
    assert (await fresh(session, attachment)).state is AttachmentState.PENDING

    assert await fetch(attachment, job_try=2) == "stored"
    row = await fresh(session, attachment)
    assert row.storage_key is not None and await storage.get(row.storage_key) == PHOTO


async def test_an_unknown_media_id_fails_permanently_with_a_readable_error(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    storage: Storage,
    events: EventRecorder,
) -> None:
    account, _, attachment = await whatsapp_image(client, session)
    graph.get(f"/{MEDIA_ID}").respond(
        404,
        json={
            "error": {
                "message": f"Unsupported get request. Object with ID '{MEDIA_ID}' does not exist,"
                " cannot be loaded due to missing permissions, or does not support this operation.",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
                "fbtrace_id": "AbCdEf",
            }
        },
    )
    events.published.clear()

    assert await fetch(attachment, job_try=1) == "failed 100/33"  # no retry

    row = await fresh(session, attachment)
    assert row.state is AttachmentState.FAILED
    assert row.error is not None and "does not exist" in row.error
    (updated,) = published(events, "message:updated")
    assert updated["message"]["attachments"][0]["state"] == "failed"
    conversation = await only_conversation(session)
    (message,) = await thread(client, account, conversation.id)
    assert message["attachments"][0]["error"] == row.error


async def test_an_expired_download_url_fails_permanently(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    _, _, attachment = await whatsapp_image(client, session)
    graph.get(f"/{MEDIA_ID}").respond(200, json=media_metadata(PHOTO))
    graph.get(MEDIA_URL).respond(404)

    assert await fetch(attachment) == "failed http_404"

    row = await fresh(session, attachment)
    assert row.state is AttachmentState.FAILED
    assert row.error is not None and "404" in row.error


async def test_media_larger_than_the_limit_fails(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, attachment = await whatsapp_image(client, session)
    monkeypatch.setenv("STORAGE_MAX_MEDIA_BYTES", "100")
    get_settings.cache_clear()
    graph.get(f"/{MEDIA_ID}").respond(200, json=media_metadata(PHOTO))
    lookaside(graph, PHOTO)
    assert len(PHOTO) > 100

    assert (await fetch(attachment)).startswith("failed")

    row = await fresh(session, attachment)
    assert row.state is AttachmentState.FAILED
    assert row.error is not None and "100 bytes" in row.error
    await assert_not_stored(storage, row)


# --- Messenger ----------------------------------------------------------------------


async def test_messenger_cdn_media_is_fetched_without_a_token(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    storage: Storage,
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id, token="page-token")
    page = channel.external_id
    await deliver_and_process(
        client,
        session,
        page_payload(
            page,
            customer_message(
                page,
                PSID,
                attachments=[
                    cdn_attachment("image", CDN_URL),
                    cdn_attachment("file", CDN_URL.replace("photo.jpg", "manual.pdf")),
                ],
            ),
        ),
    )
    conversation = await only_conversation(session)
    (message,) = await thread(client, account, conversation.id)
    photo, manual = await attachments_of(session, message["id"])
    cdn = graph.get(CDN_URL).respond(200, content=PHOTO, headers={"Content-Type": "image/jpeg"})
    pdf = graph.get(CDN_URL.replace("photo.jpg", "manual.pdf")).respond(
        200, content=b"%PDF-1.7 manual", headers={"Content-Type": "application/pdf"}
    )

    assert await fetch(photo) == "stored"
    assert await fetch(manual) == "stored"

    for route in (cdn, pdf):
        assert "Authorization" not in route.calls.last.request.headers
    stored_photo, stored_manual = await fresh(session, photo), await fresh(session, manual)
    assert stored_photo.storage_key is not None and stored_manual.storage_key is not None
    assert await storage.get(stored_photo.storage_key) == PHOTO
    assert await storage.get(stored_manual.storage_key) == b"%PDF-1.7 manual"
    assert (stored_photo.mime_type, stored_manual.mime_type) == ("image/jpeg", "application/pdf")
    (message,) = await thread(client, account, conversation.id)
    assert [(a["kind"], a["state"]) for a in message["attachments"]] == [
        ("image", "stored"),
        ("file", "stored"),
    ]
