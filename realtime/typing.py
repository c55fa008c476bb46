"""Typing indicators between agents: `typing:start` / `typing:stop {conversation_id}`.

Only agents (not viewers) who have joined the conversation may type. The others in the
tenant get `typing:start` / `typing:stop {conversation_id, user_id, name}` (through the
tenant's room, which every socket of the tenant is in, so conversation and list views
hear it once; never the sending socket). Typing stops by itself
`REALTIME_TYPING_TIMEOUT_SECONDS` after the last `typing:start`: the expiry lives in Redis
and any gateway's sweep announces it (to everyone, the typist's own sockets too), so it
works even when the gateway that started it has died.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from realtime.gateway import Connection, Gateway
from realtime.rooms import conversation_id_of, refusal

logger = logging.getLogger(__name__)

# Clients send typing:start on keystrokes; Redis needs to hear it only now and then.
RENEW_FRACTION = 1 / 3


class Typing:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        gateway.server.on("typing:start", self.start)
        gateway.server.on("typing:stop", self.stop)

    def _check(self, sid: str, data: Any) -> tuple[Connection, uuid.UUID] | dict[str, Any]:
        """The socket and conversation, or the refusal to answer with."""
        connection = self.gateway.connections.get(sid)
        conversation_id = conversation_id_of(data)
        if connection is None or conversation_id is None:
            return refusal("invalid_request", "send {conversation_id: <uuid>}")
        if not connection.identity.can_write:
            return refusal("forbidden", "viewers cannot type")
        if conversation_id not in connection.conversations:
            return refusal("forbidden", "join the conversation first")
        return connection, conversation_id

    async def start(self, sid: str, data: Any = None) -> dict[str, Any]:
        checked = self._check(sid, data)
        if isinstance(checked, dict):
            return checked
        connection, conversation_id = checked
        timeout = self.gateway.settings.realtime.typing_timeout_seconds
        now = time.monotonic()
        renewed = connection.typing_renewed.get(conversation_id)
        if renewed is not None and now - renewed < timeout * RENEW_FRACTION:
            return {"ok": True}
        try:
            ok = await self.gateway.state.typing_start(sid, conversation_id, int(timeout * 1000))
        except Exception as exc:
            logger.warning("typing:start failed in Redis (%s)", type(exc).__name__)
            return refusal("unavailable", "try again shortly")
        if not ok:
            return refusal("forbidden", "join the conversation first")
        connection.typing_renewed[conversation_id] = now
        return {"ok": True}

    async def stop(self, sid: str, data: Any = None) -> dict[str, Any]:
        checked = self._check(sid, data)
        if isinstance(checked, dict):
            return checked
        connection, conversation_id = checked
        connection.typing_renewed.pop(conversation_id, None)
        try:
            await self.gateway.state.typing_stop(sid, conversation_id)
        except Exception as exc:
            logger.warning("typing:stop failed in Redis (%s)", type(exc).__name__)
            return refusal("unavailable", "try again shortly")
        return {"ok": True}
