"""End to end against metasim (in process): templates synced from its WABA, conversations
started with them over the REST API, then a burst of sends to one number — measured at
metasim, never above the configured rate, and every message ends `sent`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import OutboundSettings, get_settings
from api.crypto import get_secret_box
from api.inbox.dispatch import Dispatcher, SendOutcome
from api.meta.client import MetaClient
from api.meta.graph import GraphClient
from api.models import Message, MessageStatus, MessageTemplate
from api.templates.sync import run_sync
from tests.event_payloads import create_whatsapp_channel
from tests.helpers import Account, create_account

NUMBER_ID, WABA_ID, TOKEN = "400000000000555", "300000000000555", "EAAG-burst-token"
RATE = 20  # per second, at metasim and in Parley
CONCURRENT_JOBS = 25  # like a worker's max_jobs


@pytest.fixture
async def sim(sim_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sim_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metasim") as client:
        await client.post("/_sim/settings", json={"whatsapp_statuses": False})
        number = {
            "waba_id": WABA_ID,
            "display_phone_number": "+1 555-010-0555",
            "verified_name": "Burst Co",
            "access_token": TOKEN,
        }
        assert (
            await client.put(f"/_sim/whatsapp/numbers/{NUMBER_ID}", json=number)
        ).status_code == 200
        yield client


async def synced_hello_world(
    session: AsyncSession, graph: GraphClient, account: Account
) -> MessageTemplate:
    report = await run_sync(
        MetaClient(graph, get_settings().meta), get_secret_box(), account.tenant_id, WABA_ID
    )
    assert report is not None and report.synced == 8
    found = await session.execute(
        select(MessageTemplate).where(
            MessageTemplate.name == "hello_world", MessageTemplate.tenant_id == account.tenant_id
        )
    )
    template = found.scalar_one()
    assert template.status == "APPROVED" and template.components
    return template


async def start(
    client: httpx.AsyncClient, account: Account, channel_id: uuid.UUID, template: MessageTemplate, phone: str
) -> str:  # fmt: skip
    response = await client.post(
        "/api/inbox/conversations",
        json={"channel_id": str(channel_id), "phone": phone, "template": {"template_id": str(template.id)}},
        headers=account.headers,
    )  # fmt: skip
    assert response.status_code == 202, response.text
    message_id: str = response.json()["message"]["id"]
    return message_id


async def drain(dispatcher: Dispatcher, message_ids: list[str]) -> list[SendOutcome]:
    """What arq does with the jobs: run each, and run a deferred one again when it is due."""
    slots = asyncio.Semaphore(CONCURRENT_JOBS)

    async def job(message_id: str) -> SendOutcome:
        while True:
            async with slots:
                outcome = await dispatcher.send(uuid.UUID(message_id))
            if outcome.defer is None:
                return outcome
            await asyncio.sleep(outcome.defer)

    return list(await asyncio.gather(*(job(m) for m in message_ids)))


async def metasim_sends(sim: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await sim.get("/_sim/sent", params={"phone_number_id": NUMBER_ID})
    ).json()["items"]
    return items


@pytest.mark.committing
async def test_a_burst_to_one_number_never_exceeds_the_rate_at_metasim(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sim: httpx.AsyncClient,
    sim_graph: GraphClient,
    redis: Any,
) -> None:
    await sim.post("/_sim/limits", json={"whatsapp_per_second": RATE})
    account = await create_account(client)
    channel = await create_whatsapp_channel(
        session, account.tenant_id, phone_number_id=NUMBER_ID, waba_id=WABA_ID, token=TOKEN
    )
    template = await synced_hello_world(session, sim_graph, account)
    message_ids = [
        await start(client, account, channel.id, template, f"+1 555 020 {i:04d}") for i in range(60)
    ]

    outcomes = await drain(
        Dispatcher(graph=sim_graph, settings=OutboundSettings(whatsapp_per_second=RATE)),
        message_ids,
    )

    assert [o.summary for o in outcomes] == ["sent"] * 60
    sends = await metasim_sends(sim)
    assert len(sends) == 60 and {s["status_code"] for s in sends} == {200}  # no 130429
    peak = (await sim.get("/_sim/limits")).json()["whatsapp_peak_per_second"][NUMBER_ID]
    assert peak <= RATE
    rows = (await session.execute(select(Message.status, Message.external_id))).all()
    assert {status for status, _ in rows} == {MessageStatus.SENT}
    assert all(external_id for _, external_id in rows)


@pytest.mark.committing
async def test_sends_to_one_customer_keep_the_pair_rate_with_its_burst(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sim: httpx.AsyncClient,
    sim_graph: GraphClient,
    redis: Any,
) -> None:
    await sim.post(
        "/_sim/limits", json={"whatsapp_pair_interval_ms": 1000, "whatsapp_pair_burst": 3}
    )
    account = await create_account(client)
    channel = await create_whatsapp_channel(
        session, account.tenant_id, phone_number_id=NUMBER_ID, waba_id=WABA_ID, token=TOKEN
    )
    template = await synced_hello_world(session, sim_graph, account)
    message_ids = [
        await start(client, account, channel.id, template, "+44 20 7946 0003") for _ in range(8)
    ]

    # Meta's 6 s pair interval, scaled down to 1 s: the pacing's 5% headroom is then 50 ms
    # against the calls' jitter on their way to Meta (at 0.3 s, 15 ms was less than a busy
    # machine's jitter, and metasim counted a 131056).
    settings = OutboundSettings(whatsapp_pair_interval_seconds=1.0, whatsapp_pair_burst=3)
    outcomes = await drain(Dispatcher(graph=sim_graph, settings=settings), message_ids)

    assert [o.summary for o in outcomes] == ["sent"] * 8
    sends = await metasim_sends(sim)
    assert [s["status_code"] for s in sends] == [200] * 8  # never 131056
