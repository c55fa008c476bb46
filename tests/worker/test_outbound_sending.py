"""The send job: backoff on retryable Graph errors, readable permanent failures, Meta's
rules checked again at claim time, WhatsApp templates on the wire, and "retry" that
really sends again (through a real arq worker)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from arq import Retry
from arq.connections import ArqRedis
from arq.worker import Worker, func
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import OutboundSettings, get_settings
from api.inbox.sending import retry_delay
from api.jobs import QUEUE_NAME
from api.meta.errors import GraphError
from api.models import Channel, ChannelStatus, Contact, Conversation, MessageStatus
from tests.api.inbox.sending_data import (
    INBOX,
    ORDER_PARAMETERS,
    add_template,
    messenger_setup,
    outbound,
    whatsapp_setup,
)
from tests.helpers import Account
from worker import tasks

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests send several times to one customer; the pair rate is tested elsewhere."""
    monkeypatch.setattr(get_settings().outbound, "whatsapp_pair_interval_seconds", 0)


def graph_error(code: int, message: str = "error", http: int = 400, **extra: Any) -> httpx.Response:
    return httpx.Response(
        http, json={"error": {"message": message, "type": "OAuthException", "code": code, **extra}}
    )


def wa_ok(wamid: str = "wamid.ok", wa_id: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"messaging_product": "whatsapp", "messages": [{"id": wamid}]}
    if wa_id:
        body["contacts"] = [{"input": "x", "wa_id": wa_id}]
    return httpx.Response(200, json=body)


async def reply(
    client: httpx.AsyncClient, account: Account, conversation: Conversation, body: dict[str, Any]
) -> str:
    response = await client.post(
        f"{INBOX}/{conversation.id}/messages", json=body, headers=account.headers
    )
    assert response.status_code == 202, response.text
    message_id: str = response.json()["id"]
    return message_id


async def defer_seconds(message_id: str) -> float:
    with pytest.raises(Retry) as retried:
        await tasks.send_message({"job_try": 1}, message_id)
    assert retried.value.defer_score is not None
    return retried.value.defer_score / 1000


# --- backoff -----------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    settings = OutboundSettings(backoff_base_seconds=2, backoff_cap_seconds=60)
    error = GraphError(500, 2, None, "down")
    for attempt, (low, high) in {1: (1, 2), 2: (2, 4), 3: (4, 8), 6: (30, 60), 9: (30, 60)}.items():
        delays = {retry_delay(settings, attempt, error) for _ in range(200)}
        assert all(low <= d <= high for d in delays), (attempt, min(delays), max(delays))
        assert len(delays) > 100  # jittered, not a fixed schedule


def test_a_pair_rate_error_waits_at_least_the_recipients_interval() -> None:
    settings = OutboundSettings(backoff_base_seconds=0.1, whatsapp_pair_interval_seconds=6)
    pair = GraphError(400, 131056, None, "pair rate limit hit")
    assert min(retry_delay(settings, 1, pair) for _ in range(50)) >= 6


async def test_retryable_errors_back_off_then_fail_with_a_readable_reason(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings().outbound, "max_attempts", 3)
    monkeypatch.setattr(get_settings().outbound, "backoff_base_seconds", 10)
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await reply(client, account, conversation, {"text": "hi"})
    route = graph.post(f"/{channel.external_id}/messages").mock(
        return_value=graph_error(130429, "(#130429) Rate limit hit")
    )

    delays = [await defer_seconds(message_id) for _ in range(2)]
    [waiting] = await outbound(session)
    assert (waiting.status, waiting.attempts, waiting.error_code) == (
        MessageStatus.QUEUED,
        2,
        "130429",
    )
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20

    assert await tasks.send_message({"job_try": 3}, message_id) == "failed 130429"
    assert route.call_count == 3
    [failed] = await outbound(session)
    assert failed.status is MessageStatus.FAILED and failed.attempts == 3
    assert failed.error_reason == (
        "The phone number's throughput limit was reached. Gave up after 3 attempts; retry later."
    )


@pytest.mark.parametrize(
    ("code", "subcode", "stored", "reason"),
    [
        (131026, None, "131026", "could not be delivered to this WhatsApp user"),
        (132001, None, "132001", "does not exist in this language or is not approved"),
        (132000, None, "132000", "parameters do not match"),
        (131047, None, "131047", "send a template instead"),
        (131048, None, "131048", "blocked or reported"),
        (368, None, "368", "policy violation"),
    ],
)
async def test_permanent_errors_fail_at_once_with_a_reason_from_the_code_tables(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    code: int,
    subcode: int | None,
    stored: str,
    reason: str,
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await reply(client, account, conversation, {"text": "hi"})
    extra = {"error_subcode": subcode} if subcode else {}
    route = graph.post(f"/{channel.external_id}/messages").mock(
        return_value=graph_error(code, f"(#{code}) raw Meta text", **extra)
    )
    assert await tasks.send_message({"job_try": 1}, message_id) == f"failed {stored}"
    assert route.call_count == 1
    [failed] = await outbound(session)
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, stored)
    assert failed.error_reason is not None and reason in failed.error_reason
    assert failed.attempts == 1


async def test_an_invalid_token_flags_the_channel_for_reauth(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await reply(client, account, conversation, {"text": "hi"})
    graph.post(f"/{channel.external_id}/messages").mock(
        return_value=graph_error(190, "Error validating access token", error_subcode=463)
    )
    assert await tasks.send_message({"job_try": 1}, message_id) == "failed 190/463"
    await session.refresh(channel)
    assert channel.status is ChannelStatus.NEEDS_REAUTH
    [failed] = await outbound(session)
    assert failed.error_reason == "The channel's access token has expired; reconnect the channel."


# --- the rules again at claim time -------------------------------------------------------


async def age(session: AsyncSession, conversation: Conversation, by: timedelta) -> None:
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_inbound_at=Conversation.last_inbound_at - by)
    )
    await session.commit()


async def test_a_whatsapp_window_that_closes_while_queued_fails_the_message(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session, wrote=23 * HOUR)
    message_id = await reply(client, account, conversation, {"text": "hi"})
    route = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_ok())
    await age(session, conversation, 2 * HOUR)

    assert await tasks.send_message({"job_try": 1}, message_id) == "skipped"
    assert route.call_count == 0
    [failed] = await outbound(session)
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, "template_required")
    assert failed.error_reason is not None and "templates" in failed.error_reason


async def test_a_messenger_reply_queued_before_24h_goes_with_human_agent_after(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await messenger_setup(client, session, wrote=23 * HOUR)
    message_id = await reply(client, account, conversation, {"text": "sorry for the wait"})
    route = graph.post(f"/{channel.external_id}/messages").respond(
        200, json={"recipient_id": "1", "message_id": "m_1"}
    )
    await age(session, conversation, 2 * HOUR)

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    body = json.loads(route.calls.last.request.content)
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    [sent] = await outbound(session)
    assert sent.tag == "HUMAN_AGENT"


async def test_a_messenger_reply_past_7_days_at_claim_time_fails(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await messenger_setup(client, session, wrote=6 * DAY)
    message_id = await reply(client, account, conversation, {"text": "late"})
    route = graph.post(f"/{channel.external_id}/messages").respond(
        200, json={"recipient_id": "1", "message_id": "m_1"}
    )
    await age(session, conversation, 2 * DAY)
    assert await tasks.send_message({"job_try": 1}, message_id) == "skipped"
    assert route.call_count == 0
    [failed] = await outbound(session)
    assert failed.error_code == "human_agent_window_expired"


async def test_a_template_paused_while_queued_is_not_sent(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session, wrote=3 * DAY)
    template = await add_template(session, channel)
    message_id = await reply(
        client, account, conversation, {"template": {"template_id": str(template.id), **ORDER_PARAMETERS}}
    )  # fmt: skip
    route = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_ok())
    template.status = "PAUSED"
    await session.commit()

    assert await tasks.send_message({"job_try": 1}, message_id) == "skipped"
    assert route.call_count == 0
    [failed] = await outbound(session)
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, "template_not_approved")


# --- templates on the wire ----------------------------------------------------------------


async def test_a_template_goes_out_as_graph_type_template(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session, wrote=None)
    template = await add_template(session, channel)
    message_id = await reply(
        client, account, conversation, {"template": {"template_id": str(template.id), **ORDER_PARAMETERS}}
    )  # fmt: skip
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    route = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_ok("wamid.T1"))

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    assert json.loads(route.calls.last.request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": contact.external_id,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "#4412"}]},
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "#4412"},
                        {"type": "text", "text": "tomorrow"},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": "4412"}],
                },
            ],
        },
        "biz_opaque_callback_data": message_id,
    }
    [sent] = await outbound(session)
    assert (sent.status, sent.external_id) == (MessageStatus.SENT, "wamid.T1")


async def test_whatsapps_canonical_id_for_the_recipient_becomes_the_contacts(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    started = await client.post(
        INBOX,
        json={
            "channel_id": str(channel.id),
            "phone": "+52 1 55 1234 5678",
            "template": {"template_id": str(template.id), **ORDER_PARAMETERS},
        },
        headers=account.headers,
    )
    assert started.status_code == 202, started.text
    graph.post(f"/{channel.external_id}/messages").mock(
        return_value=wa_ok("wamid.mx", wa_id="525512345678")  # Mexico drops the 1
    )
    assert await tasks.send_message({"job_try": 1}, started.json()["message"]["id"]) == "sent"
    contact_id = uuid.UUID(started.json()["conversation"]["contact"]["id"])
    contact = await session.get(Contact, contact_id, populate_existing=True)
    assert contact is not None and contact.external_id == "525512345678"


# --- retry really sends again ---------------------------------------------------------------


async def run_worker() -> None:
    """A real arq worker draining the queue once (as in production: keep_result=60), on
    its own connection pool (the worker closes it when done)."""
    worker = Worker(
        functions=[func(tasks.send_message, name="inbox.send_message", max_tries=10)],
        redis_pool=ArqRedis.from_url(get_settings().redis.url),
        queue_name=QUEUE_NAME,
        burst=True,
        poll_delay=0.01,
        keep_result=60,
        handle_signals=False,
        max_jobs=1,
    )
    try:
        await worker.main()
    finally:
        await worker.close()


async def test_retry_sends_a_second_time_through_a_real_worker(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, redis: Any
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await reply(client, account, conversation, {"text": "hi"})
    route = graph.post(f"/{channel.external_id}/messages")
    route.side_effect = [graph_error(131026, "(#131026) Message Undeliverable."), wa_ok("wamid.2")]

    await run_worker()
    [failed] = await outbound(session)
    assert failed.status is MessageStatus.FAILED and route.call_count == 1
    # arq keeps the finished job's result under its id: that id cannot be enqueued again.
    assert await redis.exists(f"arq:result:send:{message_id}")
    assert (
        await redis.enqueue_job(
            "inbox.send_message", message_id, _job_id=f"send:{message_id}", _queue_name=QUEUE_NAME
        )
        is None
    )

    response = await client.post(f"/api/inbox/messages/{message_id}/retry", headers=account.headers)
    assert response.status_code == 202
    await run_worker()

    assert route.call_count == 2  # Meta was really called again
    [sent] = await outbound(session)
    assert (sent.status, sent.external_id, sent.retry_count) == (MessageStatus.SENT, "wamid.2", 1)
    assert sent.error_code is None


async def test_the_redrive_re_enqueues_a_retried_message_under_its_new_job_id(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    from api.inbox import redrive
    from api.models import Message

    account, _, conversation = await whatsapp_setup(client, session)
    message_id = await reply(client, account, conversation, {"text": "hi"})
    await session.execute(
        update(Message)
        .where(Message.id == uuid.UUID(message_id))
        .values(status=MessageStatus.FAILED, error_code="131000")
    )
    await session.commit()
    assert (
        await client.post(f"/api/inbox/messages/{message_id}/retry", headers=account.headers)
    ).status_code == 202
    await redis.flushdb()  # Redis lost the job
    await session.execute(
        update(Message)
        .where(Message.id == uuid.UUID(message_id))
        .values(updated_at=Message.updated_at - redrive.QUEUED_STALE_AFTER * 2)
    )
    await session.commit()

    await tasks.redrive_outbound({})

    queued = [k.decode() for k in await redis.zrange(QUEUE_NAME, 0, -1)]
    assert queued == [f"send:{message_id}:r1"]


async def test_a_disconnected_channel_fails_the_claim(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    message_id = await reply(client, account, conversation, {"text": "hi"})
    await session.execute(
        update(Channel).where(Channel.id == channel.id).values(status=ChannelStatus.DISCONNECTED)
    )
    await session.commit()
    assert await tasks.send_message({"job_try": 1}, message_id) == "skipped"
    [failed] = await outbound(session)
    assert failed.error_code == "channel_inactive"
