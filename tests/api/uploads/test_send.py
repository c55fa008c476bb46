"""Sending an uploaded file (`attachment: {upload_id}`): the tenant's own upload, used
once, really in object storage, of a type and size the channel takes, with a caption
only where Meta shows one; the same policy and Idempotency-Key behaviour as any reply."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attachment, AttachmentState, Conversation, Upload
from api.storage import Storage
from tests.api.inbox.sending_data import (
    INBOX,
    messenger_setup,
    outbound,
    send_jobs,
    whatsapp_setup,
)
from tests.api.uploads.upload_data import PDF, PNG, presign, put, uploaded
from tests.helpers import Account, EventRecorder, create_account

MB = 1000 * 1000


async def send(
    client: httpx.AsyncClient,
    account: Account,
    conversation: Conversation,
    upload_id: str,
    text: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"attachment": {"upload_id": upload_id}}
    if text is not None:
        body["text"] = text
    headers = {**account.headers, **({"Idempotency-Key": key} if key else {})}
    return await client.post(f"{INBOX}/{conversation.id}/messages", json=body, headers=headers)


async def upload_row(session: AsyncSession, upload_id: str) -> Upload:
    found = await session.execute(
        select(Upload)
        .where(Upload.id == uuid.UUID(upload_id))
        .execution_options(populate_existing=True)
    )
    return found.scalar_one()


async def test_a_whatsapp_image_goes_out_with_its_caption(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    redis: Any,
    events: EventRecorder,
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    upload_id = await uploaded(client, account)

    response = await send(client, account, conversation, upload_id, "Your new bike")

    assert response.status_code == 202, response.text
    message = response.json()
    assert (message["type"], message["text"], message["status"]) == (
        "image", "Your new bike", "queued"
    )  # fmt: skip
    [attachment] = message["attachments"]
    assert attachment["kind"] == "image"
    assert (attachment["mime_type"], attachment["size"], attachment["filename"]) == (
        "image/png", len(PNG), "photo.png"
    )  # fmt: skip
    assert (attachment["state"], attachment["error"]) == ("stored", None)
    upload = await upload_row(session, upload_id)
    assert str(upload.message_id) == message["id"] and upload.consumed_at is not None
    row = await session.get(Attachment, uuid.UUID(attachment["id"]))
    assert row is not None and row.storage_key == upload.storage_key
    assert row.state is AttachmentState.STORED
    assert await send_jobs(redis) == [f"send:{message['id']}"]
    [new] = [p for _, name, p in events.published if name == "message:new"]
    assert new["message"]["attachments"] == message["attachments"]

    link = await client.get(
        f"/api/inbox/attachments/{attachment['id']}/url", headers=account.headers
    )
    assert link.status_code == 200
    async with httpx.AsyncClient() as browser:
        assert (await browser.get(link.json()["url"])).content == PNG


async def test_a_messenger_file_goes_out_as_a_file_and_previews_by_name(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await messenger_setup(client, session)
    upload_id = await uploaded(
        client, account, PDF, filename="invoice.pdf", content_type="application/pdf"
    )

    response = await send(client, account, conversation, upload_id)

    assert response.status_code == 202, response.text
    assert (response.json()["type"], response.json()["text"]) == ("file", None)
    assert response.json()["attachments"][0]["kind"] == "file"
    listed = await client.get(f"{INBOX}/{conversation.id}", headers=account.headers)
    assert listed.json()["last_message_preview"] == "📎 invoice.pdf"


async def test_another_tenants_upload_cannot_be_sent(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    stranger = await create_account(client, "Globex")
    theirs = await uploaded(client, stranger)

    response = await send(client, account, conversation, theirs)

    assert response.status_code == 404
    assert response.json()["error"] == "upload_not_found"
    assert (await upload_row(session, theirs)).consumed_at is None
    assert await outbound(session) == []


async def test_an_unknown_upload_is_not_found(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    response = await send(client, account, conversation, str(uuid.uuid4()))
    assert (response.status_code, response.json()["error"]) == (404, "upload_not_found")


async def test_an_upload_is_sent_once(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    other = (await whatsapp_setup(client, session, account=account))[2]
    upload_id = await uploaded(client, account)
    assert (await send(client, account, conversation, upload_id)).status_code == 202

    again = await send(client, account, conversation, upload_id)
    elsewhere = await send(client, account, other, upload_id, key="another-key")

    for refused in (again, elsewhere):
        assert refused.status_code == 422
        assert refused.json()["error"] == "upload_already_used"
        assert "upload the file again" in refused.json()["detail"]
    assert len(await outbound(session)) == 1


async def test_an_upload_never_put_to_storage_is_missing_and_stays_usable(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    presigned = (await presign(client, account)).json()

    missing = await send(client, account, conversation, presigned["upload_id"])

    assert missing.status_code == 422
    assert missing.json()["error"] == "upload_missing"
    assert "photo.png" in missing.json()["detail"]
    assert (await upload_row(session, presigned["upload_id"])).consumed_at is None
    assert await outbound(session) == []
    assert (await put(presigned, PNG)).status_code == 200
    assert (await send(client, account, conversation, presigned["upload_id"])).status_code == 202


async def test_an_object_of_another_size_than_declared_is_missing(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    presigned = (await presign(client, account)).json()
    upload = await upload_row(session, presigned["upload_id"])
    await storage.put(upload.storage_key, PNG[:10], "image/png")  # not through the URL

    response = await send(client, account, conversation, presigned["upload_id"])
    assert (response.status_code, response.json()["error"]) == (422, "upload_missing")


@pytest.mark.parametrize(
    ("setup", "content_type", "text", "code", "needle"),
    [
        (whatsapp_setup, "audio/mpeg", "listen", "caption_not_supported", "WhatsApp audio"),
        (messenger_setup, "image/png", "look", "caption_not_supported", "Messenger attachments"),
        (whatsapp_setup, "image/png", "x" * 1025, "caption_too_long", "at most 1024"),
    ],
)
async def test_captions_only_where_meta_shows_them(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    setup: Any,
    content_type: str,
    text: str,
    code: str,
    needle: str,
) -> None:
    account, _, conversation = await setup(client, session)
    upload_id = await uploaded(client, account, PNG, content_type=content_type)

    response = await send(client, account, conversation, upload_id, text)

    assert response.status_code == 422
    assert response.json()["error"] == code
    assert needle in response.json()["detail"]
    assert (await send(client, account, conversation, upload_id)).status_code == 202


@pytest.mark.parametrize(
    ("setup", "content_type", "size", "needle"),
    [
        (whatsapp_setup, "image/png", 5 * MB + 1, "WhatsApp accepts PNG images of at most 5 MB"),
        (whatsapp_setup, "image/gif", 1000, "WhatsApp does not accept GIF images"),
        (whatsapp_setup, "video/mp4", 16 * MB + 1, "at most 16 MB"),
        (messenger_setup, "application/pdf", 25 * MB + 1, "Messenger accepts PDF documents"),
    ],
)
async def test_the_channels_own_limits_apply_when_sending(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    setup: Any,
    content_type: str,
    size: int,
    needle: str,
) -> None:
    account, _, conversation = await setup(client, session)
    presigned = await presign(client, account, content_type=content_type, size=size)
    assert presigned.status_code == 201, presigned.text

    response = await send(client, account, conversation, presigned.json()["upload_id"])

    assert response.status_code == 422
    assert response.json()["error"] == "attachment_not_allowed_on_channel"
    assert needle in response.json()["detail"]


async def test_the_window_rules_apply_to_files(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await whatsapp_setup(client, session, wrote=timedelta(days=2))
    upload_id = await uploaded(client, account)

    response = await send(client, account, conversation, upload_id)

    assert (response.status_code, response.json()["error"]) == (409, "template_required")
    assert (await upload_row(session, upload_id)).consumed_at is None


async def test_a_template_and_a_file_together_are_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    body = {
        "template": {"name": "x", "language": "en"},
        "attachment": {"upload_id": str(uuid.uuid4())},
    }
    response = await client.post(
        f"{INBOX}/{conversation.id}/messages", json=body, headers=account.headers
    )
    assert response.status_code == 422
    assert "not both" in response.json()["detail"]


async def test_a_repeated_key_answers_with_the_same_file_message(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, redis: Any
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    upload_id = await uploaded(client, account)
    other_upload = await uploaded(client, account)

    first = await send(client, account, conversation, upload_id, "hi", key="file-1")
    again = await send(client, account, conversation, upload_id, "hi", key="file-1")
    other = await send(client, account, conversation, other_upload, "hi", key="file-1")

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    assert len(await outbound(session)) == 1
    assert len(await send_jobs(redis)) == 1
    assert (await upload_row(session, other_upload)).consumed_at is None
