"""Realistic Meta webhook bodies (Messenger `page`, WhatsApp `whatsapp_business_account`)
and the small pieces the event-processing tests share: a WhatsApp channel, delivering a
signed body and processing it, reading a thread back through the API.

Shapes follow Meta's webhook references (meta-platform.md §4.2 and §5.6).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import get_secret_box
from api.models import (
    Attachment,
    Channel,
    ChannelKind,
    Conversation,
    Message,
    WebhookEvent,
    WhatsAppBusinessAccount,
)
from api.vault import seal_token
from tests.helpers import Account, signed
from worker import tasks

WEBHOOK_URL = "/api/webhooks/meta"
OUR_APP_ID = "100000000000001"  # META_APP_ID in the tests
PAGE_INBOX_APP_ID = "263902037430900"  # Meta Business Suite inbox: "written elsewhere"


def now_ms() -> int:
    return int(time.time() * 1000)


def new_mid() -> str:
    return f"m_{uuid.uuid4().hex}"


def new_wamid() -> str:
    return f"wamid.{uuid.uuid4().hex.upper()}"


def numeric_id(digits: int = 15) -> str:
    return str(uuid.uuid4().int)[:digits]


# --- channels -----------------------------------------------------------------------


async def create_whatsapp_channel(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    phone_number_id: str | None = None,
    waba_id: str | None = None,
    display_phone_number: str = "+1 555-010-0199",
    token: str = "wa-system-user-token",
    with_waba_row: bool = True,
) -> Channel:
    """A connected WhatsApp number (and, by default, its WABA row, as the connect flow does)."""
    waba = waba_id or numeric_id()
    channel = Channel(
        tenant_id=tenant_id,
        kind=ChannelKind.WHATSAPP,
        external_id=phone_number_id or numeric_id(),
        name="Acme WhatsApp",
        display_phone_number=display_phone_number,
        waba_id=waba,
    )
    seal_token(get_secret_box(), channel, token)
    session.add(channel)
    if with_waba_row:
        session.add(WhatsAppBusinessAccount(tenant_id=tenant_id, waba_id=waba, name="Acme WABA"))
    await session.commit()
    return channel


# --- delivering and processing ------------------------------------------------------


async def deliver(
    client: httpx.AsyncClient, session: AsyncSession, payload: Mapping[str, Any] | bytes
) -> uuid.UUID:
    """POST a signed delivery; returns the stored event's id (the same one for a resend)."""
    body, headers = signed(payload)
    response = await client.post(WEBHOOK_URL, content=body, headers=headers)
    assert response.status_code == 200, response.text
    from api.webhooks.service import dedup_key

    found = await session.execute(
        select(WebhookEvent.id).where(WebhookEvent.dedup_key == dedup_key(body))
    )
    return found.scalar_one()


async def process(event_id: uuid.UUID) -> str:
    return await tasks.process_webhook_event({"job_try": 1}, str(event_id))


async def deliver_and_process(
    client: httpx.AsyncClient, session: AsyncSession, payload: Mapping[str, Any] | bytes
) -> WebhookEvent:
    """Deliver, process, and return the event as stored afterwards."""
    event_id = await deliver(client, session, payload)
    assert await process(event_id) == "processed"
    event = await session.get(WebhookEvent, event_id, populate_existing=True)
    assert event is not None
    return event


# --- reading back -------------------------------------------------------------------


async def only_conversation(session: AsyncSession) -> Conversation:
    return (
        await session.execute(select(Conversation).execution_options(populate_existing=True))
    ).scalar_one()


async def thread(
    client: httpx.AsyncClient, account: Account, conversation_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The conversation's messages as the API shows them, oldest first."""
    response = await client.get(
        f"/api/inbox/conversations/{conversation_id}/messages", headers=account.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def only_thread_message(
    client: httpx.AsyncClient, session: AsyncSession, account: Account
) -> dict[str, Any]:
    conversation = await only_conversation(session)
    (message,) = await thread(client, account, conversation.id)
    return message


async def stored_message(session: AsyncSession, message_id: uuid.UUID | str) -> Message:
    return (
        await session.execute(
            select(Message)
            .where(Message.id == uuid.UUID(str(message_id)))
            .execution_options(populate_existing=True)
        )
    ).scalar_one()


async def attachments_of(session: AsyncSession, message_id: uuid.UUID | str) -> list[Attachment]:
    rows = await session.execute(
        select(Attachment)
        .where(Attachment.message_id == uuid.UUID(str(message_id)))
        .order_by(Attachment.position)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def queued_jobs(redis: Any, queue: str) -> list[str]:
    """Job ids waiting on an arq queue."""
    return [key.decode() for key in await redis.zrange(queue, 0, -1)]


def published(events: Any, name: str) -> list[dict[str, Any]]:
    """Payloads of one realtime event name, in order."""
    return [payload for _, event, payload in events.published if event == name]


# --- Messenger (object "page") ------------------------------------------------------


def page_payload(
    page_id: str,
    *events: dict[str, Any],
    time_ms: int | None = None,
    standby: bool = False,
) -> dict[str, Any]:
    """One entry for the page, its events under `messaging` (or `standby`)."""
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": time_ms or now_ms(),
                ("standby" if standby else "messaging"): list(events),
            }
        ],
    }


def page_entries(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": list(entries)}


def page_entry(page_id: str, *events: dict[str, Any]) -> dict[str, Any]:
    return {"id": page_id, "time": now_ms(), "messaging": list(events)}


def from_customer(
    page_id: str, psid: str, key: str, body: dict[str, Any], *, ts: int | None = None
) -> dict[str, Any]:
    """A customer → page event (`message`, `postback`, `reaction`, `delivery`, `read`...)."""
    return {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": ts or now_ms(),
        key: body,
    }


def customer_message(
    page_id: str, psid: str, *, ts: int | None = None, mid: str | None = None, **fields: Any
) -> dict[str, Any]:
    return from_customer(page_id, psid, "message", {"mid": mid or new_mid(), **fields}, ts=ts)


def page_echo(
    page_id: str,
    psid: str,
    *,
    mid: str,
    text: str,
    app_id: str | int,
    metadata: str | None = None,
    ts: int | None = None,
) -> dict[str, Any]:
    """Messenger `is_echo`: what the page sent (through us or another tool)."""
    message: dict[str, Any] = {"is_echo": True, "app_id": app_id, "mid": mid, "text": text}
    if metadata is not None:
        message["metadata"] = metadata
    return {
        "sender": {"id": page_id},
        "recipient": {"id": psid},
        "timestamp": ts or now_ms(),
        "message": message,
    }


def cdn_attachment(kind: str, url: str, **payload: Any) -> dict[str, Any]:
    return {"type": kind, "payload": {"url": url, **payload}}


# --- WhatsApp (object "whatsapp_business_account") ----------------------------------


def wa_contact(
    wa_id: str,
    name: str | None = "Sheena Nelson",
    *,
    username: str | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    profile: dict[str, Any] = {}
    if name is not None:
        profile["name"] = name
    if username is not None:
        profile["username"] = username
    contact: dict[str, Any] = {"profile": profile, "wa_id": wa_id}
    if user_id is not None:
        contact["user_id"] = user_id
    return contact


def wa_message(
    wa_id: str,
    kind: str,
    body: Any = None,
    *,
    wamid: str | None = None,
    ts: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": wa_id,
        "id": wamid or new_wamid(),
        "timestamp": str(ts if ts is not None else int(time.time())),
        "type": kind,
    }
    if body is not None:
        message[kind] = body
    return {**message, **extra}


def wa_status(
    wamid: str,
    status: str,
    recipient: str,
    *,
    ts: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": status,
        "timestamp": str(ts if ts is not None else int(time.time())),
        "recipient_id": recipient,
        **extra,
    }


def wa_value(
    phone_number_id: str,
    *,
    display_phone_number: str = "15550100199",
    contacts: list[dict[str, Any]] | None = None,
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
    }
    for key, items in (
        ("contacts", contacts),
        ("messages", messages),
        ("statuses", statuses),
        ("errors", errors),
    ):
        if items is not None:
            value[key] = items
    return value


def wa_payload(waba_id: str, *changes: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """One entry for the WABA with `(field, value)` changes."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "time": int(time.time()),
                "changes": [{"field": field, "value": value} for field, value in changes],
            }
        ],
    }


def wa_messages(
    channel: Channel,
    *messages: dict[str, Any],
    contacts: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A `messages` change for this number: customers' messages and/or statuses."""
    assert channel.waba_id is not None
    return wa_payload(
        channel.waba_id,
        (
            "messages",
            wa_value(
                channel.external_id,
                contacts=contacts,
                messages=list(messages) if messages else None,
                statuses=statuses,
            ),
        ),
    )


def wa_error(code: int, title: str, details: str) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }


def wa_pricing(category: str = "service", billable: bool = False) -> dict[str, Any]:
    return {"billable": billable, "pricing_model": "PMP", "category": category, "type": "free"}


# --- our replies --------------------------------------------------------------------


def send_answer(channel: Channel, external_id: str, recipient: str) -> dict[str, Any]:
    """What the Send API answers for one accepted message."""
    if channel.kind is ChannelKind.MESSENGER:
        return {"recipient_id": recipient, "message_id": external_id}
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": recipient, "wa_id": recipient}],
        "messages": [{"id": external_id}],
    }


async def queue_reply(
    client: httpx.AsyncClient, account: Account, conversation_id: uuid.UUID, text: str
) -> str:
    """An agent's reply, queued through the API; returns our message id."""
    response = await client.post(
        f"/api/inbox/conversations/{conversation_id}/messages",
        json={"text": text},
        headers=account.headers,
    )
    assert response.status_code == 202, response.text
    message_id: str = response.json()["id"]
    return message_id


async def send_reply(
    client: httpx.AsyncClient,
    graph: Any,
    account: Account,
    channel: Channel,
    conversation_id: uuid.UUID,
    *,
    external_id: str,
    recipient: str,
    text: str = "Thanks, looking into it.",
) -> str:
    """Queue a reply and run the send job with Meta accepting it as `external_id`."""
    message_id = await queue_reply(client, account, conversation_id, text)
    graph.post(f"/{channel.external_id}/messages").respond(
        200, json=send_answer(channel, external_id, recipient)
    )
    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    return message_id


# --- object storage -----------------------------------------------------------------
