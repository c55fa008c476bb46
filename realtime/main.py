"""The Socket.IO gateway (`uvicorn realtime.main:create_app --factory`).

A client connects with `auth: {token}` (the API's access JWT). A valid token joins the
socket to its tenant's room and its user room; anything else is refused. Events are
published by api and worker processes through the Redis manager, so every gateway replica
delivers them to its own sockets.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth.tokens import InvalidToken, decode_access_token
from api.config import Settings, get_settings
from api.events import SOCKETIO_CHANNEL, tenant_room
from api.logging import configure_logging

logger = logging.getLogger(__name__)


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def create_server(settings: Settings) -> socketio.AsyncServer:
    manager = socketio.AsyncRedisManager(settings.redis.url, channel=SOCKETIO_CHANNEL)
    server = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=settings.cors_origins or [],
        logger=False,
        engineio_logger=False,
    )

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized: missing token")
        try:
            claims = decode_access_token(settings.auth, token)
        except InvalidToken as exc:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized: invalid token") from exc
        await server.save_session(
            sid,
            {
                "tenant_id": str(claims.tenant_id),
                "user_id": str(claims.user_id),
                "role": claims.role.value,
            },
        )
        await server.enter_room(sid, tenant_room(claims.tenant_id))
        await server.enter_room(sid, user_room(str(claims.user_id)))

    async def disconnect(sid: str, reason: Any = None) -> None:
        logger.debug("socket %s disconnected (%s)", sid, reason)

    server.on("connect", connect)
    server.on("disconnect", disconnect)
    return server


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None) -> socketio.ASGIApp:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    server = create_server(settings)
    fallback = Starlette(routes=[Route("/realtime/healthz", healthz)])
    return socketio.ASGIApp(server, other_asgi_app=fallback, socketio_path="socket.io")
