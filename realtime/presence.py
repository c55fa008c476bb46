"""Presence: each user is online, away or offline, across every gateway.

A user is online while any of their sockets (on any gateway) is connected and not away,
away when all of them said `presence:set {status: "away"}` (e.g. the tab has been hidden a
while), offline when none is left. The state lives in Redis (`state.lua`); each gateway
holds a lease there, so a gateway that dies takes its sockets' presence with it once the
lease expires. Changes reach the tenant as `presence:changed {user_id, status}`; a new
socket gets the current picture in `session:ready.presence` (`{user_id: status}`, offline
users left out).
"""

from __future__ import annotations

import logging
from typing import Any

from realtime.gateway import Gateway
from realtime.rooms import refusal
from realtime.state import Status

logger = logging.getLogger(__name__)


class Presence:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        gateway.server.on("presence:set", self.set)

    async def set(self, sid: str, data: Any = None) -> dict[str, Any]:
        connection = self.gateway.connections.get(sid)
        value = data.get("status") if isinstance(data, dict) else None
        if connection is None or value not in {s.value for s in Status}:
            return refusal("invalid_request", 'send {status: "online" | "away"}')
        connection.status = Status(value)
        try:
            await self.gateway.state.set_status(sid, connection.status)
        except Exception as exc:
            logger.warning("presence:set failed in Redis (%s)", type(exc).__name__)
            return refusal("unavailable", "try again shortly")
        return {"ok": True}
