"""Redis clients shared by api, worker and realtime. Connections are lazy and time out
fast, so a Redis outage degrades a request instead of hanging it."""

from __future__ import annotations

from functools import lru_cache

from arq.connections import ArqRedis

from api.config import get_settings

CONNECT_TIMEOUT_SECONDS = 1.0
SOCKET_TIMEOUT_SECONDS = 2.0


@lru_cache
def get_redis() -> ArqRedis:
    """An arq-capable Redis client (it is also a plain `redis.asyncio.Redis`)."""
    client: ArqRedis = ArqRedis.from_url(
        get_settings().redis.url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
    )
    return client
