"""The outbound re-drive (DESIGN invariant 4): a reply whose job Redis lost is enqueued
again under its own job id; one a dead worker left in `sending` is failed as unconfirmed,
never sent twice; every other message is left alone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from inspect import unwrap
from typing import Any

import httpx
import pytest
import respx
from arq.jobs import Job
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.channels.adapters import SendResult
from api.config import get_settings
from api.crypto import get_secret_box
from api.inbox import redrive
from api.inbox.sending import MessageSender
from api.jobs import QUEUE_NAME
from api.models import Channel, Conversation, Message, MessageDirection, MessageStatus
from tests.api.inbox.test_router import setup_conversation
from tests.helpers import Account, EventRecorder
from worker import tasks
from worker.main import WebhookWorkerSettings, WorkerSettings

NOTHING = "requeued 0, unconfirmed 0"


async def reply(
    client: httpx.AsyncClient, account: Account, conversation: Conversation, text: str = "hi"
) -> uuid.UUID:
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": text},
        headers=account.headers,
    )
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


async def set_state(
    session: AsyncSession, message_id: uuid.UUID, status: MessageStatus, *, minutes: float
) -> None:
    """Put the message in `status`, last changed `minutes` ago (by the database's clock)."""
    values: dict[str, Any] = {
        "status": status,
        "updated_at": func.now() - timedelta(minutes=minutes),
    }
    if status in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ):
        values["external_id"] = f"m_{message_id.hex}"
    if status is MessageStatus.FAILED:
        values |= {"error_code": "551", "error_reason": "This person isn't available right now."}
    await session.execute(update(Message).where(Message.id == message_id).values(**values))
    await session.commit()


async def stored(session: AsyncSession, message_id: uuid.UUID) -> Message:
    statement = select(Message).where(Message.id == message_id)
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one()


def snapshot(message: Message) -> tuple[Any, ...]:
    return (
        message.status,
        message.error_code,
        message.error_reason,
        message.external_id,
        message.attempts,
        message.updated_at,
    )


async def send_jobs(redis: Any) -> list[tuple[str, float]]:
    """Send jobs on the main queue, with their scores (when they become due)."""
    entries = await redis.zrange(QUEUE_NAME, 0, -1, withscores=True)
    return sorted((k.decode(), s) for k, s in entries if k.decode().startswith("send:"))


async def test_a_queued_reply_whose_job_was_lost_is_enqueued_again(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any, graph: respx.MockRouter
) -> None:
    account, conversation = await setup_conversation(client, session)
    lost = await reply(client, account, conversation, "lost")
    fresh = await reply(client, account, conversation, "fresh")
    await redis.flushdb()  # Redis restarted: both jobs are gone
    await set_state(session, lost, MessageStatus.QUEUED, minutes=3)
    await set_state(session, fresh, MessageStatus.QUEUED, minutes=1.5)

    assert await tasks.redrive_outbound({}) == "requeued 1, unconfirmed 0"

    # The fresh one's own job may still be on its way: it is not the re-drive's business.
    assert [job_id for job_id, _ in await send_jobs(redis)] == [f"send:{lost}"]
    info = await Job(f"send:{lost}", redis, _queue_name=QUEUE_NAME).info()
    assert info is not None
    assert (info.function, info.args) == ("inbox.send_message", (str(lost),))
    assert (await stored(session, fresh)).status is MessageStatus.QUEUED
    # and that job sends the reply
    channel = await session.get(Channel, conversation.channel_id)
    assert channel is not None
    route = graph.post(f"/{channel.external_id}/messages").respond(
        200, json={"recipient_id": "555", "message_id": "m_lost"}
    )
    assert await tasks.send_message({"job_try": 1}, *info.args) == "sent"
    assert route.call_count == 1
    assert (await stored(session, lost)).status is MessageStatus.SENT


async def test_a_queued_reply_whose_job_is_alive_gets_no_second_job(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, conversation = await setup_conversation(client, session)
    waiting = await reply(client, account, conversation)
    await set_state(session, waiting, MessageStatus.QUEUED, minutes=3)  # e.g. a long backlog
    before = await send_jobs(redis)
    assert [job_id for job_id, _ in before] == [f"send:{waiting}"]  # the API's own job

    await tasks.redrive_outbound({})

    assert await send_jobs(redis) == before  # same id, so arq kept the one it had


async def test_a_reply_stuck_in_sending_is_failed_as_unconfirmed(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any, events: EventRecorder
) -> None:
    stuck: dict[uuid.UUID, uuid.UUID] = {}  # message id -> tenant id, in two tenants
    for _ in range(2):
        account, conversation = await setup_conversation(client, session)
        message_id = await reply(client, account, conversation)
        await set_state(session, message_id, MessageStatus.SENDING, minutes=11)
        stuck[message_id] = account.tenant_id
    in_flight = await reply(client, account, conversation)
    await set_state(session, in_flight, MessageStatus.SENDING, minutes=1)
    await redis.flushdb()
    events.published.clear()

    assert await tasks.redrive_outbound({}) == "requeued 0, unconfirmed 2"

    for message_id in stuck:
        message = await stored(session, message_id)
        assert message.status is MessageStatus.FAILED
        assert message.error_code == "send_unconfirmed"
        assert message.error_reason == (
            "Parley could not confirm this message reached Meta (the sender stopped "
            "mid-send). Check the conversation and retry if it is missing."
        )
    assert [name for _, name, _ in events.published] == ["message:updated"] * 2
    # each event goes to the message's own tenant
    assert {uuid.UUID(p["message"]["id"]): t for t, _, p in events.published} == stuck
    for _, _, payload in events.published:
        assert payload["message"]["status"] == "failed"
        assert payload["message"]["error"]["code"] == "send_unconfirmed"
    in_flight_row = await stored(session, in_flight)
    assert (in_flight_row.status, in_flight_row.error_code) == (MessageStatus.SENDING, None)
    assert await send_jobs(redis) == []  # nothing is sent again


async def test_messages_in_every_other_state_are_left_alone(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any, events: EventRecorder
) -> None:
    account, conversation = await setup_conversation(client, session)
    inbound = (
        await session.execute(
            select(Message.id).where(Message.direction == MessageDirection.INBOUND)
        )
    ).scalar_one()
    others = set(MessageStatus) - {MessageStatus.QUEUED, MessageStatus.SENDING}
    ids = {MessageStatus.RECEIVED: inbound}
    for status in others - {MessageStatus.RECEIVED}:
        ids[status] = await reply(client, account, conversation, status.value)
    for status, message_id in ids.items():
        await set_state(session, message_id, status, minutes=24 * 60)
    assert set(ids) == others
    before = {m: snapshot(await stored(session, m)) for m in ids.values()}
    await redis.flushdb()
    events.published.clear()

    assert await tasks.redrive_outbound({}) == NOTHING

    assert {m: snapshot(await stored(session, m)) for m in ids.values()} == before
    assert events.published == []
    assert await send_jobs(redis) == []


async def test_running_the_redrive_twice_is_harmless(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any, events: EventRecorder
) -> None:
    account, conversation = await setup_conversation(client, session)
    lost = await reply(client, account, conversation, "lost")
    stuck = await reply(client, account, conversation, "stuck")
    await redis.flushdb()
    await set_state(session, lost, MessageStatus.QUEUED, minutes=3)
    await set_state(session, stuck, MessageStatus.SENDING, minutes=11)
    events.published.clear()

    assert await tasks.redrive_outbound({}) == "requeued 1, unconfirmed 1"
    first = await send_jobs(redis)
    # The lost one is still queued (no worker ran), so it is looked at again: same job id.
    assert await tasks.redrive_outbound({}) == "requeued 1, unconfirmed 0"

    assert [job_id for job_id, _ in first] == [f"send:{lost}"]
    assert await send_jobs(redis) == first  # one job, not moved
    assert [(name, p["message"]["id"]) for _, name, p in events.published] == [
        ("message:updated", str(stuck))
    ]
    assert (await stored(session, stuck)).status is MessageStatus.FAILED
    assert (await stored(session, lost)).status is MessageStatus.QUEUED


async def test_one_run_walks_more_than_a_page(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account, conversation = await setup_conversation(client, session)
    lost = [await reply(client, account, conversation, f"lost {i}") for i in range(5)]
    stuck = [await reply(client, account, conversation, f"stuck {i}") for i in range(3)]
    await redis.flushdb()
    for message_id in lost:
        await set_state(session, message_id, MessageStatus.QUEUED, minutes=3)
    for message_id in stuck:
        await set_state(session, message_id, MessageStatus.SENDING, minutes=11)
    monkeypatch.setattr(redrive, "PAGE_SIZE", 2)

    assert await tasks.redrive_outbound({}) == "requeued 5, unconfirmed 3"

    assert [job_id for job_id, _ in await send_jobs(redis)] == sorted(f"send:{m}" for m in lost)
    assert {(await stored(session, m)).status for m in stuck} == {MessageStatus.FAILED}


async def test_a_run_stops_at_its_limit_and_the_next_run_carries_on(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account, conversation = await setup_conversation(client, session)
    stuck = [await reply(client, account, conversation, f"stuck {i}") for i in range(3)]
    for message_id in stuck:
        await set_state(session, message_id, MessageStatus.SENDING, minutes=11)
    monkeypatch.setattr(redrive, "MAX_PER_RUN", 2)

    assert await tasks.redrive_outbound({}) == "requeued 0, unconfirmed 2"
    assert await tasks.redrive_outbound({}) == "requeued 0, unconfirmed 1"
    assert await tasks.redrive_outbound({}) == NOTHING


@pytest.mark.committing
async def test_an_outcome_being_recorded_at_the_same_time_wins(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Any,
) -> None:
    account, conversation = await setup_conversation(client, session)
    message_id = await reply(client, account, conversation)
    await set_state(session, message_id, MessageStatus.SENDING, minutes=11)

    async with sessionmaker() as sender:  # a late mark_sent holds the row, not yet committed
        await MessageSender(sender, get_secret_box(), get_settings().outbound).mark_sent(
            message_id, SendResult("m_late")
        )
        # The re-drive neither waits for the row nor overrides it.
        assert await asyncio.wait_for(tasks.redrive_outbound({}), timeout=10) == NOTHING
        await sender.commit()

    message = await stored(session, message_id)
    assert (message.status, message.external_id) == (MessageStatus.SENT, "m_late")
    assert message.error_code is None
    assert await tasks.redrive_outbound({}) == NOTHING


def test_the_redrive_runs_every_minute_on_the_main_worker_only() -> None:
    (job,) = [c for c in WorkerSettings.cron_jobs if unwrap(c.coroutine) is tasks.redrive_outbound]
    assert (job.second, job.minute, job.hour) == ({0}, None, None)
    assert job.unique and job.run_at_startup
    assert job.timeout_s is not None and job.timeout_s > WorkerSettings.job_timeout
    webhook_crons = [unwrap(c.coroutine) for c in WebhookWorkerSettings.cron_jobs]
    assert tasks.redrive_outbound not in webhook_crons
