"""End to end against metasim (in process): a customer writes (metasim's signed webhook,
through Parley's ingest), then the agent reacts, replies quoting the message and reads the
conversation with read receipts on. What Meta received is checked at metasim."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.inbox.dispatch import Dispatcher
from api.inbox.reaction_sending import ReactionDispatcher
from api.inbox.receipts import ReadReceiptDispatcher
from api.meta.graph import GraphClient
from api.models import Conversation, Message, MessageDirection, WebhookEvent
from tests.event_payloads import create_whatsapp_channel
from tests.helpers import Account, create_account, create_messenger_channel, signed
from worker import tasks

NUMBER_ID, WABA_ID, WA_TOKEN = "400000000000777", "300000000000777", "EAAG-actions-token"
PAGE_ID, PAGE_TOKEN = "104857600000777", "EAAG-page-actions-token"
WA_ID, PSID = "15550107777", "7000000000000777"
INBOX = "/api/inbox"


@pytest.fixture
async def sim(sim_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sim_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metasim") as client:
        await client.post(
            "/_sim/settings",
            json={
                "whatsapp_statuses": False,
                "messenger_echoes": False,
                "messenger_receipts": False,
            },
        )
        number = {
            "waba_id": WABA_ID,
            "display_phone_number": "+1 555-010-0777",
            "verified_name": "Actions Co",
            "access_token": WA_TOKEN,
        }
        assert (await client.put(f"/_sim/whatsapp/numbers/{NUMBER_ID}", json=number)).is_success
        page = {"name": "Actions Co", "access_token": PAGE_TOKEN}
        assert (await client.put(f"/_sim/pages/{PAGE_ID}", json=page)).is_success
        yield client


async def customer_writes(
    client: httpx.AsyncClient, session: AsyncSession, sim: httpx.AsyncClient, path: str, **body: str
) -> Message:
    """metasim delivers the customer's message; Parley ingests its signed body."""
    assert (await sim.post(path, json=body)).is_success
    delivery = (await sim.get("/_sim/deliveries")).json()["items"][-1]
    raw, headers = signed(delivery["body"].encode())
    assert (
        await client.post("/api/webhooks/meta", content=raw, headers=headers)
    ).status_code == 200
    event_id = (
        (await session.execute(select(WebhookEvent.id).order_by(WebhookEvent.received_at.desc())))
        .scalars()
        .first()
    )
    assert await tasks.process_webhook_event({"job_try": 1}, str(event_id)) == "processed"
    found = await session.execute(
        select(Message)
        .where(Message.direction == MessageDirection.INBOUND)
        .order_by(Message.created_at.desc())
    )
    return found.scalars().first()  # type: ignore[return-value]


async def sim_calls(sim: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await sim.get("/_sim/sent", params=params)).json()["items"]
    return items


async def turn_receipts_on(client: httpx.AsyncClient, account: Account, channel_id: Any) -> None:
    response = await client.patch(
        f"/api/channels/{channel_id}", json={"send_read_receipts": True}, headers=account.headers
    )
    assert response.status_code == 200, response.text


async def read(client: httpx.AsyncClient, account: Account, message: Message) -> None:
    response = await client.post(
        f"{INBOX}/conversations/{message.conversation_id}/read", headers=account.headers
    )
    assert response.status_code == 200


async def test_whatsapp_reaction_quoted_reply_and_read_receipt_reach_meta(
    client: httpx.AsyncClient, session: AsyncSession, sim: httpx.AsyncClient, sim_graph: GraphClient
) -> None:
    account = await create_account(client)
    channel = await create_whatsapp_channel(
        session, account.tenant_id, phone_number_id=NUMBER_ID, waba_id=WABA_ID, token=WA_TOKEN
    )
    await turn_receipts_on(client, account, channel.id)
    inbound = await customer_writes(
        client, session, sim, "/_sim/whatsapp/deliver",
        phone_number_id=NUMBER_ID, wa_id=WA_ID, text="Do you ship to Lisbon?",
    )  # fmt: skip
    assert inbound.external_id and inbound.external_id.startswith("wamid.")

    reacted = await client.post(
        f"{INBOX}/messages/{inbound.id}/reactions", json={"emoji": "👍"}, headers=account.headers
    )
    assert reacted.status_code == 202
    assert (await ReactionDispatcher(graph=sim_graph).react(inbound.id)).summary == "sent"

    reply = await client.post(
        f"{INBOX}/conversations/{inbound.conversation_id}/messages",
        json={"text": "Yes, in 3 days.", "reply_to_message_id": str(inbound.id)},
        headers=account.headers,
    )
    assert reply.status_code == 202
    assert (await Dispatcher(graph=sim_graph).send(uuid.UUID(reply.json()["id"]))).summary == "sent"

    await read(client, account, inbound)
    outcome = await ReadReceiptDispatcher(graph=sim_graph).read_receipt(inbound.id)
    assert outcome.summary == "sent"

    reaction, quoted, receipt = await sim_calls(sim, phone_number_id=NUMBER_ID)
    assert reaction["status_code"] == quoted["status_code"] == receipt["status_code"] == 200
    assert reaction["body"]["type"] == "reaction"
    assert reaction["body"]["reaction"] == {"message_id": inbound.external_id, "emoji": "👍"}
    assert quoted["body"]["context"] == {"message_id": inbound.external_id}
    assert receipt["body"] == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": inbound.external_id,
    }
    assert receipt["response"] == {"success": True}


async def test_messenger_reaction_and_mark_seen_reach_meta(
    client: httpx.AsyncClient, session: AsyncSession, sim: httpx.AsyncClient, sim_graph: GraphClient
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(
        session, account.tenant_id, page_id=PAGE_ID, token=PAGE_TOKEN
    )
    await turn_receipts_on(client, account, channel.id)
    inbound = await customer_writes(
        client, session, sim, "/_sim/messenger/deliver", page_id=PAGE_ID, psid=PSID, text="Hi!"
    )
    conversation = await session.get(Conversation, inbound.conversation_id)
    assert conversation is not None and conversation.unread_count == 1

    await client.post(
        f"{INBOX}/messages/{inbound.id}/reactions", json={"emoji": "❤️"}, headers=account.headers
    )
    assert (await ReactionDispatcher(graph=sim_graph).react(inbound.id)).summary == "sent"
    await read(client, account, inbound)
    assert (await ReadReceiptDispatcher(graph=sim_graph).read_receipt(inbound.id)).summary == "sent"

    reaction, seen = await sim_calls(sim, page_id=PAGE_ID)
    assert reaction["status_code"] == seen["status_code"] == 200
    assert reaction["body"] == {
        "recipient": {"id": PSID},
        "sender_action": "react",
        "payload": {"message_id": inbound.external_id, "reaction": "❤️"},
    }
    assert seen["body"] == {"recipient": {"id": PSID}, "sender_action": "mark_seen"}
