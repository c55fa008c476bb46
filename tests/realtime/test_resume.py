"""Resume: a client that reconnects with the last number it saw gets exactly what it
missed, in order, once; a gap older than what is kept tells it to refetch."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import events
from api.config import get_settings
from api.crypto import get_secret_box
from api.db import unit_of_work
from api.main import create_app as create_api
from api.models import Channel, WebhookEvent, WebhookEventStatus
from api.redis import get_redis
from api.vault import seal_token
from tests.helpers import messenger_text_payload, signed
from tests.realtime.conftest import Client, Team
from worker.tasks import process_webhook_event

pytestmark = pytest.mark.committing

Connect = Callable[..., Awaitable[Client]]


async def emit_committed(tenant_id: uuid.UUID, count: int, prefix: str = "m") -> None:
    """`count` events, each from its own committed unit of work (as the api and workers do)."""
    for n in range(count):
        async with unit_of_work() as session:
            events.emit(session, tenant_id, "message:new", {"message": {"id": f"{prefix}{n}"}})


def ids(client: Client, event: str = "message:new") -> list[str]:
    return [e["message"]["id"] for e in client.named(event)]


def tenant_events(client: Client) -> list[str]:
    """Event names in arrival order, without presence (live, never replayed)."""
    return [event for event, _ in client.events if event != "presence:changed"]


async def test_a_reconnecting_client_gets_exactly_what_it_missed_in_order(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    first = await clients(gateway, team.agent.token())
    await emit_committed(team.tenant_id, 3, prefix="before")
    await first.wait_for("message:new", count=3)
    last_seen = max(first.seqs())
    await first.close()

    await emit_committed(team.tenant_id, 25, prefix="missed")
    again = await clients(gateway, team.agent.token(), last_seq=last_seen)
    assert ids(again) == [f"missed{n}" for n in range(25)]
    assert again.seqs() == list(range(last_seen + 1, last_seen + 26))
    assert tenant_events(again)[:26] == ["message:new"] * 25 + ["session:ready"]
    assert again.named("session:ready")[0]["seq"] == last_seen + 25
    assert again.named("resync:required") == []

    await emit_committed(team.tenant_id, 1, prefix="live")
    await again.wait_for("message:new", count=26)
    await asyncio.sleep(0.2)
    assert ids(again)[-1] == "live0" and len(ids(again)) == 26


async def test_a_client_up_to_date_gets_no_replay(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    await emit_committed(team.tenant_id, 2)
    ready = (await clients(gateway, team.agent.token())).named("session:ready")[0]
    again = await clients(gateway, team.agent.token(), last_seq=ready["seq"])
    assert tenant_events(again)[0] == "session:ready"
    assert again.named("message:new") == [] and again.named("resync:required") == []


async def test_events_published_while_reconnecting_arrive_once_and_in_order(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    """Events keep coming while the client reconnects: whether each one reaches it from
    the stream or live, it comes exactly once, and the numbers have no gap."""
    team = teams[0]
    start = await events.publish(team.tenant_id, "message:new", {"message": {"id": "start"}})
    assert start is not None

    async def flood() -> None:
        for n in range(300):
            await events.publish(team.tenant_id, "message:new", {"message": {"id": f"f{n}"}})
            if n % 10 == 0:
                await asyncio.sleep(0)

    publisher = asyncio.create_task(flood())
    await asyncio.sleep(0.01)
    resumed = await asyncio.gather(
        *(clients(gateway, team.agent.token(), last_seq=start) for _ in range(3))
    )
    await publisher
    for client in resumed:
        await client.wait_for("message:new", count=300, within=10)
        await asyncio.sleep(0.1)
        assert client.seqs() == list(range(start + 1, start + 301))
        assert ids(client) == [f"f{n}" for n in range(300)]


async def test_a_gap_beyond_the_kept_count_asks_for_a_refetch(
    start_gateway: Callable[[], Awaitable[Any]],
    teams: tuple[Team, Team],
    clients: Connect,
    realtime_settings: Callable[..., None],
) -> None:
    realtime_settings(REALTIME_RETENTION_EVENTS="20")
    gateway = (await start_gateway()).url
    team = teams[0]
    ready = (await clients(gateway, team.agent.token())).named("session:ready")[0]

    await emit_committed(team.tenant_id, 21)
    too_late = await clients(gateway, team.agent.token(), last_seq=ready["seq"])
    in_time = await clients(gateway, team.agent.token(), last_seq=ready["seq"] + 1)

    assert too_late.named("resync:required") == [{"seq": ready["seq"] + 21}]
    assert too_late.named("message:new") == []
    assert tenant_events(too_late)[:2] == ["resync:required", "session:ready"]
    assert too_late.named("session:ready")[0]["seq"] == ready["seq"] + 21
    assert ids(in_time) == [f"m{n}" for n in range(1, 21)]


async def test_a_gap_older_than_the_kept_age_asks_for_a_refetch(
    start_gateway: Callable[[], Awaitable[Any]],
    teams: tuple[Team, Team],
    clients: Connect,
    realtime_settings: Callable[..., None],
) -> None:
    realtime_settings(REALTIME_RETENTION_SECONDS="0.5")
    gateway = (await start_gateway()).url
    team = teams[0]
    ready = (await clients(gateway, team.agent.token())).named("session:ready")[0]
    await emit_committed(team.tenant_id, 3)
    fresh = await clients(gateway, team.agent.token(), last_seq=ready["seq"])
    assert ids(fresh) == ["m0", "m1", "m2"]

    await asyncio.sleep(0.7)
    stale = await clients(gateway, team.agent.token(), last_seq=ready["seq"])
    assert stale.named("resync:required") == [{"seq": ready["seq"] + 3}]
    assert stale.named("message:new") == []


async def test_a_number_from_before_a_redis_loss_asks_for_a_refetch(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    """Redis restarted empty: numbering starts again from the clock, above every number a
    client may hold, and the gap is one nobody kept."""
    team = teams[0]
    await emit_committed(team.tenant_id, 3)
    ahead = (await clients(gateway, team.agent.token())).named("session:ready")[0]["seq"]
    await get_redis().delete(events.seq_key(team.tenant_id), events.stream_key(team.tenant_id))
    await emit_committed(team.tenant_id, 2, prefix="after")
    behind = await clients(gateway, team.agent.token(), last_seq=ahead)
    assert behind.named("resync:required")
    assert behind.named("message:new") == []
    assert behind.named("session:ready")[0]["seq"] > ahead

    beyond = await clients(gateway, team.agent.token(), last_seq=10**15)
    assert beyond.named("resync:required") == [{"seq": behind.named("session:ready")[0]["seq"]}]


@pytest.mark.parametrize("last_seq", ["12", -1, 1.5, True, {"n": 1}])
async def test_an_unusable_last_seq_asks_for_a_refetch(
    gateway: str, teams: tuple[Team, Team], clients: Connect, last_seq: Any
) -> None:
    client = await clients(gateway, teams[0].agent.token(), last_seq=last_seq)
    assert len(client.named("resync:required")) == 1


async def test_a_client_away_30_seconds_while_100_messages_arrive_catches_up_in_order(
    gateway: str,
    teams: tuple[Team, Team],
    clients: Connect,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The issue's case, through the real ingestion: signed deliveries to the api, each
    processed by the webhook job, while the client is away; then it reconnects."""
    team = teams[0]
    async with sessionmaker() as session:
        channel = await session.get(Channel, team.channel_id)
        assert channel is not None
        seal_token(get_secret_box(), channel, "page-token")
        await session.commit()
        page_id = channel.external_id

    client = await clients(gateway, team.agent.token())
    last_seen = client.named("session:ready")[0]["seq"]
    await client.close()

    # Away for 30 seconds while the 100 messages arrive one by one, each processed by the
    # webhook job as it comes in (as the worker would), so the retained stream grows live.
    away_since = time.monotonic()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as api:
        for n in range(100):
            body, headers = signed(
                messenger_text_payload(
                    page_id, "psid-1", f"hello {n}", mid=f"mid-{n:03d}", ts=1_790_000_000_000 + n
                )
            )
            response = await api.post("/api/webhooks/meta", content=body, headers=headers)
            assert response.status_code == 200, response.text
            async with sessionmaker() as session:
                event_id = (
                    await session.execute(
                        select(WebhookEvent.id).where(
                            WebhookEvent.status == WebhookEventStatus.RECEIVED
                        )
                    )
                ).scalar_one()
            assert await process_webhook_event({"job_try": 1}, str(event_id)) == "processed"
            await asyncio.sleep(max(0.0, away_since + 0.305 * (n + 1) - time.monotonic()))
    assert time.monotonic() - away_since >= 30

    back = await clients(gateway, team.agent.token(), last_seq=last_seen)
    texts = [e["message"]["text"] for e in back.named("message:new")]
    assert texts == [f"hello {n}" for n in range(100)]
    assert back.seqs() == list(range(last_seen + 1, back.named("session:ready")[0]["seq"] + 1))
    assert back.named("resync:required") == []


async def test_numbering_keeping_and_sending_are_one_step(teams: tuple[Team, Team]) -> None:
    """Many publishers at once: the stream holds the events in number order, and every
    subscriber of the Socket.IO channel sees them in that same order."""
    tenant_id = teams[0].tenant_id
    listener: Redis = Redis.from_url(get_settings().redis.url)
    async with listener, listener.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(events.SOCKETIO_CHANNEL)
        seqs = await asyncio.gather(
            *(
                events.publish(tenant_id, "message:new", {"message": {"id": f"c{n}"}})
                for n in range(200)
            )
        )
        numbers = sorted(s for s in seqs if s is not None)
        assert numbers == list(range(numbers[0], numbers[0] + 200))
        heard: list[int] = []
        deadline = time.monotonic() + 5
        while len(heard) < 200:
            assert time.monotonic() < deadline, f"heard only {len(heard)}"
            message = await pubsub.get_message(timeout=1)  # None for the subscription's
            if message is None:
                continue
            envelope = json.loads(message["data"])
            # The channel carries every tenant's events (and, on a shared Redis server,
            # those of other test processes publishing at the same time): ours only.
            if envelope["room"] != events.tenant_room(tenant_id):
                continue
            heard.append(envelope["data"][0]["seq"])
    assert heard == sorted(heard)
    kept = await get_redis().xrange(events.stream_key(tenant_id))
    assert [int(entry_id.split(b"-")[0]) for entry_id, _ in kept] == heard
    assert [json.loads(fields[b"p"])["seq"] for _, fields in kept] == heard


async def test_old_events_are_trimmed_from_the_stream(
    teams: tuple[Team, Team], realtime_settings: Callable[..., None], redis: object
) -> None:
    realtime_settings(REALTIME_RETENTION_SECONDS="0.3")
    tenant_id = teams[0].tenant_id
    for n in range(5):
        await events.publish(tenant_id, "message:new", {"message": {"id": f"old{n}"}})
    await asyncio.sleep(0.5)
    newest = await events.publish(tenant_id, "message:new", {"message": {"id": "new"}})
    kept = await get_redis().xrange(events.stream_key(tenant_id))
    assert [int(entry_id.split(b"-")[0]) for entry_id, _ in kept] == [newest]
    assert 0 < await get_redis().pttl(events.stream_key(tenant_id)) <= 330
