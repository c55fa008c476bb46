"""GET /api/inbox/attachments/{id}/url: short-lived presigned URLs for the caller's own
tenant's stored files only (a real S3 server, SeaweedFS)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import respx
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attachment, AttachmentState
from api.storage import Storage
from tests.api.meta.flows import create_agent
from tests.event_payloads import (
    attachments_of,
    cdn_attachment,
    create_whatsapp_channel,
    customer_message,
    deliver_and_process,
    only_conversation,
    page_payload,
    thread,
    wa_contact,
    wa_message,
    wa_messages,
)
from tests.helpers import Account, create_account, create_messenger_channel
from worker import tasks

PSID = "24012345678901234"
WA_ID = "16505551234"
CDN_URL = "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?oh=1"
PHOTO = b"\x89PNG\r\n\x1a\n a small picture"
PDF = b"%PDF-1.7 the invoice"


def url_of(attachment_id: uuid.UUID | str) -> str:
    return f"/api/inbox/attachments/{attachment_id}/url"


async def messenger_photo(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    *,
    fetch: bool = True,
) -> tuple[Account, Attachment]:
    """A customer's photo through the webhook; fetched into storage unless `fetch` is False."""
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    page = channel.external_id
    await deliver_and_process(
        client,
        session,
        page_payload(
            page, customer_message(page, PSID, attachments=[cdn_attachment("image", CDN_URL)])
        ),
    )
    (message,) = await thread(client, account, (await only_conversation(session)).id)
    (attachment,) = await attachments_of(session, message["id"])
    if fetch:
        graph.get(CDN_URL).respond(200, content=PHOTO, headers={"Content-Type": "image/png"})
        assert await tasks.fetch_media({"job_try": 1}, str(attachment.id)) == "stored"
    return account, attachment


async def download(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(url)


async def test_a_stored_file_gets_a_presigned_url_that_serves_its_bytes(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    account, attachment = await messenger_photo(client, session, graph)
    graph.route(host="127.0.0.1").pass_through()  # the S3 server itself is real

    response = await client.get(url_of(attachment.id), headers=account.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"url", "expires_at"}
    assert "X-Amz-Signature=" in body["url"] and "X-Amz-Expires=300" in body["url"]
    expires_at = datetime.fromisoformat(body["expires_at"])
    now = datetime.now(UTC)
    assert now + timedelta(seconds=290) < expires_at <= now + timedelta(seconds=301)
    fetched = await download(body["url"])
    assert fetched.status_code == 200
    assert fetched.content == PHOTO
    assert fetched.headers["content-type"] == "image/png"
    assert (await download(body["url"].split("?")[0])).status_code == 403  # private without it


async def test_a_document_url_names_its_file(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    account = await create_account(client)
    channel = await create_whatsapp_channel(session, account.tenant_id, token="wa-token")
    document = {"filename": "invoice-2026-03.pdf", "mime_type": "application/pdf", "id": "77"}
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "document", document), contacts=[wa_contact(WA_ID)]),
    )
    (message,) = await thread(client, account, (await only_conversation(session)).id)
    (attachment,) = await attachments_of(session, message["id"])
    graph.get("/77").respond(
        200,
        json={
            "url": "https://lookaside.test/media/77",
            "mime_type": "application/pdf",
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "file_size": str(len(PDF)),
            "id": "77",
        },
    )
    graph.get("https://lookaside.test/media/77").respond(200, content=PDF)
    assert await tasks.fetch_media({"job_try": 1}, str(attachment.id)) == "stored"
    graph.route(host="127.0.0.1").pass_through()

    response = await client.get(url_of(attachment.id), headers=account.headers)

    assert response.status_code == 200, response.text
    fetched = await download(response.json()["url"])
    assert fetched.content == PDF
    assert fetched.headers["content-disposition"] == 'inline; filename="invoice-2026-03.pdf"'


async def test_any_member_of_the_tenant_may_open_its_files(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    account, attachment = await messenger_photo(client, session, graph)
    agent = await create_agent(client, session, account.tenant_id)

    response = await client.get(url_of(attachment.id), headers=agent)

    assert response.status_code == 200, response.text


async def test_another_tenants_attachment_is_404(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    _, attachment = await messenger_photo(client, session, graph)
    intruder = await create_account(client, tenant_name="Intruder Inc")

    theirs = await client.get(url_of(attachment.id), headers=intruder.headers)
    missing = await client.get(url_of(uuid.uuid4()), headers=intruder.headers)

    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json() == missing.json()  # indistinguishable from a missing one
    assert theirs.json()["error"] == "not_found"
    assert "url" not in theirs.text


async def test_a_pending_attachment_is_409_not_ready(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    account, attachment = await messenger_photo(client, session, graph, fetch=False)
    assert attachment.state is AttachmentState.PENDING

    response = await client.get(url_of(attachment.id), headers=account.headers)

    assert response.status_code == 409
    assert response.json()["error"] == "attachment_not_ready"


async def test_a_failed_attachment_is_409_not_ready(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    account, attachment = await messenger_photo(client, session, graph, fetch=False)
    attachment.state, attachment.error = AttachmentState.FAILED, "The file is gone."
    await session.commit()

    response = await client.get(url_of(attachment.id), headers=account.headers)

    assert response.status_code == 409
    assert response.json()["error"] == "attachment_not_ready"


async def test_attachment_urls_need_authentication(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, storage: Storage
) -> None:
    _, attachment = await messenger_photo(client, session, graph)

    anonymous = await client.get(url_of(attachment.id))
    forged = await client.get(url_of(attachment.id), headers={"Authorization": "Bearer nope"})

    assert (anonymous.status_code, forged.status_code) == (401, 401)
