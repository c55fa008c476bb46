"""Replying to a specific message: the reply quotes it (WhatsApp `context`), the API shows
the quoted message, and the quote is part of what an Idempotency-Key stands for."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.models import Conversation, Message, MessageDirection
from tests.api.inbox.inbox_data import message_row
from tests.api.inbox.sending_data import (
    ORDER_PARAMETERS,
    add_template,
    messenger_setup,
    outbound,
    send_jobs,
    whatsapp_setup,
)
from tests.api.inbox.test_outbox import post_reply
from tests.helpers import create_account
from worker import tasks


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings().outbound, "whatsapp_pair_interval_seconds", 0)


async def customer_message(
    session: AsyncSession,
    conversation: Conversation,
    text: str = "Do you have it in blue?",
    *,
    direction: MessageDirection = MessageDirection.INBOUND,
    external_id: str | None = "wamid.customer-1",
) -> uuid.UUID:
    row = message_row(conversation, text, datetime.now(UTC) - timedelta(minutes=5), direction)
    row["external_id"] = external_id
    if direction is MessageDirection.NOTE:
        row["type"] = "note"
    await session.execute(insert(Message), [row])
    await session.commit()
    message_id: uuid.UUID = row["id"]
    return message_id


def wa_ok(wamid: str = "wamid.reply") -> httpx.Response:
    return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": wamid}]})


async def test_a_whatsapp_reply_quotes_the_message_and_shows_it(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, redis: Any
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    quoted = await customer_message(session, conversation)

    response = await post_reply(
        client, account, conversation.id, {"text": "Yes!", "reply_to_message_id": str(quoted)}
    )

    assert response.status_code == 202, response.text
    assert response.json()["reply_to"] == {
        "id": str(quoted),
        "external_id": "wamid.customer-1",
        "text": "Do you have it in blue?",
        "type": "text",
        "direction": "inbound",
    }
    (stored,) = await outbound(session, conversation.id)
    assert stored.reply_to_external_id == "wamid.customer-1"
    listed = await client.get(
        f"/api/inbox/conversations/{conversation.id}/messages", headers=account.headers
    )
    mine = next(m for m in listed.json()["items"] if m["id"] == response.json()["id"])
    assert mine["reply_to"]["id"] == str(quoted)

    route = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_ok())
    assert await tasks.send_message({"job_try": 1}, response.json()["id"]) == "sent"
    body = json.loads(route.calls.last.request.content)
    assert body["context"] == {"message_id": "wamid.customer-1"}
    assert body["text"]["body"] == "Yes!"


async def test_a_template_can_quote_too(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    await add_template(session, channel)
    quoted = await customer_message(session, conversation)
    template = {"name": "order_update", "language": "en_US", **ORDER_PARAMETERS}

    response = await post_reply(
        client,
        account,
        conversation.id,
        {"template": template, "reply_to_message_id": str(quoted)},
    )

    assert response.status_code == 202, response.text
    route = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_ok())
    assert await tasks.send_message({"job_try": 1}, response.json()["id"]) == "sent"
    body = json.loads(route.calls.last.request.content)
    assert body["type"] == "template" and body["context"] == {"message_id": "wamid.customer-1"}


async def test_a_plain_reply_sends_no_context(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)

    response = await post_reply(client, account, conversation.id, {"text": "Hello"})

    assert response.json()["reply_to"] is None
    route = graph.post(f"/{channel.external_id}/messages").mock(return_value=wa_ok())
    await tasks.send_message({"job_try": 1}, response.json()["id"])
    assert "context" not in json.loads(route.calls.last.request.content)


async def test_the_quote_is_part_of_the_idempotency_key(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    first_quote = await customer_message(session, conversation, external_id="wamid.a")
    other_quote = await customer_message(session, conversation, "Thanks", external_id="wamid.b")
    body = {"text": "Sure", "reply_to_message_id": str(first_quote)}

    first = await post_reply(client, account, conversation.id, body, key="k-quote")
    again = await post_reply(client, account, conversation.id, body, key="k-quote")
    other = await post_reply(
        client,
        account,
        conversation.id,
        {**body, "reply_to_message_id": str(other_quote)},
        key="k-quote",
    )
    unquoted = await post_reply(client, account, conversation.id, {"text": "Sure"}, key="k-quote")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert [other.status_code, unquoted.status_code] == [422, 422]
    assert other.json()["error"] == unquoted.json()["error"] == "idempotency_key_reused"
    assert len(await outbound(session, conversation.id)) == 1
    assert await send_jobs(redis) == [f"send:{first.json()['id']}"]


async def test_the_quoted_message_must_be_in_this_conversation(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    _, _, elsewhere = await whatsapp_setup(client, session, account=account)
    in_other_thread = await customer_message(session, elsewhere, external_id="wamid.other")
    _, _, foreign = await whatsapp_setup(client, session, account=await create_account(client))
    other_tenants = await customer_message(session, foreign, external_id="wamid.foreign")

    for target in (in_other_thread, other_tenants, uuid.uuid4()):
        response = await post_reply(
            client, account, conversation.id, {"text": "Hi", "reply_to_message_id": str(target)}
        )
        assert response.status_code == 422
        assert response.json() == {
            "error": "reply_target_invalid",
            "detail": "reply_to_message_id: there is no such message in this conversation.",
        }
    assert await outbound(session, conversation.id) == []
    assert await send_jobs(redis) == []


async def test_a_note_or_a_message_not_yet_at_meta_cannot_be_quoted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    note = await customer_message(
        session, conversation, "call back", direction=MessageDirection.NOTE, external_id=None
    )
    queued = await post_reply(client, account, conversation.id, {"text": "on its way"})

    for target in (note, queued.json()["id"]):
        response = await post_reply(
            client, account, conversation.id, {"text": "Hi", "reply_to_message_id": str(target)}
        )
        assert response.status_code == 422
        assert response.json()["error"] == "reply_target_invalid"
        assert "reached WhatsApp" in response.json()["detail"]


async def test_messenger_replies_cannot_quote(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, _, conversation = await messenger_setup(client, session)
    quoted = await customer_message(session, conversation, external_id="m_customer")

    response = await post_reply(
        client, account, conversation.id, {"text": "Hi", "reply_to_message_id": str(quoted)}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "reply_not_supported"
    assert await outbound(session, conversation.id) == []
    assert await send_jobs(redis) == []


async def test_a_malformed_quote_id_is_a_validation_error(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)

    response = await post_reply(
        client, account, conversation.id, {"text": "Hi", "reply_to_message_id": "nope"}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert "reply_to_message_id" in response.json()["detail"]
