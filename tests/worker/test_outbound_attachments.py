"""Sending a file: uploaded to Meta from object storage (WhatsApp media endpoint, Messenger
Attachment Upload API), then sent by Meta's id for it; the id is kept so a retry or a
re-run never uploads twice; upload errors are retried or fail like send errors. Last, the
same through metasim, in process."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from arq import Retry
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import db as api_db
from api.config import OutboundSettings, get_settings
from api.inbox.dispatch import Dispatcher
from api.inbox.ratelimit import channel_bucket, media_bucket
from api.meta.graph import GraphClient
from api.models import (
    Attachment,
    Channel,
    ChannelKind,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MessageStatus,
    Upload,
)
from api.storage import Storage, StorageError, get_storage
from metasim.outbound_media import UploadForm, parse_form
from tests.api.inbox.sending_data import INBOX, customer_thread, messenger_setup, whatsapp_setup
from tests.api.uploads.upload_data import PDF, PNG, presign
from tests.event_payloads import create_whatsapp_channel
from tests.helpers import Account, create_account, create_messenger_channel
from worker import tasks


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several sends to one customer here; the pair rate is tested elsewhere."""
    monkeypatch.setattr(get_settings().outbound, "whatsapp_pair_interval_seconds", 0)


async def queue_file(
    client: httpx.AsyncClient,
    account: Account,
    conversation: Conversation,
    content: bytes = PNG,
    *,
    filename: str = "photo.png",
    content_type: str = "image/png",
    caption: str | None = None,
) -> str:
    """Upload a file (straight to storage: respx stands in for all HTTP here) and queue
    it as a reply; the message id."""
    presigned = await presign(
        client, account, filename=filename, content_type=content_type, size=len(content)
    )
    assert presigned.status_code == 201, presigned.text
    upload_id = presigned.json()["upload_id"]
    upload = await upload_row(upload_id)
    await get_storage().put(upload.storage_key, content, upload.content_type)
    body: dict[str, Any] = {"attachment": {"upload_id": upload_id}}
    if caption:
        body["text"] = caption
    response = await client.post(
        f"{INBOX}/{conversation.id}/messages", json=body, headers=account.headers
    )
    assert response.status_code == 202, response.text
    message_id: str = response.json()["id"]
    return message_id


async def upload_row(upload_id: str) -> Upload:
    async with api_db.get_sessionmaker()() as session:
        found = await session.get(Upload, uuid.UUID(upload_id))
    assert found is not None
    return found


async def row(session: AsyncSession, model: Any, id_: str | uuid.UUID) -> Any:
    found = await session.execute(
        select(model)
        .where(model.id == uuid.UUID(str(id_)))
        .execution_options(populate_existing=True)
    )
    return found.scalar_one()


async def attachment_of(session: AsyncSession, message_id: str) -> Attachment:
    found = await session.execute(
        select(Attachment)
        .where(Attachment.message_id == uuid.UUID(message_id))
        .execution_options(populate_existing=True)
    )
    return found.scalar_one()


def form_of(request: httpx.Request) -> UploadForm:
    form = parse_form(request.content, request.headers["content-type"])
    assert form is not None, "not a multipart body"
    return form


def graph_error(http: int, code: int, message: str = "error", **extra: Any) -> httpx.Response:
    return httpx.Response(
        http, json={"error": {"message": message, "type": "OAuthException", "code": code, **extra}}
    )


def wa_sent(wamid: str = "wamid.f1") -> httpx.Response:
    return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": wamid}]})


# --- WhatsApp ------------------------------------------------------------------------------


async def test_whatsapp_uploads_the_file_then_sends_it_by_media_id(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation, caption="Your bike")
    number = channel.external_id
    media = graph.post(f"/{number}/media").respond(200, json={"id": "7001"})
    sent = graph.post(f"/{number}/messages").mock(return_value=wa_sent())

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    upload = media.calls.last.request
    assert upload.headers["Authorization"] == "Bearer wa-system-user-token"
    form = form_of(upload)
    assert form.fields == {"messaging_product": "whatsapp", "type": "image/png"}
    assert form.files["file"].content == PNG
    assert (form.files["file"].filename, form.files["file"].content_type) == (
        "photo.png", "image/png"
    )  # fmt: skip
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    assert json.loads(sent.calls.last.request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": contact.external_id,
        "type": "image",
        "image": {"id": "7001", "caption": "Your bike"},
        "biz_opaque_callback_data": message_id,
    }
    message = await row(session, Message, message_id)
    assert (message.status, message.external_id) == (MessageStatus.SENT, "wamid.f1")
    attachment = await attachment_of(session, message_id)
    assert attachment.source_media_id == "7001"
    assert attachment.media_id_expires_at is not None
    lifetime = attachment.media_id_expires_at - datetime.now(UTC)
    assert timedelta(days=28) < lifetime < timedelta(days=30)


async def test_a_document_goes_with_its_filename_and_audio_without_a_caption(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    document = await queue_file(
        client, account, conversation, PDF, filename="invoice.pdf",
        content_type="application/pdf", caption="March",
    )  # fmt: skip
    audio = await queue_file(
        client, account, conversation, b"ID3 audio", filename="note.mp3", content_type="audio/mpeg"
    )
    graph.post(f"/{channel.external_id}/media").respond(200, json={"id": "7002"})
    sent = graph.post(f"/{channel.external_id}/messages")
    sent.side_effect = [wa_sent("wamid.doc"), wa_sent("wamid.audio")]

    assert await tasks.send_message({"job_try": 1}, document) == "sent"
    assert json.loads(sent.calls.last.request.content)["document"] == {
        "id": "7002", "caption": "March", "filename": "invoice.pdf"
    }  # fmt: skip
    assert await tasks.send_message({"job_try": 1}, audio) == "sent"
    body = json.loads(sent.calls.last.request.content)
    assert (body["type"], body["audio"]) == ("audio", {"id": "7002"})


async def test_a_retried_send_uses_the_media_id_it_already_has(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation)
    media = graph.post(f"/{channel.external_id}/media").respond(200, json={"id": "7003"})
    sent = graph.post(f"/{channel.external_id}/messages")
    sent.side_effect = [
        graph_error(400, 130429, "(#130429) Rate limit hit"),  # retryable: the job runs again
        graph_error(400, 131026, "Message Undeliverable."),  # permanent: a person retries
        wa_sent(),
    ]

    with pytest.raises(Retry):
        await tasks.send_message({"job_try": 1}, message_id)
    assert await tasks.send_message({"job_try": 2}, message_id) == "failed 131026"
    retried = await client.post(f"/api/inbox/messages/{message_id}/retry", headers=account.headers)
    assert retried.status_code == 202, retried.text
    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    assert media.call_count == 1
    assert sent.call_count == 3
    assert all(json.loads(c.request.content)["image"] == {"id": "7003"} for c in sent.calls)


async def test_an_expired_media_id_is_uploaded_again(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation)
    attachment = await attachment_of(session, message_id)
    attachment.source_media_id = "6999"
    attachment.media_id_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    await session.commit()
    media = graph.post(f"/{channel.external_id}/media").respond(200, json={"id": "7004"})
    sent = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_sent())

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    assert media.call_count == 1
    assert json.loads(sent.calls.last.request.content)["image"] == {"id": "7004"}


async def test_a_retryable_upload_error_backs_off_before_any_send(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation)
    media = graph.post(f"/{channel.external_id}/media")
    media.side_effect = [
        graph_error(503, 131016, "Service unavailable", is_transient=True),
        httpx.Response(200, json={"id": "7005"}),
    ]
    sent = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_sent())

    with pytest.raises(Retry):
        await tasks.send_message({"job_try": 1}, message_id)
    waiting = await row(session, Message, message_id)
    assert (waiting.status, waiting.error_code, waiting.attempts) == (
        MessageStatus.QUEUED, "131016", 1
    )  # fmt: skip
    assert sent.call_count == 0

    assert await tasks.send_message({"job_try": 2}, message_id) == "sent"
    assert (media.call_count, sent.call_count) == (2, 1)


async def test_a_permanent_upload_error_fails_the_message_with_its_reason(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation)
    details = "Param file must be a file with one of the following types: image/jpeg"
    graph.post(f"/{channel.external_id}/media").mock(
        return_value=graph_error(400, 100, "Invalid parameter", error_data={"details": details})
    )
    sent = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_sent())

    assert await tasks.send_message({"job_try": 1}, message_id) == "failed 100"

    failed = await row(session, Message, message_id)
    assert (failed.status, failed.error_code, failed.error_reason) == (
        MessageStatus.FAILED, "100", details
    )  # fmt: skip
    assert sent.call_count == 0
    assert (await attachment_of(session, message_id)).source_media_id is None


async def test_a_dead_token_on_upload_flags_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation)
    graph.post(f"/{channel.external_id}/media").mock(
        return_value=graph_error(401, 190, "Invalid OAuth access token")
    )

    assert await tasks.send_message({"job_try": 1}, message_id) == "failed 190"
    assert (await row(session, Channel, channel.id)).status is ChannelStatus.NEEDS_REAUTH


async def test_a_file_gone_from_storage_fails_the_message_without_calling_meta(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation)
    await storage.delete_many([(await attachment_of(session, message_id)).storage_key or ""])
    media = graph.post(f"/{channel.external_id}/media").respond(200, json={"id": "7006"})

    assert await tasks.send_message({"job_try": 1}, message_id) == "failed upload_missing"

    failed = await row(session, Message, message_id)
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, "upload_missing")
    assert "no longer in object storage" in (failed.error_reason or "")
    assert media.call_count == 0


async def test_storage_unavailable_is_retried_like_a_network_failure(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    graph: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await queue_file(client, account, conversation)

    async def unreachable(self: Storage, key: str, file: Any) -> int:
        raise StorageError("object storage failed: EndpointConnectionError")

    monkeypatch.setattr(Storage, "download_to", unreachable)
    media = graph.post(f"/{channel.external_id}/media").respond(200, json={"id": "7007"})

    with pytest.raises(Retry):
        await tasks.send_message({"job_try": 1}, message_id)
    waiting = await row(session, Message, message_id)
    assert (waiting.status, waiting.error_code) == (MessageStatus.QUEUED, "network")
    assert media.call_count == 0


# --- Messenger -----------------------------------------------------------------------------


async def test_messenger_uploads_a_reusable_attachment_then_sends_its_id(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await messenger_setup(client, session)
    message_id = await queue_file(
        client, account, conversation, PDF, filename="invoice.pdf", content_type="application/pdf"
    )
    page = channel.external_id
    upload = graph.post(f"/{page}/message_attachments").respond(
        200, json={"attachment_id": "55501"}
    )
    sent = graph.post(f"/{page}/messages").respond(
        200, json={"recipient_id": "x", "message_id": "m_file"}
    )

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    form = form_of(upload.calls.last.request)
    assert json.loads(form.fields["message"]) == {
        "attachment": {"type": "file", "payload": {"is_reusable": True}}
    }
    assert form.files["filedata"].content == PDF
    assert form.files["filedata"].content_type == "application/pdf"
    body = json.loads(sent.calls.last.request.content)
    assert body["messaging_type"] == "RESPONSE"
    assert body["message"] == {
        "attachment": {"type": "file", "payload": {"attachment_id": "55501"}},
        "metadata": message_id,
    }
    attachment = await attachment_of(session, message_id)
    assert attachment.source_media_id == "55501"
    assert attachment.media_id_expires_at is not None
    assert attachment.media_id_expires_at - datetime.now(UTC) > timedelta(days=88)


async def test_messenger_human_agent_files_carry_the_tag(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await messenger_setup(client, session, wrote=timedelta(days=2))
    message_id = await queue_file(client, account, conversation)
    graph.post(f"/{channel.external_id}/message_attachments").respond(
        200, json={"attachment_id": "55502"}
    )
    sent = graph.post(f"/{channel.external_id}/messages").respond(
        200, json={"recipient_id": "x", "message_id": "m_tag"}
    )

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    body = json.loads(sent.calls.last.request.content)
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_messenger_paces_audio_and_video_at_their_own_lower_rate() -> None:
    settings = OutboundSettings()
    page = uuid.uuid4()
    audio = media_bucket(settings, ChannelKind.MESSENGER, page, "audio")
    video = media_bucket(settings, ChannelKind.MESSENGER, page, "video")
    assert audio is not None and audio == video
    assert audio.interval_us >= 100_000  # 10 per second, never faster
    text = channel_bucket(settings, ChannelKind.MESSENGER, page)
    assert audio.key != text.key and text.interval_us < 10_000
    assert media_bucket(settings, ChannelKind.MESSENGER, page, "image") is None
    assert media_bucket(settings, ChannelKind.WHATSAPP, page, "audio") is None


# --- through metasim --------------------------------------------------------------------------

NUMBER_ID, WABA_ID, WA_TOKEN = "400000000000888", "300000000000888", "EAAG-files-token"
PAGE_ID, PAGE_TOKEN, PSID = "104000000000888", "EAAG-files-page-token", "7000000000000888"
WA_ID = "15550108888"


@pytest.fixture
async def sim(sim_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """metasim with a number and a page, each with a customer who wrote to it."""
    transport = httpx.ASGITransport(app=sim_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metasim") as client:
        quiet = {"whatsapp_statuses": False, "messenger_echoes": False, "messenger_receipts": False}
        await client.post("/_sim/settings", json=quiet)
        number = {"waba_id": WABA_ID, "display_phone_number": "+1 555-010-0888",
                  "verified_name": "Files Co", "access_token": WA_TOKEN}  # fmt: skip
        await client.put(f"/_sim/whatsapp/numbers/{NUMBER_ID}", json=number)
        await client.put(
            f"/_sim/pages/{PAGE_ID}", json={"name": "Files Co", "access_token": PAGE_TOKEN}
        )
        await client.post(
            "/_sim/whatsapp/deliver",
            json={"phone_number_id": NUMBER_ID, "text": "hi", "wa_id": WA_ID},
        )
        await client.post(
            "/_sim/messenger/deliver", json={"page_id": PAGE_ID, "text": "hi", "psid": PSID}
        )
        yield client


async def test_files_reach_metasim_and_are_sent_by_the_ids_it_gave(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    sim: httpx.AsyncClient,
    sim_graph: GraphClient,
) -> None:
    account = await create_account(client)
    number = await create_whatsapp_channel(
        session, account.tenant_id, phone_number_id=NUMBER_ID, waba_id=WABA_ID, token=WA_TOKEN
    )
    page = await create_messenger_channel(
        session, account.tenant_id, page_id=PAGE_ID, token=PAGE_TOKEN
    )
    wa_thread = await customer_thread(session, number, external_id=WA_ID)
    page_thread = await customer_thread(session, page, external_id=PSID)
    photo = await queue_file(client, account, wa_thread, caption="Your bike")
    invoice = await queue_file(
        client, account, page_thread, PDF, filename="invoice.pdf", content_type="application/pdf"
    )
    dispatcher = Dispatcher(graph=sim_graph, storage=storage)

    assert (await dispatcher.send(uuid.UUID(photo))).summary == "sent"
    assert (await dispatcher.send(uuid.UUID(invoice))).summary == "sent"

    [wa_sent] = (await sim.get("/_sim/sent", params={"phone_number_id": NUMBER_ID})).json()["items"]
    media_id = (await attachment_of(session, photo)).source_media_id
    assert wa_sent["status_code"] == 200
    assert wa_sent["body"]["image"] == {"id": media_id, "caption": "Your bike"}
    assert (wa_sent["media"]["mime_type"], wa_sent["media"]["file_size"]) == ("image/png", len(PNG))
    assert wa_sent["media"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    [page_sent] = (await sim.get("/_sim/sent", params={"page_id": PAGE_ID})).json()["items"]
    assert page_sent["status_code"] == 200
    assert page_sent["media"]["id"] == (await attachment_of(session, invoice)).source_media_id
    assert page_sent["media"]["filename"] == "invoice.pdf"
    for message_id in (photo, invoice):
        message = await row(session, Message, message_id)
        assert message.status is MessageStatus.SENT and message.external_id
