"""Outbound rate limits: the Redis token bucket (GCRA in one Lua script) holds a burst, and
a send with no slot free is deferred — never dropped, never counted as an attempt."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from arq import Retry
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import OutboundSettings, get_settings
from api.inbox.ratelimit import (
    Bucket,
    RateLimiter,
    channel_bucket,
    interval_us,
    recipient_bucket,
)
from api.models import ChannelKind, MessageStatus
from tests.api.inbox.sending_data import INBOX, outbound, whatsapp_setup
from worker import tasks

SECOND_US = 1_000_000


def most_in_any_window(slots_us: list[int], window_us: int = SECOND_US) -> int:
    """The most slots inside any half-open window [t, t + window) starting at a slot."""
    ordered = sorted(slots_us)
    return max(bisect.bisect_left(ordered, s + window_us) - i for i, s in enumerate(ordered))


def bucket(per_second: float, burst: int = 1) -> Bucket:
    return Bucket(f"parley:outbound:test:{uuid.uuid4()}", interval_us(per_second), burst)


async def test_a_burst_never_gets_more_slots_than_the_rate_in_any_second(redis: Any) -> None:
    limiter, limited = RateLimiter(redis), bucket(80)
    slots = [await limiter.reserve(limited, f"m{i}") for i in range(400)]

    assert most_in_any_window([s.at_us for s in slots]) == 80
    assert slots[0].wait <= 0  # the first goes at once
    gaps = [b.at_us - a.at_us for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= interval_us(80) == 12_500
    assert slots[-1].at_us - slots[0].at_us == 399 * 12_500  # every one paced, none dropped
    assert slots[-1].wait > 4  # seconds ahead: the caller defers the job until then


async def test_concurrent_reservations_from_many_workers_share_one_bucket(redis: Any) -> None:
    limited = bucket(50)
    limiters = [RateLimiter(redis) for _ in range(4)]  # one per "worker"
    slots = await asyncio.gather(*(limiters[i % 4].reserve(limited, f"m{i}") for i in range(200)))
    at = sorted(s.at_us for s in slots)
    assert len(set(at)) == 200
    assert most_in_any_window(at) == 50
    assert min(b - a for a, b in itertools.pairwise(at)) >= interval_us(50)


async def test_a_burst_allowance_goes_at_once_then_paces(redis: Any) -> None:
    limiter, limited = RateLimiter(redis), bucket(10, burst=5)
    slots = [await limiter.reserve(limited, f"m{i}") for i in range(25)]
    assert all(s.wait <= 0 for s in slots[:5])
    assert slots[5].wait > 0
    assert most_in_any_window([s.at_us for s in slots]) <= 10 + 5 - 1


async def test_a_holder_keeps_its_slot_until_released(redis: Any) -> None:
    limiter, limited = RateLimiter(redis), bucket(1)
    first = await limiter.reserve(limited, "a")
    second = await limiter.reserve(limited, "b")
    again = await limiter.reserve(limited, "b")  # a deferred job coming back

    assert again.at_us == second.at_us
    assert second.at_us - first.at_us == SECOND_US
    await limiter.release([limited], "b")
    assert (await limiter.reserve(limited, "b")).at_us == second.at_us + SECOND_US


def test_buckets_per_channel_and_whatsapp_recipient() -> None:
    settings = OutboundSettings()
    channel_id = uuid.uuid4()
    wa = channel_bucket(settings, ChannelKind.WHATSAPP, channel_id)
    page = channel_bucket(settings, ChannelKind.MESSENGER, channel_id)
    pair = recipient_bucket(settings, ChannelKind.WHATSAPP, channel_id, "15550100001")

    assert (wa.interval_us, wa.burst) == (13_125, 1)  # 80 per second, 5% headroom
    assert page.interval_us == 3_500  # 300 per second, 5% headroom
    assert interval_us(300) == 3_334  # rounded up: never above the rate
    assert pair is not None and pair.interval_us == 6_300_000  # 6 s, 5% headroom
    assert pair.burst == 10
    assert str(channel_id) in wa.key and "15550100001" in pair.key
    assert recipient_bucket(settings, ChannelKind.MESSENGER, channel_id, "1") is None
    off = OutboundSettings(whatsapp_pair_interval_seconds=0)
    assert recipient_bucket(off, ChannelKind.WHATSAPP, channel_id, "1") is None


# --- deferral in the send job ----------------------------------------------------------


async def queue_text(client: httpx.AsyncClient, session: AsyncSession) -> tuple[str, str, str]:
    """A queued WhatsApp reply: (message id, phone number id, recipient wa_id)."""
    account, channel, conversation = await whatsapp_setup(client, session)
    response = await client.post(
        f"{INBOX}/{conversation.id}/messages", json={"text": "hi"}, headers=account.headers
    )
    assert response.status_code == 202
    [message] = await outbound(session)
    from api.models import Contact

    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    return str(message.id), channel.external_id, contact.external_id


def wa_ok(wamid: str = "wamid.ok") -> httpx.Response:
    return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": wamid}]})


async def test_no_slot_defers_the_job_without_an_attempt_and_it_sends_later(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings().outbound, "whatsapp_pair_interval_seconds", 1.6)
    monkeypatch.setattr(get_settings().outbound, "whatsapp_pair_burst", 1)
    message_id, number_id, wa_id = await queue_text(client, session)
    route = graph.post(f"/{number_id}/messages").mock(return_value=wa_ok())
    # Another message to the same customer just took the recipient's slot.
    from api.models import Channel

    [message] = await outbound(session)
    channel = await session.get(Channel, message.channel_id)
    assert channel is not None
    pair = recipient_bucket(get_settings().outbound, ChannelKind.WHATSAPP, channel.id, wa_id)
    assert pair is not None
    await RateLimiter(redis).reserve(pair, "someone-else")

    with pytest.raises(Retry) as deferred:
        await tasks.send_message({"job_try": 1}, message_id)

    assert 1.0 < deferred.value.defer_score / 1000 <= 1.7  # type: ignore[operator]  # 1.68 s
    assert route.call_count == 0
    [waiting] = await outbound(session)
    assert (waiting.status, waiting.attempts) == (MessageStatus.QUEUED, 0)

    await asyncio.sleep(deferred.value.defer_score / 1000)  # type: ignore[operator]
    assert await tasks.send_message({"job_try": 2}, message_id) == "sent"
    assert route.call_count == 1
    [sent] = await outbound(session)
    assert (sent.status, sent.attempts) == (MessageStatus.SENT, 1)


async def test_a_short_wait_is_taken_inside_the_job(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings().outbound, "whatsapp_per_second", 2.5)  # 400 ms apart
    message_id, number_id, _ = await queue_text(client, session)
    graph.post(f"/{number_id}/messages").mock(return_value=wa_ok())
    [message] = await outbound(session)
    number = channel_bucket(get_settings().outbound, ChannelKind.WHATSAPP, message.channel_id)
    await RateLimiter(redis).reserve(number, "someone-else")

    started = asyncio.get_running_loop().time()
    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    assert asyncio.get_running_loop().time() - started >= 0.35


async def test_redis_unavailable_defers_instead_of_failing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    message_id, number_id, _ = await queue_text(client, session)
    route = graph.post(f"/{number_id}/messages").mock(return_value=wa_ok())

    async def down(*_: object, **__: object) -> None:
        raise RedisConnectionError("gone")

    monkeypatch.setattr(RateLimiter, "reserve", down)
    with pytest.raises(Retry):
        await tasks.send_message({"job_try": 1}, message_id)
    assert route.call_count == 0
    [message] = await outbound(session)
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)


def test_the_send_job_may_be_deferred_far_more_often_than_it_is_attempted() -> None:
    from worker.main import WorkerSettings

    send = next(f for f in WorkerSettings.functions if f.name == "inbox.send_message")
    assert send.max_tries is not None
    assert send.max_tries >= 1000 * get_settings().outbound.max_attempts
    assert timedelta(seconds=WorkerSettings.job_timeout) > timedelta(seconds=1.5)


async def test_the_gate_holds_the_calls_themselves_to_the_rate(redis: Any) -> None:
    """A call that left late must not go right before the next one: the gate applies the
    bucket to the calls themselves, whatever their slots said."""
    limiter = RateLimiter(redis)
    number, pair = bucket(10), bucket(2)  # 100 ms and 500 ms apart

    assert await limiter.gate([number, pair]) == 0  # the first call goes and counts
    wait = await limiter.gate([number, pair])
    assert 0.4 < wait <= 0.5  # the slower bucket decides; nothing was counted
    await asyncio.sleep(0.11)
    assert 0.3 < await limiter.gate([pair]) <= 0.4
    assert await limiter.gate([number]) == 0  # the number alone is ready again

    bursty = bucket(10, burst=5)
    assert [await limiter.gate([bursty]) for _ in range(5)] == [0, 0, 0, 0, 0]
    assert 0.05 < await limiter.gate([bursty]) <= 0.1  # then one per interval
