"""Conversation rooms: `conversation:join` / `conversation:leave`, and who is viewing.

Joining checks, in the database, that the conversation belongs to the socket's tenant
(another tenant's id answers `not_found`, exactly like a missing one). Every member of the
tenant may view; only agents may type (see `typing`). The join's answer lists the
conversation's viewers across all gateways; `conversation:viewers` tells the room whenever
that set (or someone's typing) changes.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from api import db
from api.inbox.repository import ConversationRepository
from api.tenancy import TenantScope
from realtime.gateway import Connection, Gateway, conversation_room
from realtime.state import Viewer

logger = logging.getLogger(__name__)

# A screen shows one conversation at a time; this only stops a runaway client.
MAX_CONVERSATIONS_PER_SOCKET = 50


def refusal(error: str, detail: str) -> dict[str, Any]:
    return {"ok": False, "error": error, "detail": detail}


def conversation_id_of(data: Any) -> uuid.UUID | None:
    value = data.get("conversation_id") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def conversation_in_tenant(connection: Connection, conversation_id: uuid.UUID) -> bool:
    identity = connection.identity
    scope = TenantScope(tenant_id=identity.tenant_id, user_id=identity.user_id, role=identity.role)
    async with db.get_sessionmaker()() as session:
        return await ConversationRepository(session, scope).get(conversation_id) is not None


class Rooms:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        gateway.server.on("conversation:join", self.join)
        gateway.server.on("conversation:leave", self.leave)

    async def join(self, sid: str, data: Any = None) -> dict[str, Any]:
        connection = self.gateway.connections.get(sid)
        if connection is None:
            return refusal("forbidden", "not signed in")
        conversation_id = conversation_id_of(data)
        if conversation_id is None:
            return refusal("invalid_request", "send {conversation_id: <uuid>}")
        if (
            conversation_id not in connection.conversations
            and len(connection.conversations) >= MAX_CONVERSATIONS_PER_SOCKET
        ):
            return refusal("too_many_rooms", "leave a conversation before joining another")
        try:
            if not await conversation_in_tenant(connection, conversation_id):
                return refusal("not_found", "no such conversation")
            await self.gateway.server.enter_room(sid, conversation_room(conversation_id))
            connection.conversations.add(conversation_id)
            viewers = await self._join_shared(sid, connection, conversation_id)
        except Exception as exc:
            logger.warning("conversation:join failed (%s)", type(exc).__name__)
            return refusal("unavailable", "try again shortly")
        return {"ok": True, "viewers": [viewer.as_json() for viewer in viewers]}

    async def _join_shared(
        self, sid: str, connection: Connection, conversation_id: uuid.UUID
    ) -> list[Viewer]:
        state = self.gateway.state
        viewers = await state.join(sid, conversation_id)
        if viewers is None and sid in self.gateway.connections:
            # Redis lost this socket (restarted empty): register it again, then join.
            identity = connection.identity
            await state.open_socket(
                sid, identity.tenant_id, identity.user_id, identity.name, connection.status
            )
            viewers = await state.join(sid, conversation_id)
        if sid not in self.gateway.connections:  # disconnected meanwhile: undo
            await state.close_socket(sid)
        return viewers or []

    async def leave(self, sid: str, data: Any = None) -> dict[str, Any]:
        connection = self.gateway.connections.get(sid)
        conversation_id = conversation_id_of(data)
        if connection is None or conversation_id is None:
            return refusal("invalid_request", "send {conversation_id: <uuid>}")
        connection.conversations.discard(conversation_id)
        connection.typing_renewed.pop(conversation_id, None)
        await self.gateway.server.leave_room(sid, conversation_room(conversation_id))
        try:
            await self.gateway.state.leave(sid, conversation_id)
        except Exception as exc:
            logger.warning("conversation:leave failed in Redis (%s)", type(exc).__name__)
            return refusal("unavailable", "try again shortly")
        return {"ok": True}
