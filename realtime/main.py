"""The Socket.IO gateway (`uvicorn realtime.main:create_app --factory`), path `/socket.io`.

Protocol (see `gateway`, `resume`, `rooms`, `typing`, `presence`, `state`):

- Connect with `auth: {token, last_seq?}` (the API's access JWT; the last `seq` seen). A
  refused connection gets `connect_error` with `unauthorized: <reason>` (missing, invalid
  or expired token, unknown user) or `unavailable: <reason>` (database or Redis down).
- The socket joins `tenant:<id>` and `user:<id>`. With `last_seq`, it first gets every kept
  tenant event after it, in order, exactly as originally sent; if that gap is no longer
  all kept, if `last_seq` is ahead of the tenant's number (Redis lost its data) or not a
  non-negative integer, it gets `resync:required {seq}` instead (refetch). Then
  `session:ready {user_id, tenant_id, role, seq, presence: {user_id: "online" | "away"}}`
  (offline users left out). From then on it gets every tenant event once, in `seq` order.
- Tenant events (`message:new`, `message:updated`, `conversation:updated`,
  `channel:updated`) carry `seq`, consecutive per tenant, and every socket of the tenant
  gets every one: a client that sees a number skipped has missed something (e.g. Redis
  restarted) and should refetch. Live-only events carry none and are never replayed:
  `presence:changed {user_id, status}`, `typing:start` / `typing:stop {conversation_id,
  user_id, name}`, `conversation:viewers {conversation_id, viewers: [{user_id, name,
  typing}]}`, `session:expired {}`, `session:revoked {}`.
- Client events, each answered through its ack with `{ok: true, ...}` or `{ok: false,
  error, detail}`:
  `conversation:join {conversation_id}` → `{ok: true, viewers}` | `not_found` (missing or
  another tenant's) | `invalid_request` | `too_many_rooms` | `unavailable`;
  `conversation:leave {conversation_id}`;
  `typing:start` / `typing:stop {conversation_id}` → `forbidden` for viewers and for
  sockets that have not joined the conversation;
  `presence:set {status: "online" | "away"}`;
  `auth:refresh {token}` → `{ok: true}` | `unauthorized` | `forbidden` (another user's).
- At the token's expiry the gateway sends `session:expired` and disconnects, unless
  `auth:refresh` brought a newer token. `api.events.disconnect_user(user_id)` sends
  `session:revoked` to that user's sockets on every gateway and disconnects them.

Any number of gateways can run side by side: events, presence, typing and viewers go
through Redis, so each gateway serves its own sockets with the same picture.

`GET /realtime/healthz` is liveness, `GET /realtime/readyz` readiness (PostgreSQL and
Redis). On SIGTERM uvicorn stops accepting connections and closes open sockets with 1012
(service restart): clients reconnect, to another gateway, with `last_seq` and resume.
"""

from __future__ import annotations

import socketio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.config import Settings, get_settings
from api.db import get_engine
from api.gctuning import tune_gc
from api.health import check_postgres, check_redis, readiness
from api.logging import configure_logging
from api.observability import metrics, tracing
from realtime.gateway import Gateway
from realtime.presence import Presence
from realtime.rooms import Rooms
from realtime.typing import Typing


def create_gateway(settings: Settings) -> Gateway:
    gateway = Gateway(settings)
    Rooms(gateway)
    Typing(gateway)
    Presence(gateway)
    return gateway


async def healthz(_: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(_: Request) -> JSONResponse:
    """Readiness: PostgreSQL (sockets are authenticated against it) and Redis (events,
    presence and resume go through it) answer; 503 naming the failing one otherwise."""
    return await readiness({"postgres": check_postgres, "redis": check_redis})


def create_app(settings: Settings | None = None) -> socketio.ASGIApp:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.resolved_log_format)
    tracing.configure_tracing(settings.tracing, "parley-realtime")
    gateway = create_gateway(settings)

    async def startup() -> None:
        tune_gc()  # api.gctuning: full collections of a heap of sockets paused the gateway
        gateway.start()

    async def shutdown() -> None:
        await gateway.stop()
        await get_engine().dispose()

    app = socketio.ASGIApp(
        gateway.server,
        other_asgi_app=Starlette(
            routes=[
                Route("/realtime/healthz", healthz),
                Route("/realtime/readyz", readyz),
                # Prometheus scrapes it on the gateway's own port; the proxy never routes it.
                Route("/metrics", metrics.endpoint(settings.metrics.token)),
            ]
        ),
        socketio_path="socket.io",
        on_startup=startup,
        on_shutdown=shutdown,
    )
    app.gateway = gateway  # for tests and tools
    return app
