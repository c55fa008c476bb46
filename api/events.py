"""Realtime events, published after commit through Socket.IO's Redis manager.

Every event carries a per-tenant sequence number (`seq`) so clients can order what they
receive and notice gaps. Events go to the room `tenant:<id>`; the realtime gateway puts
each authenticated socket in its own tenant's room only.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache
from typing import Any

import socketio
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.db import after_commit
from api.redis import get_redis

logger = logging.getLogger(__name__)

SOCKETIO_CHANNEL = "parley:socketio"


def tenant_room(tenant_id: uuid.UUID | str) -> str:
    return f"tenant:{tenant_id}"


@lru_cache
def get_emitter() -> socketio.AsyncRedisManager:
    return socketio.AsyncRedisManager(
        get_settings().redis.url, channel=SOCKETIO_CHANNEL, write_only=True
    )


async def next_sequence(tenant_id: uuid.UUID) -> int:
    return int(await get_redis().incr(f"parley:seq:{tenant_id}"))


async def publish(tenant_id: uuid.UUID, event: str, payload: dict[str, Any]) -> None:
    """Send one event to every socket of the tenant, now."""
    try:
        seq = await next_sequence(tenant_id)
        await get_emitter().emit(event, {"seq": seq, **payload}, room=tenant_room(tenant_id))
    except Exception as exc:
        logger.warning("could not publish %s for tenant %s (%s)", event, tenant_id, exc)


def emit(session: AsyncSession, tenant_id: uuid.UUID, event: str, payload: dict[str, Any]) -> None:
    """Publish `event` once `session` commits; a rolled-back transaction emits nothing."""

    async def _publish() -> None:
        await publish(tenant_id, event, payload)

    after_commit(session, _publish)
