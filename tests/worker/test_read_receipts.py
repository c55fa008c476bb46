"""Read receipts to Meta: marking a conversation read on a channel with
`send_read_receipts` on queues one job after the commit; the job marks the customer's
newest message read (WhatsApp) or sends `mark_seen` (Messenger). Failures are logged and
never reach the agent; retries are few."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from arq import Retry
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.inbox.receipts import MAX_TRIES
from api.jobs import QUEUE_NAME
from api.models import Channel, ChannelStatus, Contact, Conversation, Message, MessageDirection
from tests.api.inbox.inbox_data import INBOX, Team, ago, create_team, create_thread, message_row
from worker import tasks


@pytest.fixture
async def team(client: httpx.AsyncClient, session: AsyncSession) -> Team:
    team = await create_team(client, session)
    for channel in (team.messenger, team.whatsapp):
        await receipts_on(session, channel)
    return team


async def receipts_on(session: AsyncSession, channel: Channel, on: bool = True) -> None:
    await session.execute(
        update(Channel).where(Channel.id == channel.id).values(send_read_receipts=on)
    )
    await session.commit()


async def unread_thread(
    session: AsyncSession, channel: Channel, *, received: timedelta = timedelta(minutes=1)
) -> Conversation:
    """Two customer messages (the newest `received` ago), then the business's reply."""
    conversation = await create_thread(
        session, channel, texts=("Hi", "Still there?"), at=ago(seconds=received.total_seconds()),
        last_inbound_at=ago(seconds=received.total_seconds()), unread_count=2,
    )  # fmt: skip
    reply = message_row(conversation, "Yes!", ago(seconds=1), MessageDirection.OUTBOUND)
    await session.execute(insert(Message), [reply | {"status": "sent"}])
    await session.commit()
    return conversation


async def newest_inbound(session: AsyncSession, conversation: Conversation) -> Message:
    statement = (
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.direction == MessageDirection.INBOUND,
        )
        .order_by(Message.sort_at.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one()


async def mark_read(
    client: httpx.AsyncClient, team: Team, conversation: Conversation
) -> httpx.Response:
    return await client.post(f"{INBOX}/{conversation.id}/read", headers=team.agent.headers)


async def receipt_jobs(redis: Any) -> list[str]:
    return [
        key.decode()
        for key in await redis.zrange(QUEUE_NAME, 0, -1)
        if key.decode().startswith("read:")
    ]


async def run_job(message_id: str, job_try: int = 1) -> str:
    return await tasks.send_read_receipt({"job_try": job_try}, message_id)


def graph_error(code: int, http: int = 400) -> httpx.Response:
    return httpx.Response(
        http, json={"error": {"message": "nope", "type": "OAuthException", "code": code}}
    )


async def test_whatsapp_marks_the_customers_newest_message_read(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    conversation = await unread_thread(session, team.whatsapp)
    newest = await newest_inbound(session, conversation)
    route = graph.post(f"/{team.whatsapp.external_id}/messages").respond(
        200, json={"success": True}
    )

    response = await mark_read(client, team, conversation)

    assert response.status_code == 200 and response.json()["unread_count"] == 0
    assert await receipt_jobs(redis) == [f"read:{newest.id}"]
    assert await run_job(str(newest.id)) == "sent"
    assert json.loads(route.calls.last.request.content) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": newest.external_id,
    }
    assert route.calls.last.request.headers["Authorization"] == "Bearer wa-system-user-token"


async def test_messenger_sends_mark_seen_to_the_customer(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    conversation = await unread_thread(session, team.messenger)
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    route = graph.post(f"/{team.messenger.external_id}/messages").respond(
        200, json={"recipient_id": contact.external_id}
    )

    await mark_read(client, team, conversation)
    (job,) = await receipt_jobs(redis)

    assert await run_job(job.removeprefix("read:")) == "sent"
    assert json.loads(route.calls.last.request.content) == {
        "recipient": {"id": contact.external_id},
        "sender_action": "mark_seen",
    }


async def test_nothing_is_queued_when_the_setting_is_off_or_nothing_was_unread(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, redis: Any
) -> None:
    await receipts_on(session, team.messenger, on=False)
    off = await unread_thread(session, team.messenger)
    already_read = await create_thread(
        session, team.whatsapp, texts=("Hi",), last_inbound_at=ago(minutes=1), unread_count=0
    )
    no_messages = await create_thread(session, team.whatsapp, unread_count=1)

    answers = [
        await mark_read(client, team, conversation)
        for conversation in (off, already_read, no_messages)
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert await receipt_jobs(redis) == []


async def test_the_job_checks_again_when_it_runs(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    route = graph.post(f"/{team.whatsapp.external_id}/messages").respond(
        200, json={"success": True}
    )
    turned_off = await unread_thread(session, team.whatsapp)
    await mark_read(client, team, turned_off)
    (job,) = await receipt_jobs(redis)
    await receipts_on(session, team.whatsapp, on=False)

    assert await run_job(job.removeprefix("read:")) == "skipped: read receipts are off"
    await receipts_on(session, team.whatsapp)
    await session.execute(
        update(Channel)
        .where(Channel.id == team.whatsapp.id)
        .values(status=ChannelStatus.NEEDS_REAUTH)
    )
    await session.commit()
    assert await run_job(job.removeprefix("read:")) == "skipped: channel needs_reauth"
    assert await run_job(str(uuid.uuid4())) == "skipped: no such inbound message"
    assert route.call_count == 0


async def test_whatsapp_messages_older_than_30_days_are_not_marked(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    route = graph.post(f"/{team.whatsapp.external_id}/messages").respond(
        200, json={"success": True}
    )
    old = await unread_thread(session, team.whatsapp, received=timedelta(days=31))

    await mark_read(client, team, old)
    (job,) = await receipt_jobs(redis)

    assert await run_job(job.removeprefix("read:")) == "skipped: older than WhatsApp's 30 days"
    assert route.call_count == 0


async def test_a_refused_receipt_is_logged_never_raised(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=graph_error(131009))
    conversation = await unread_thread(session, team.whatsapp)
    response = await mark_read(client, team, conversation)
    (job,) = await receipt_jobs(redis)

    with caplog.at_level(logging.WARNING, logger="api.inbox.receipts"):
        assert await run_job(job.removeprefix("read:")) == "failed 131009"

    assert response.status_code == 200
    assert "131009" in caplog.text and job.removeprefix("read:") in caplog.text
    assert "wa-system-user-token" not in caplog.text


async def test_transient_errors_are_retried_a_few_times_only(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = graph.post(f"/{team.messenger.external_id}/messages").mock(
        return_value=graph_error(2, http=503)
    )
    conversation = await unread_thread(session, team.messenger)
    await mark_read(client, team, conversation)
    (job,) = await receipt_jobs(redis)
    message_id = job.removeprefix("read:")

    with pytest.raises(Retry):
        await run_job(message_id, job_try=1)
    with caplog.at_level(logging.WARNING, logger="api.inbox.receipts"):
        assert await run_job(message_id, job_try=MAX_TRIES) == "failed 2"

    assert route.call_count == 2
    assert "not sent (2)" in caplog.text


async def test_a_dead_token_flags_the_channel(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    graph.post(f"/{team.messenger.external_id}/messages").mock(return_value=graph_error(190))
    conversation = await unread_thread(session, team.messenger)
    await mark_read(client, team, conversation)
    (job,) = await receipt_jobs(redis)

    assert await run_job(job.removeprefix("read:")) == "failed 190"

    channel = await session.get(Channel, team.messenger.id, populate_existing=True)
    assert channel is not None and channel.status is ChannelStatus.NEEDS_REAUTH


async def test_reading_again_after_new_messages_acknowledges_the_new_newest(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, redis: Any
) -> None:
    conversation = await unread_thread(session, team.whatsapp)
    await mark_read(client, team, conversation)
    newer = message_row(conversation, "Hello?", ago(seconds=0))
    await session.execute(insert(Message), [newer])
    await session.execute(
        update(Conversation).where(Conversation.id == conversation.id).values(unread_count=1)
    )
    await session.commit()

    await mark_read(client, team, conversation)

    jobs = await receipt_jobs(redis)
    assert len(jobs) == 2 and f"read:{newer['id']}" in jobs
