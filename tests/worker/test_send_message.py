from __future__ import annotations

import json

import httpx
import pytest
import respx
from arq import Retry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, ChannelStatus, Message, MessageStatus
from tests.api.inbox.test_router import setup_conversation
from tests.helpers import EventRecorder
from worker import tasks


async def queue_reply(
    client: httpx.AsyncClient, session: AsyncSession, text: str = "Thanks!"
) -> tuple[str, str]:
    account, conversation = await setup_conversation(client, session)
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": text},
        headers=account.headers,
    )
    assert response.status_code == 202
    channel = await session.get(Channel, conversation.channel_id)
    assert channel is not None
    return response.json()["id"], channel.external_id


async def stored(session: AsyncSession, message_id: str) -> Message:
    message = (
        await session.execute(
            select(Message)
            .where(Message.id == message_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return message


async def test_send_success_marks_sent_with_the_mid(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    message_id, page_id = await queue_reply(client, session)
    route = graph.post(f"/{page_id}/messages").respond(
        200, json={"recipient_id": "555", "message_id": "m_abc"}
    )
    events.published.clear()

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer page-token"
    assert "access_token" not in str(request.url)
    assert json.loads(request.content) == {
        "recipient": {"id": "555"},
        "messaging_type": "RESPONSE",
        # our message id, echoed back by Meta so the echo is matched to this message
        "message": {"text": "Thanks!", "metadata": message_id},
    }
    message = await stored(session, message_id)
    assert message.status is MessageStatus.SENT and message.external_id == "m_abc"
    statuses = [
        p["message"]["status"] for _, name, p in events.published if name == "message:updated"
    ]
    assert statuses == ["sending", "sent"]


async def test_running_the_job_twice_sends_once(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    message_id, page_id = await queue_reply(client, session)
    route = graph.post(f"/{page_id}/messages").respond(
        200, json={"recipient_id": "555", "message_id": "m_1"}
    )
    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    assert await tasks.send_message({"job_try": 1}, message_id) == "skipped"
    assert route.call_count == 1


async def test_a_permanent_graph_error_marks_failed_with_code_and_reason(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    message_id, page_id = await queue_reply(client, session)
    graph.post(f"/{page_id}/messages").respond(
        400,
        json={"error": {"message": "(#551) This person isn't available right now.", "type": "OAuthException",
                        "code": 551, "error_subcode": 1545041, "fbtrace_id": "Abc"}},
    )  # fmt: skip
    assert await tasks.send_message({"job_try": 1}, message_id) == "failed 551/1545041"
    message = await stored(session, message_id)
    assert message.status is MessageStatus.FAILED
    assert message.error_code == "551/1545041"
    assert message.error_reason is not None and "isn't available" in message.error_reason


async def test_an_invalid_token_fails_the_message_and_flags_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    message_id, page_id = await queue_reply(client, session)
    graph.post(f"/{page_id}/messages").respond(
        400,
        json={
            "error": {
                "message": "Invalid OAuth access token",
                "type": "OAuthException",
                "code": 190,
            }
        },
    )
    await tasks.send_message({"job_try": 1}, message_id)
    message = await stored(session, message_id)
    assert message.status is MessageStatus.FAILED and message.error_code == "190"
    channel = (
        await session.execute(select(Channel).where(Channel.external_id == page_id))
    ).scalar_one()
    await session.refresh(channel)
    assert channel.status is ChannelStatus.NEEDS_REAUTH


async def test_a_retryable_error_requeues_and_retries(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    message_id, page_id = await queue_reply(client, session)
    route = graph.post(f"/{page_id}/messages")
    route.side_effect = [
        httpx.Response(
            500, json={"error": {"message": "temporarily down", "code": 2, "is_transient": True}}
        ),
        httpx.Response(200, json={"recipient_id": "555", "message_id": "m_2"}),
    ]
    with pytest.raises(Retry):
        await tasks.send_message({"job_try": 1}, message_id)
    assert (await stored(session, message_id)).status is MessageStatus.QUEUED
    assert await tasks.send_message({"job_try": 2}, message_id) == "sent"


async def test_network_failure_is_retryable(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    message_id, page_id = await queue_reply(client, session)
    graph.post(f"/{page_id}/messages").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(Retry):
        await tasks.send_message({"job_try": 1}, message_id)
    message = await stored(session, message_id)
    assert message.status is MessageStatus.QUEUED and message.error_code == "network"


async def test_a_dead_token_seen_while_fetching_a_profile_flags_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    from api.models import Contact

    _, page_id = await queue_reply(client, session)
    contact = (await session.execute(select(Contact))).scalars().first()
    assert contact is not None
    graph.get(f"/{contact.external_id}").respond(
        400, json={"error": {"message": "Session expired", "code": 190, "error_subcode": 463}}
    )
    assert await tasks.fetch_contact_profile({}, str(contact.id)) is False
    channel = (
        await session.execute(select(Channel).where(Channel.external_id == page_id))
    ).scalar_one()
    await session.refresh(channel)
    assert channel.status is ChannelStatus.NEEDS_REAUTH
