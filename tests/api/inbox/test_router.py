from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.jobs import QUEUE_NAME
from api.models import Conversation, Message, MessageStatus
from tests.helpers import (
    Account,
    EventRecorder,
    create_account,
    create_messenger_channel,
    messenger_text_payload,
    signed,
)
from worker import tasks


async def customer_writes(
    client: httpx.AsyncClient,
    session: AsyncSession,
    page_id: str,
    psid: str = "555",
    text: str = "hello",
    ts: int | None = None,
) -> Conversation:
    """A customer message arrives through the real webhook and worker path."""
    ts = ts if ts is not None else int(datetime.now(UTC).timestamp() * 1000)
    body, headers = signed(messenger_text_payload(page_id, psid, text, ts=ts))
    assert (
        await client.post("/api/webhooks/meta", content=body, headers=headers)
    ).status_code == 200
    from api.models import WebhookEvent

    event_id = (
        (await session.execute(select(WebhookEvent.id).order_by(WebhookEvent.received_at.desc())))
        .scalars()
        .first()
    )
    assert event_id is not None
    await tasks.process_webhook_event({"job_try": 1}, str(event_id))
    conversation = (
        (await session.execute(select(Conversation).order_by(Conversation.last_message_at.desc())))
        .scalars()
        .first()
    )
    assert conversation is not None
    return conversation


async def setup_conversation(
    client: httpx.AsyncClient, session: AsyncSession
) -> tuple[Account, Conversation]:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    return account, await customer_writes(client, session, channel.external_id)


async def test_conversations_list_newest_first_with_cursor_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    now = int(datetime.now(UTC).timestamp() * 1000)
    for i in range(3):
        await customer_writes(
            client, session, channel.external_id, psid=f"psid-{i}", text=f"m{i}", ts=now + i * 1000
        )

    first = await client.get("/api/inbox/conversations?limit=2", headers=account.headers)
    assert first.status_code == 200
    page = first.json()
    assert [c["last_message_preview"] for c in page["items"]] == ["m2", "m1"]
    assert page["items"][0]["window"]["state"] == "open"
    assert page["items"][0]["contact"]["external_id"] == "psid-2"
    second = await client.get(
        f"/api/inbox/conversations?limit=2&cursor={page['next_cursor']}", headers=account.headers
    )
    assert [c["last_message_preview"] for c in second.json()["items"]] == ["m0"]
    assert second.json()["next_cursor"] is None


async def test_a_malformed_cursor_is_a_400(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    response = await client.get("/api/inbox/conversations?cursor=%%%", headers=account.headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_cursor"


async def test_another_tenants_conversation_is_404_everywhere(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, conversation = await setup_conversation(client, session)
    intruder = await create_account(client, tenant_name="Intruder Inc")
    base = f"/api/inbox/conversations/{conversation.id}"
    responses = [
        await client.get(base, headers=intruder.headers),
        await client.get(f"{base}/messages", headers=intruder.headers),
        await client.post(f"{base}/messages", json={"text": "hi"}, headers=intruder.headers),
        await client.post(f"{base}/read", headers=intruder.headers),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(r.json()["error"] == "not_found" for r in responses)
    listing = await client.get("/api/inbox/conversations", headers=intruder.headers)
    assert listing.json()["items"] == []
    assert (
        await client.get(f"/api/inbox/conversations/{uuid.uuid4()}", headers=intruder.headers)
    ).status_code == 404


async def test_inbox_requires_authentication(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/inbox/conversations")).status_code == 401
    assert (await client.get("/api/channels")).status_code == 401


async def test_reply_is_queued_enqueued_and_announced(
    client: httpx.AsyncClient, session: AsyncSession, redis: object, events: EventRecorder
) -> None:
    account, conversation = await setup_conversation(client, session)
    events.published.clear()
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": "On its way!"},
        headers=account.headers,
    )
    assert response.status_code == 202
    message = response.json()
    assert message["status"] == "queued" and message["direction"] == "outbound"
    assert message["author_user_id"] == str(account.user_id)
    queued = [k.decode() for k in await redis.zrange(QUEUE_NAME, 0, -1)]  # type: ignore[attr-defined]
    assert f"send:{message['id']}" in queued
    assert events.names() == ["message:new", "conversation:updated"]


async def test_the_same_idempotency_key_creates_one_message(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, conversation = await setup_conversation(client, session)
    url = f"/api/inbox/conversations/{conversation.id}/messages"
    headers = {**account.headers, "Idempotency-Key": "k-123"}
    first = await client.post(url, json={"text": "once"}, headers=headers)
    again = await client.post(url, json={"text": "once"}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    outbound = (
        (await session.execute(select(Message).where(Message.idempotency_key == "k-123")))
        .scalars()
        .all()
    )
    assert len(outbound) == 1


@pytest.mark.parametrize(
    ("age", "code"),
    [(timedelta(days=8), "human_agent_window_expired")],
)
async def test_sending_outside_messengers_windows_is_refused_with_a_reason(
    client: httpx.AsyncClient, session: AsyncSession, age: timedelta, code: str
) -> None:
    account, conversation = await setup_conversation(client, session)
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_inbound_at=datetime.now(UTC) - age)
    )
    await session.commit()
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": "late"},
        headers=account.headers,
    )
    assert response.status_code == 409
    assert response.json()["error"] == code
    assert (await session.execute(select(Message).where(Message.text == "late"))).first() is None


async def test_between_24h_and_7d_a_human_reply_goes_with_the_human_agent_tag(
    client: httpx.AsyncClient, session: AsyncSession, graph: object
) -> None:
    import respx

    account, conversation = await setup_conversation(client, session)
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_inbound_at=datetime.now(UTC) - timedelta(days=2))
    )
    await session.commit()
    shown = await client.get(f"/api/inbox/conversations/{conversation.id}", headers=account.headers)
    assert shown.json()["window"]["state"] == "human_agent"
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": "sorry for the wait"},
        headers=account.headers,
    )
    assert response.status_code == 202
    assert isinstance(graph, respx.MockRouter)
    route = graph.post(url__regex=r".*/messages$").respond(
        200, json={"recipient_id": "555", "message_id": "m_tagged"}
    )
    assert await tasks.send_message({"job_try": 1}, response.json()["id"]) == "sent"
    sent = route.calls.last.request
    import json

    body = json.loads(sent.content)
    assert body["messaging_type"] == "MESSAGE_TAG" and body["tag"] == "HUMAN_AGENT"


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
async def test_empty_or_too_long_replies_are_422(
    client: httpx.AsyncClient, session: AsyncSession, text: str
) -> None:
    account, conversation = await setup_conversation(client, session)
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": text},
        headers=account.headers,
    )
    assert response.status_code == 422
    assert "text" in response.json()["detail"]


async def test_mark_read_zeroes_unread(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, conversation = await setup_conversation(client, session)
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/read", headers=account.headers
    )
    assert response.status_code == 200
    assert response.json()["unread_count"] == 0


async def test_channels_lists_only_the_tenants_own_without_tokens(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    other = await create_account(client)
    mine = await create_messenger_channel(session, account.tenant_id, token="secret-page-token")
    await create_messenger_channel(session, other.tenant_id)
    response = await client.get("/api/channels", headers=account.headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [c["external_id"] for c in items] == [mine.external_id]
    assert items[0]["kind"] == "messenger" and items[0]["status"] == "active"
    assert "secret-page-token" not in response.text
    assert not {"token", "access_token", "token_ciphertext", "token_key_id"} & set(items[0])


@pytest.mark.committing
async def test_concurrent_retries_with_one_key_make_one_message(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, conversation = await setup_conversation(client, session)
    url = f"/api/inbox/conversations/{conversation.id}/messages"
    headers = {**account.headers, "Idempotency-Key": "k-concurrent"}
    responses = await asyncio.gather(
        *(client.post(url, json={"text": "hi"}, headers=headers) for _ in range(3))
    )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    rows = (
        (await session.execute(select(Message).where(Message.status == MessageStatus.QUEUED)))
        .scalars()
        .all()
    )
    assert len(rows) == 1
