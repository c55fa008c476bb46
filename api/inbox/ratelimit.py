"""Outbound rate limits: token buckets in Redis, shared by every worker.

Each bucket is kept as GCRA (the "generic cell rate algorithm", a token bucket written as
one timestamp): `tat`, the theoretical arrival time of the next send. A send asks for a
*slot*; the Lua script reserves the earliest slot the bucket allows and moves `tat` on by
one interval, atomically, on Redis's own clock (one clock for every worker). The caller
then waits until its slot: a short wait in the job, a long one by deferring the job.

A reservation is remembered under the holder (message, retry, attempt), so a deferred
job that comes back uses the slot it already holds instead of queueing again; sends to one
recipient therefore keep their order. Buckets are reserved one after the other (the
recipient's pair rate first, then the number's throughput), so a message waiting seconds
for its recipient does not hold up the number's other sends.

With a burst of 1, slots are exactly one interval apart: in any window of W seconds at
most `1 + W * rate` sends start, i.e. never more than `rate` in a one-second window.
Right before the call, a gate runs the same algorithm on the calls themselves, so a call
that leaves late cannot bunch with the next one. Buckets pace a little (HEADROOM_PERCENT)
under the configured rate, so that calls arriving slightly off their slots stay under it.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from api.config import OutboundSettings
from api.models import ChannelKind

PREFIX = "parley:outbound"
PAIR_PREFIX = f"{PREFIX}:pair:"
# Buckets pace this much under the configured rate: calls reach Meta with some jitter (the
# network, a busy worker) and Meta counts arrivals. 5% of 80/s leaves ~50 ms per second;
# of the 6 s pair interval, 300 ms.
HEADROOM_PERCENT = 5
RESERVATION_GRACE_MS = 60_000  # how long a slot stays reserved after it came due

# KEYS[1] the bucket's tat, KEYS[2] the holder's reservation.
# ARGV[1] interval (µs), ARGV[2] burst, ARGV[3] reservation grace (ms).
# Returns {wait µs (<= 0: go now), slot µs since the epoch}.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local held = redis.call('GET', KEYS[2])
if held then
  local slot = tonumber(held)
  return {string.format('%.0f', slot - now), held}
end
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local slot = tat - tolerance
if slot < now then slot = now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat),
  'PX', math.floor((new_tat - now) / 1000) + 1000)
local wait = slot - now
redis.call('SET', KEYS[2], string.format('%.0f', slot),
  'PX', math.floor(wait / 1000) + tonumber(ARGV[3]))
return {string.format('%.0f', wait), string.format('%.0f', slot)}
"""


# The gate right before a call: the same GCRA, on the calls themselves rather than on
# reservations. KEYS: the buckets' call keys; ARGV: their intervals (µs), then their
# bursts. All allow a call now: account for it in each and return 0; else the µs until
# the slowest allows one (nothing is taken).
GATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  local allowed = tat - interval * (tonumber(ARGV[n + i]) - 1)
  if allowed - now > wait then wait = allowed - now end
end
if wait > 0 then return string.format('%.0f', wait) end
for i, key in ipairs(KEYS) do
  local new_tat = tats[i] + tonumber(ARGV[i])
  redis.call('SET', key, string.format('%.0f', new_tat),
    'PX', math.floor((new_tat - now) / 1000) + 1000)
end
return '0'
"""


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    interval_us: int  # one send per interval
    burst: int = 1


@dataclass(frozen=True, slots=True)
class Slot:
    wait: float  # seconds until the slot (<= 0: now)
    at_us: int  # the slot, µs since the epoch on Redis's clock


def interval_us(per_second: float) -> int:
    """Rounded up, so the pace is never above the rate."""
    return math.ceil(1_000_000 / per_second)


def paced_interval_us(interval: float) -> int:
    """An interval (µs) stretched by the headroom, rounded up."""
    return math.ceil(round(interval * (100 + HEADROOM_PERCENT) / 100, 3))


def channel_bucket(settings: OutboundSettings, kind: ChannelKind, channel_id: uuid.UUID) -> Bucket:
    if kind is ChannelKind.WHATSAPP:
        rate, burst = settings.whatsapp_per_second, settings.whatsapp_burst
    else:
        rate, burst = settings.messenger_per_second, settings.messenger_burst
    return Bucket(f"{PREFIX}:channel:{channel_id}", paced_interval_us(1_000_000 / rate), burst)


# Messenger paces these per page apart from (and on top of) everything else it sends.
MESSENGER_SLOW_TYPES = frozenset({"audio", "video"})


def media_bucket(
    settings: OutboundSettings, kind: ChannelKind, channel_id: uuid.UUID, message_type: str
) -> Bucket | None:
    """Messenger's Send API: 10 calls/s per page for audio and video (meta-platform.md §4.5)."""
    if kind is not ChannelKind.MESSENGER or message_type not in MESSENGER_SLOW_TYPES:
        return None
    return Bucket(
        f"{PREFIX}:channel:{channel_id}:media",
        paced_interval_us(1_000_000 / settings.messenger_media_per_second),
        settings.messenger_burst,
    )


def recipient_bucket(
    settings: OutboundSettings, kind: ChannelKind, channel_id: uuid.UUID, recipient: str
) -> Bucket | None:
    """WhatsApp's pair rate (one number → one user); Messenger documents none."""
    if kind is not ChannelKind.WHATSAPP or settings.whatsapp_pair_interval_seconds <= 0:
        return None
    return Bucket(
        f"{PAIR_PREFIX}{channel_id}:{recipient}",
        paced_interval_us(settings.whatsapp_pair_interval_seconds * 1_000_000),
        settings.whatsapp_pair_burst,
    )


class RateLimiter:
    def __init__(self, redis: Any) -> None:
        self.redis = redis

    async def reserve(self, bucket: Bucket, holder: str) -> Slot:
        """The holder's slot in the bucket: reserved now, or the one it already holds."""
        reservation = f"{bucket.key}:slot:{holder}"
        wait, slot = await self.redis.eval(
            ACQUIRE,
            2,
            bucket.key,
            reservation,
            bucket.interval_us,
            bucket.burst,
            RESERVATION_GRACE_MS,
        )
        return Slot(wait=int(wait) / 1_000_000, at_us=int(slot))

    async def gate(self, buckets: list[Bucket]) -> float:
        """Seconds until every bucket allows a call (0: go; the call is accounted for).
        Slots say when a call may leave; a call that leaves late (a slow claim, a busy
        worker) would otherwise go right before the next one on time: the gate holds the
        calls themselves to the rate and burst."""
        if not buckets:
            return 0.0
        wait = await self.redis.eval(
            GATE,
            len(buckets),
            *(f"{b.key}:calls" for b in buckets),
            *(b.interval_us for b in buckets),
            *(b.burst for b in buckets),
        )
        return int(wait) / 1_000_000

    async def release(self, buckets: list[Bucket], holder: str) -> None:
        """Forget the holder's reservations once its send went (or will never go)."""
        if buckets:
            await self.redis.delete(*(f"{b.key}:slot:{holder}" for b in buckets))
