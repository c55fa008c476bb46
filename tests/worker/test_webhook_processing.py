from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import (
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    WebhookEvent,
    WebhookEventStatus,
)
from tests.helpers import (
    EventRecorder,
    create_account,
    create_messenger_channel,
    messenger_text_payload,
    signed,
)
from worker import tasks

URL = "/api/webhooks/meta"


async def deliver(
    client: httpx.AsyncClient, session: AsyncSession, payload: Mapping[str, Any] | bytes
) -> uuid.UUID:
    body, headers = signed(payload)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200
    event_id = (
        await session.execute(
            select(WebhookEvent.id).order_by(WebhookEvent.received_at.desc()).limit(1)
        )
    ).scalar_one()
    return event_id


async def process(event_id: uuid.UUID) -> str:
    return await tasks.process_webhook_event({"job_try": 1}, str(event_id))


async def test_a_page_message_becomes_contact_conversation_and_message(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    event_id = await deliver(
        client, session, messenger_text_payload(channel.external_id, "555", "Where is my order?")
    )

    assert await process(event_id) == "processed"

    message = (await session.execute(select(Message))).scalar_one()
    assert message.tenant_id == account.tenant_id
    assert message.direction is MessageDirection.INBOUND
    assert message.status is MessageStatus.RECEIVED
    assert message.text == "Where is my order?"
    conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.unread_count == 1
    assert conversation.last_inbound_at == message.provider_timestamp
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.external_id == "555"
    assert events.names() == ["message:new", "conversation:updated"]
    assert all(tenant == account.tenant_id for tenant, _, _ in events.published)
    event = await session.get(WebhookEvent, event_id)
    assert event is not None and event.result == "1 x message"


async def test_the_same_message_in_two_deliveries_lands_once(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    first = messenger_text_payload(channel.external_id, "555", "hi", mid="m_same")
    retry = {**first, "entry": [{**first["entry"][0], "time": 1}]}
    for payload in (first, retry):
        await process(await deliver(client, session, payload))

    assert len((await session.execute(select(Message))).scalars().all()) == 1
    conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.unread_count == 1
    assert events.names().count("message:new") == 1


async def test_processing_an_event_twice_is_harmless(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    event_id = await deliver(
        client, session, messenger_text_payload(channel.external_id, "555", "hi")
    )
    await process(event_id)
    await process(event_id)
    assert len((await session.execute(select(Message))).scalars().all()) == 1


async def test_a_page_nobody_owns_is_recorded_not_crashed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    event_id = await deliver(client, session, messenger_text_payload("999000999", "555", "hi"))
    assert await process(event_id) == "processed"
    event = await session.get(WebhookEvent, event_id)
    assert event is not None
    assert event.result is not None and "unrouted" in event.result and "999000999" in event.result
    assert (await session.execute(select(Message))).first() is None


async def test_malformed_payload_is_kept_and_marked_dead(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    event_id = await deliver(client, session, b"[1, 2")
    assert await process(event_id) == "dead"
    event = await session.get(WebhookEvent, event_id)
    assert event is not None and event.status is WebhookEventStatus.DEAD
    assert event.raw_body == b"[1, 2"
    assert event.last_error is not None and "malformed" in event.last_error


async def test_unknown_event_kinds_are_counted_not_dropped_silently(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    payload = {
        "object": "page",
        "entry": [
            {
                "id": channel.external_id,
                "time": 1,
                "messaging": [{"sender": {"id": "1"}, "brand_new": {}}],
            }
        ],
    }
    event_id = await deliver(client, session, payload)
    assert await process(event_id) == "processed"
    event = await session.get(WebhookEvent, event_id)
    assert event is not None and event.result == "1 x ignored brand_new"


async def test_messages_are_ordered_by_provider_time_not_arrival(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    late = messenger_text_payload(channel.external_id, "555", "second", ts=1_790_000_002_000)
    early = messenger_text_payload(channel.external_id, "555", "first", ts=1_790_000_001_000)
    for payload in (late, early):  # the older one arrives last
        await process(await deliver(client, session, payload))

    conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.last_message_preview == "second"
    response = await client.get(
        f"/api/inbox/conversations/{conversation.id}/messages", headers=account.headers
    )
    assert [m["text"] for m in response.json()["items"]] == ["first", "second"]


async def test_a_failure_is_retried_then_the_event_goes_dead(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arq import Retry

    from api.webhooks import processing

    event_id = await deliver(client, session, messenger_text_payload("1", "2", "hi"))

    async def boom(self: object, kind: object, item: object) -> str:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(processing.WebhookProcessor, "_apply", boom)
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 2)
    with pytest.raises(Retry):
        await process(event_id)
    failed = await session.get(WebhookEvent, event_id, populate_existing=True)
    assert failed is not None
    assert (failed.status, failed.attempts) == (WebhookEventStatus.FAILED, 1)
    assert await process(event_id) == "dead"
    event = await session.get(WebhookEvent, event_id, populate_existing=True)
    assert event is not None
    assert event.status is WebhookEventStatus.DEAD and "database hiccup" in (event.last_error or "")


async def test_sweeper_reenqueues_events_whose_job_was_lost(
    client: httpx.AsyncClient, session: AsyncSession, redis: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from api.jobs import WEBHOOK_QUEUE_NAME

    event_id = await deliver(client, session, messenger_text_payload("1", "2", "hi"))
    await redis.flushdb()  # type: ignore[attr-defined]  # Redis lost the queue entry
    monkeypatch.setattr(tasks, "SWEEP_AFTER", timedelta(seconds=0))
    assert await tasks.sweep_webhook_events({}) == 1
    queued = [k.decode() for k in await redis.zrange(WEBHOOK_QUEUE_NAME, 0, -1)]  # type: ignore[attr-defined]
    assert queued == [f"webhook:{event_id}"]


async def test_one_sweep_redrives_a_backlog_larger_than_a_page(
    client: httpx.AsyncClient, session: AsyncSession, redis: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from api.jobs import WEBHOOK_QUEUE_NAME

    ids = {
        await deliver(client, session, messenger_text_payload("1", "2", f"hi {i}"))
        for i in range(5)
    }
    await redis.flushdb()  # type: ignore[attr-defined]  # a Redis restart lost every queued job
    monkeypatch.setattr(tasks, "SWEEP_AFTER", timedelta(seconds=0))
    monkeypatch.setattr(tasks, "SWEEP_PAGE", 2)
    assert await tasks.sweep_webhook_events({}) == 5
    queued = {k.decode() for k in await redis.zrange(WEBHOOK_QUEUE_NAME, 0, -1)}  # type: ignore[attr-defined]
    assert queued == {f"webhook:{event_id}" for event_id in ids}
