"""Resume: a reconnecting client gets exactly the tenant events it missed, in order.

The api and workers publish every tenant event in one Redis step that numbers it, keeps it
in the tenant's stream and publishes it (`api.events`), so all gateways see events in
sequence order. A connecting socket joins its tenant's room at once but is *held*: the
events that reach it meanwhile are set aside. The gateway then reads the missed events from
the stream (one script: the current number and everything after the client's), sends them,
sends `session:ready`, then what was set aside that is newer than what it sent, and lets
the socket go. Whatever the timing, each event reaches the socket once, in order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
from redis.asyncio import Redis

from api.events import LUA_CURRENT_SEQ, SEQ_FIELD, LuaScript, seq_key, stream_key
from api.observability import metrics

logger = logging.getLogger(__name__)

# KEYS: seq key, stream key. ARGV: the client's last seq ('' for none), max events,
# retention ms. Returns {current seq, 'ready' | 'resync' | 'replay', event, payload, ...}.
_RESUME = LuaScript(
    LUA_CURRENT_SEQ
    + """
local now = now_ms()
local current = current_seq(KEYS[1], KEYS[2], now)
if ARGV[1] == '' then return {current, 'ready'} end
local last = tonumber(ARGV[1])
if last == current then return {current, 'ready'} end
if last > current or current - last > tonumber(ARGV[2]) then return {current, 'resync'} end
local entries = redis.call('XRANGE', KEYS[2], string.format('%d-0', last + 1), '+')
local first = entries[1]
if not first or tonumber(string.match(first[1], '^(%d+)')) ~= last + 1
    or tonumber(first[2][2]) < now - tonumber(ARGV[3]) then
  return {current, 'resync'}
end
local out = {current, 'replay'}
for _, entry in ipairs(entries) do
  out[#out + 1] = entry[2][4]
  out[#out + 1] = entry[2][6]
end
return out
"""
)


@dataclass(frozen=True, slots=True)
class Catchup:
    """What a connecting socket is owed: the events it missed (`replay`), or `resync`
    when they are no longer all kept; `seq` is the number it is up to date with after."""

    seq: int
    resync: bool = False
    replay: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


async def catch_up(
    redis: Redis, tenant_id: str, last_seq: int | None, max_events: int, retention_ms: int
) -> Catchup:
    reply = await _RESUME(
        redis,
        [seq_key(tenant_id), stream_key(tenant_id)],
        ["" if last_seq is None else str(last_seq), max_events, retention_ms],
    )
    seq, kind = int(reply[0]), reply[1].decode()
    if kind == "resync":
        return Catchup(seq=seq, resync=True)
    replay = [(reply[i].decode(), json.loads(reply[i + 1])) for i in range(2, len(reply), 2)]
    return Catchup(seq=seq, replay=replay)


def parse_last_seq(auth: dict[str, Any]) -> tuple[int | None, bool]:
    """`auth.last_seq` → (number or None, valid). Anything but a non-negative integer
    is invalid: such a client cannot be replayed to and must refetch."""
    value = auth.get("last_seq")
    if value is None:
        return None, True
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None, False
    return value, True


# --- holding sockets while they catch up ---------------------------------------------


@dataclass
class Gate:
    """A socket catching up: tenant events meant for it are set aside while `held`, and
    those at or below `floor` (already sent from the stream) are dropped."""

    held: bool = True
    floor: int = -1
    waiting: list[tuple[int, str, Any]] = field(default_factory=list)


def _seq_of(data: Any) -> int | None:
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        seq = data[0].get(SEQ_FIELD)
        if isinstance(seq, int) and not isinstance(seq, bool):
            return seq
    return None


def _skipping(skip_sid: Any, more: list[str]) -> list[str]:
    if skip_sid is None:
        return more
    return [*(skip_sid if isinstance(skip_sid, list) else [skip_sid]), *more]


class GatewayManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """Socket.IO's Redis manager, plus the gates of sockets that are catching up."""

    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel=channel)
        self.gates: dict[str, dict[str, Gate]] = {}  # room -> sid -> gate

    def hold(self, room: str, sid: str) -> Gate:
        gate = self.gates.setdefault(room, {})[sid] = Gate()
        return gate

    def forget(self, room: str, sid: str) -> None:
        gates = self.gates.get(room)
        if gates is not None:
            gates.pop(sid, None)
            if not gates:
                del self.gates[room]

    def _reaches_anyone(self, message: dict[str, Any]) -> bool:
        rooms = self.rooms.get(message.get("namespace") or "/", {})
        room = message.get("room")  # None: every socket; or one room, or a list of them
        return any(rooms.get(name) for name in (room if isinstance(room, list) else [room]))

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        # Every event for this gateway's sockets passes here once (its own and other
        # processes' emits alike): counted once if it reaches any of them, however many.
        if self._reaches_anyone(message):
            metrics.socket_event(str(message.get("event")), "sent")
        room = message.get("room")
        gates = self.gates.get(room) if isinstance(room, str) else None
        seq = _seq_of(message.get("data")) if gates else None
        if gates and seq is not None:
            skip: list[str] = []
            for sid, gate in list(gates.items()):
                if seq <= gate.floor:
                    skip.append(sid)
                elif gate.held:
                    gate.waiting.append((seq, message["event"], message["data"][0]))
                    skip.append(sid)
                else:  # past what it was sent from the stream: an ordinary socket now
                    self.forget(str(room), sid)
            if skip:
                message = {**message, "skip_sid": _skipping(message.get("skip_sid"), skip)}
        await super()._handle_emit(message)


Send = Callable[[str, Any], Awaitable[None]]


async def release(gate: Gate, upto: int, send: Send) -> None:
    """Send what was set aside that is newer than `upto`, then let the socket go. No await
    separates the last check of the queue from the release, so nothing slips between."""
    while gate.waiting:
        seq, event, payload = gate.waiting.pop(0)
        if seq > upto:
            await send(event, payload)
            upto = seq
    gate.held = False
    gate.floor = upto
