"""Realtime events: numbered, kept for resume, and fanned out after commit.

`emit(session, tenant_id, event, payload)` publishes once the session commits; a
rolled-back transaction emits nothing. Publishing is one Lua script in Redis: it assigns
the tenant's next sequence number (`seq`, added to the payload), appends the event to the
tenant's stream (kept `REALTIME_RETENTION_EVENTS` events / `REALTIME_RETENTION_SECONDS`,
so a reconnecting client can be sent exactly what it missed) and publishes it on
Socket.IO's Redis channel, addressed to the room `tenant:<id>`. Doing the three in one
atomic step means sequence order, stream order and delivery order are the same on every
gateway, whichever api or worker process published.

A new sequence (the first event of a tenant, or after Redis lost its data) starts from the
clock in milliseconds rather than from 1, so the numbers keep growing across a Redis loss:
a client still holding a number from before is behind a gap nobody retained and is told to
refetch, never replayed someone else's events (this holds while a tenant averages fewer
than 1,000 events a second).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from redis.exceptions import NoScriptError
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.db import after_commit
from api.observability import tracing
from api.outgoing import fanout as outgoing_fanout
from api.redis import get_redis

logger = logging.getLogger(__name__)

# Socket.IO's Redis manager channel: every gateway delivers what is published here.
SOCKETIO_CHANNEL = "parley:socketio"
# Commands for the gateways themselves (e.g. disconnect a removed user's sockets).
CONTROL_CHANNEL = "parley:realtime:control"
# The Socket.IO "host" that messages published from Redis scripts come from. It is no
# gateway's own id, so every gateway (the publishing one included) delivers them.
SCRIPT_HOST_ID = "parley:redis"
SEQ_FIELD = "seq"

# Shared by the api's publisher and the gateway's resume: the tenant's current number,
# created from the clock when missing (see the module docstring).
LUA_CURRENT_SEQ = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function current_seq(seq_key, stream_key, now)
  local seq = redis.call('GET', seq_key)
  if seq then return tonumber(seq) end
  seq = now
  local last = redis.call('XREVRANGE', stream_key, '+', '-', 'COUNT', 1)[1]
  if last then
    local kept = tonumber(string.match(last[1], '^(%d+)'))
    if kept >= seq then seq = kept end
  end
  redis.call('SET', seq_key, string.format('%d', seq))
  return seq
end
"""

# KEYS: seq key, stream key. ARGV: channel, envelope head, payload JSON (without seq),
# event name, max events, retention ms. Returns the event's seq.
_PUBLISH_LUA = (
    LUA_CURRENT_SEQ
    + """
local now = now_ms()
local seq = current_seq(KEYS[1], KEYS[2], now) + 1
local seq_text = string.format('%d', seq)
redis.call('SET', KEYS[1], seq_text)

local body = ARGV[3]
local payload
if body == '{}' then
  payload = '{"seq":' .. seq_text .. '}'
else
  payload = '{"seq":' .. seq_text .. ',' .. string.sub(body, 2)
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], seq_text .. '-0',
  't', string.format('%d', now), 'e', ARGV[4], 'p', payload)

-- The age bound: drop the entries older than the retention (with 10 % slack, so this
-- search runs about once per tenth of the retention, not on every event). Sequence
-- numbers are the stream ids, so a binary search over them finds the first one to keep.
local retention = tonumber(ARGV[6])
local function fresh_from(id, cutoff)
  local entry = redis.call('XRANGE', KEYS[2], string.format('%d-0', id), '+', 'COUNT', 1)[1]
  return entry ~= nil and tonumber(entry[2][2]) >= cutoff
end
local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
if oldest and tonumber(oldest[2][2]) < now - retention * 1.1 then
  local cutoff = now - retention
  local lo = tonumber(string.match(oldest[1], '^(%d+)'))
  local hi = seq
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if fresh_from(mid, cutoff) then hi = mid else lo = mid + 1 end
  end
  redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d-0', lo))
end
redis.call('PEXPIRE', KEYS[2], math.ceil(retention * 1.1))

redis.call('PUBLISH', ARGV[1], ARGV[2] .. payload .. ']}')
return seq
"""
)


def tenant_room(tenant_id: uuid.UUID | str) -> str:
    return f"tenant:{tenant_id}"


def seq_key(tenant_id: uuid.UUID | str) -> str:
    return f"parley:rt:seq:{tenant_id}"


def stream_key(tenant_id: uuid.UUID | str) -> str:
    return f"parley:rt:events:{tenant_id}"


def encode_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def socketio_envelope_head(event: str, room: str, skip_sid: str | None = None) -> str:
    """The start of a Socket.IO Redis-manager `emit` message, up to its data list; the
    caller appends the JSON payload and `]}`."""
    envelope = {
        "method": "emit",
        "event": event,
        "namespace": "/",
        "room": room,
        "skip_sid": skip_sid,
        "callback": None,
        "binary": False,
        "host_id": SCRIPT_HOST_ID,
    }
    return encode_json(envelope)[:-1] + ',"data":['


class LuaScript:
    """A Redis script run by its SHA1, loaded on first use by any client it is run on."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis's script id

    async def __call__(self, redis: Redis, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)  # type: ignore[misc]
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)  # type: ignore[misc]


_publish_script = LuaScript(_PUBLISH_LUA)


def _encode_payload(payload: dict[str, Any]) -> str:
    """The payload without any `seq` of its own (the script puts the real one first)."""
    return encode_json({k: v for k, v in payload.items() if k != SEQ_FIELD})


async def publish(tenant_id: uuid.UUID, event: str, payload: dict[str, Any]) -> int | None:
    """Number, keep and send one event to every socket of the tenant, now. Returns its
    `seq`, or None when Redis could not be reached (logged)."""
    settings = get_settings().realtime
    with tracing.span(
        f"emit {event}",
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "socket.io",
            "messaging.operation.type": "publish",
            "messaging.destination.name": "tenant",
            "parley.event": event,
            "parley.tenant_id": str(tenant_id),
        },
    ) as span:
        try:
            seq = await _publish_script(
                get_redis(),
                [seq_key(tenant_id), stream_key(tenant_id)],
                [
                    SOCKETIO_CHANNEL,
                    socketio_envelope_head(event, tenant_room(tenant_id)),
                    _encode_payload(payload),
                    event,
                    settings.retention_events,
                    int(settings.retention_seconds * 1000),
                ],
            )
        except Exception as exc:
            # The change itself is safe in Postgres; screens that miss it catch up when they
            # next load it (a Redis outage also interrupts the gateways' fan-out).
            logger.warning("could not publish %s for tenant %s (%s)", event, tenant_id, exc)
            tracing.fail(span, type(exc).__name__)
            return None
        span.set_attribute("parley.seq", int(seq))
    return int(seq)


def emit(session: AsyncSession, tenant_id: uuid.UUID, event: str, payload: dict[str, Any]) -> None:
    """Publish `event` once `session` commits; a rolled-back transaction emits nothing.

    The payload must be JSON (e.g. `model_dump(mode="json")`); that is checked now, where a
    mistake is the caller's, not after the commit."""
    _encode_payload(payload)

    async def _publish() -> None:
        await publish(tenant_id, event, payload)

    after_commit(session, _publish)
    # Outgoing webhooks: deliveries written in this same transaction (api/outgoing/fanout).
    outgoing_fanout.record(session, tenant_id, event, payload)


async def disconnect_user(user_id: uuid.UUID) -> None:
    """Disconnect every socket of the user on every gateway (removed or deactivated member).

    Call it after the commit that removed the user (e.g. through `api.db.after_commit`);
    the gateways also refuse the user's next connection, since it checks the database."""
    message = encode_json({"op": "disconnect_user", "user_id": str(user_id)})
    await get_redis().publish(CONTROL_CHANNEL, message)
