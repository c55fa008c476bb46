"""The gateways' shared state in Redis: which sockets are where, presence, who views and
who types in a conversation. Every operation is one call of `state.lua`, which also
publishes the events the change causes (see there)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from api.events import SCRIPT_HOST_ID, SOCKETIO_CHANNEL, LuaScript

_SCRIPT = LuaScript((Path(__file__).parent / "state.lua").read_text())


class Status(StrEnum):
    ONLINE = "online"
    AWAY = "away"


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str
    name: str
    typing: bool

    def as_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, "typing": self.typing}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SharedState:
    """One gateway's handle on the shared state; `gateway_id` names its lease."""

    def __init__(self, redis: Redis, gateway_id: str) -> None:
        self.redis = redis
        self.gateway_id = gateway_id

    async def _run(self, op: str, *args: str | int) -> Any:
        return await _SCRIPT(self.redis, [], [op, SOCKETIO_CHANNEL, SCRIPT_HOST_ID, *args])

    async def open_socket(
        self, sid: str, tenant_id: uuid.UUID, user_id: uuid.UUID, name: str, status: Status
    ) -> None:
        await self._run(
            "open", sid, str(tenant_id), str(user_id), name, self.gateway_id, status.value
        )

    async def set_status(self, sid: str, status: Status) -> bool:
        return bool(await self._run("status", sid, status.value))

    async def close_socket(self, sid: str) -> None:
        await self._run("close", sid)

    async def join(self, sid: str, conversation_id: uuid.UUID) -> list[Viewer] | None:
        """The conversation's viewers with this socket among them; None if Redis does not
        know the socket (its state was lost: register it again, then retry)."""
        flat = await self._run("join", sid, str(conversation_id))
        if flat is None:
            return None
        items = [_text(v) for v in flat]
        return [
            Viewer(user_id=items[i], name=items[i + 1], typing=items[i + 2] == "1")
            for i in range(0, len(items), 3)
        ]

    async def leave(self, sid: str, conversation_id: uuid.UUID) -> None:
        await self._run("leave", sid, str(conversation_id))

    async def typing_start(self, sid: str, conversation_id: uuid.UUID, timeout_ms: int) -> bool:
        return _text(await self._run("typing_start", sid, str(conversation_id), timeout_ms)) == "ok"

    async def typing_stop(self, sid: str, conversation_id: uuid.UUID) -> bool:
        return _text(await self._run("typing_stop", sid, str(conversation_id))) == "ok"

    async def heartbeat(self, lease_ms: int) -> bool:
        """Renew this gateway's lease. True when Redis did not know the gateway: its
        sockets must be registered again (Redis lost its data, or the lease had expired)."""
        return bool(await self._run("heartbeat", self.gateway_id, lease_ms))

    async def sweep(self) -> int:
        """Stop timed-out typing and drop the sockets of gateways that died."""
        return int(await self._run("sweep"))

    async def leave_gateway(self) -> None:
        await self._run("leave_gateway", self.gateway_id)

    async def presence(self, tenant_id: uuid.UUID) -> dict[str, str]:
        """`{user_id: "online" | "away"}` for the tenant's users with a socket open."""
        flat = [_text(v) for v in await self._run("presence", str(tenant_id))]
        return dict(zip(flat[::2], flat[1::2], strict=True))
