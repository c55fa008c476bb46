"""One gateway process: its Socket.IO server, its sockets, and its part in the shared state.

Connection lifecycle: the token is checked (and the user looked up), the socket registers
in Redis (presence), joins `tenant:<id>` (held while it catches up, see `resume`) and
`user:<id>`, and gets its missed events (or `resync:required`) and `session:ready`.
Background work: a lease in Redis renewed every third of `REALTIME_GATEWAY_LEASE_SECONDS`
(if Redis forgot this gateway, its sockets register again), a sweep twice a second (typing
that timed out stops; sockets of dead gateways go), and a listener for control commands
(`api.events.disconnect_user`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio
from redis.asyncio import Redis

from api.config import Settings
from api.events import CONTROL_CHANNEL, SOCKETIO_CHANNEL, tenant_room
from api.observability import metrics
from api.redis import get_redis
from realtime.auth import Expiry, Identity, Refused, authenticate
from realtime.resume import Catchup, Gate, GatewayManager, catch_up, parse_last_seq, release
from realtime.state import SharedState, Status

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 0.5
CATCH_UP_ATTEMPTS = 3


def user_room(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def conversation_room(conversation_id: uuid.UUID | str) -> str:
    return f"conversation:{conversation_id}"


class Server(socketio.AsyncServer):  # type: ignore[misc]
    """Socket.IO's server, counting the client events it receives by name (names it has
    no handler for count as "unknown": clients choose them)."""

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        name = data[0] if isinstance(data, list) and data else None
        if not isinstance(name, str) or name not in self.handlers.get(namespace or "/", {}):
            name = metrics.UNKNOWN
        metrics.socket_event(name, "received")
        await super()._handle_event(eio_sid, namespace, id, data)


@dataclass
class Connection:
    """A socket on this gateway."""

    identity: Identity
    status: Status = Status.ONLINE
    conversations: set[uuid.UUID] = field(default_factory=set)
    # When this socket last renewed its typing in a conversation (monotonic seconds).
    typing_renewed: dict[uuid.UUID, float] = field(default_factory=dict)


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.id = uuid.uuid4().hex
        self.manager = GatewayManager(settings.redis.url, SOCKETIO_CHANNEL)
        self.server = Server(
            async_mode="asgi",
            client_manager=self.manager,
            cors_allowed_origins=settings.cors_origins or [],
            logger=False,
            engineio_logger=False,
        )
        self.redis: Redis = get_redis()
        self.state = SharedState(self.redis, self.id)
        self.connections: dict[str, Connection] = {}
        self.expiry = Expiry(self._expire)
        self._unclosed: set[str] = set()  # sockets whose removal from Redis failed; retried
        self._tasks: list[asyncio.Task[None]] = []
        self._catching_up: set[asyncio.Task[None]] = set()  # referenced until done
        self.server.on("connect", self.on_connect)
        self.server.on("disconnect", self.on_disconnect)
        self.server.on("auth:refresh", self.on_refresh)

    # -- sending -------------------------------------------------------------------------

    async def send(self, sid: str, event: str, payload: Any) -> None:
        """To one socket of this gateway (never through Redis)."""
        await self.server.emit(event, payload, to=sid, ignore_queue=True)

    async def end(self, sid: str, event: str) -> None:
        """Tell the socket why, then disconnect it."""
        await self.send(sid, event, {})
        await self.server.disconnect(sid, ignore_queue=True)

    # -- connect / disconnect ----------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        try:
            identity = await authenticate(self.settings.auth, auth.get("token"))
        except Refused as exc:
            metrics.socket_refused(exc.code)
            raise socketio.exceptions.ConnectionRefusedError(f"{exc.code}: {exc.detail}") from exc
        self.start()
        try:
            await self.state.open_socket(
                sid, identity.tenant_id, identity.user_id, identity.name, Status.ONLINE
            )
        except Exception as exc:
            logger.warning("could not register a socket in Redis (%s)", type(exc).__name__)
            metrics.socket_refused("unavailable")
            raise socketio.exceptions.ConnectionRefusedError(
                "unavailable: try again shortly"
            ) from exc
        room = tenant_room(identity.tenant_id)
        gate = self.manager.hold(room, sid)
        await self.server.enter_room(sid, room)
        await self.server.enter_room(sid, user_room(identity.user_id))
        self.connections[sid] = Connection(identity)
        metrics.socket_connected()
        self.expiry.schedule(sid, identity.expires_at)
        last_seq, valid = parse_last_seq(auth)
        task = asyncio.create_task(self._catch_up(sid, gate, last_seq, valid))
        self._catching_up.add(task)
        task.add_done_callback(self._catching_up.discard)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.expiry.cancel(sid)
        connection = self.connections.pop(sid, None)
        if connection is not None:
            metrics.socket_disconnected()
            self.manager.forget(tenant_room(connection.identity.tenant_id), sid)
        await self._close_in_redis(sid)

    async def _close_in_redis(self, sid: str) -> None:
        try:
            await self.state.close_socket(sid)
            self._unclosed.discard(sid)
        except Exception as exc:
            logger.warning("could not remove a socket from Redis (%s); retrying", exc)
            self._unclosed.add(sid)

    async def _until_connected(self, sid: str) -> bool:
        """The connect handler has returned; Socket.IO sends its CONNECT right after."""
        for _ in range(200):
            if self.manager.is_connected(sid, "/"):
                return True
            if sid not in self.connections:
                return False
            await asyncio.sleep(0.005)
        return False

    async def _catch_up(self, sid: str, gate: Gate, last_seq: int | None, valid: bool) -> None:
        connection = self.connections.get(sid)
        if connection is None or not await self._until_connected(sid):
            return
        identity = connection.identity
        realtime = self.settings.realtime
        for attempt in range(1, CATCH_UP_ATTEMPTS + 1):
            try:
                catchup = await catch_up(
                    self.redis,
                    str(identity.tenant_id),
                    last_seq,
                    realtime.retention_events,
                    int(realtime.retention_seconds * 1000),
                )
                presence = await self.state.presence(identity.tenant_id)
                break
            except Exception as exc:
                logger.warning("catch-up read failed (attempt %d: %s)", attempt, exc)
                await asyncio.sleep(0.2 * attempt)
        else:
            await self.server.disconnect(sid, ignore_queue=True)
            return
        if not valid:
            catchup = Catchup(seq=catchup.seq, resync=True)
        for event, payload in catchup.replay:
            await self.send(sid, event, payload)
        if catchup.resync:
            await self.send(sid, "resync:required", {"seq": catchup.seq})
        await self.send(
            sid,
            "session:ready",
            {
                "user_id": str(identity.user_id),
                "tenant_id": str(identity.tenant_id),
                "role": identity.role.value,
                "seq": catchup.seq,
                "presence": presence,
            },
        )

        async def deliver(event: str, payload: Any) -> None:
            await self.send(sid, event, payload)

        await release(gate, catchup.seq, deliver)

    # -- token expiry and revocation ---------------------------------------------------

    async def _expire(self, sid: str) -> None:
        if sid in self.connections:
            await self.end(sid, "session:expired")

    async def on_refresh(self, sid: str, data: Any = None) -> dict[str, Any]:
        """`auth:refresh {token}`: a newer token for the same user keeps the socket open."""
        connection = self.connections.get(sid)
        token = data.get("token") if isinstance(data, dict) else None
        if connection is None:
            return {"ok": False, "error": "unauthorized", "detail": "not connected"}
        try:
            identity = await authenticate(self.settings.auth, token)
        except Refused as exc:
            return {"ok": False, "error": exc.code, "detail": exc.detail}
        current = connection.identity
        if (identity.user_id, identity.tenant_id) != (current.user_id, current.tenant_id):
            return {"ok": False, "error": "forbidden", "detail": "a token of another user"}
        connection.identity = identity
        self.expiry.schedule(sid, identity.expires_at)
        return {"ok": True}

    async def _on_control(self, raw: bytes) -> None:
        try:
            command = json.loads(raw)
        except ValueError:
            logger.warning("ignoring a malformed control message")
            return
        if not isinstance(command, dict) or command.get("op") != "disconnect_user":
            logger.warning("ignoring an unknown control message")
            return
        user_id = str(command.get("user_id"))
        for sid, connection in list(self.connections.items()):
            if str(connection.identity.user_id) == user_id:
                await self.end(sid, "session:revoked")

    # -- background work ---------------------------------------------------------------

    def start(self) -> None:
        """Start the background work (once; from the ASGI startup or the first socket)."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._maintain()),
                asyncio.create_task(self._listen_for_control()),
            ]

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._catching_up]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self.expiry.cancel_all()
        for sid in list(self.connections):
            with contextlib.suppress(Exception):
                await self.server.disconnect(sid, ignore_queue=True)
        try:
            await self.state.leave_gateway()
        except Exception as exc:
            logger.warning("could not leave Redis cleanly (%s); the lease will expire", exc)

    async def _maintain(self) -> None:
        lease = self.settings.realtime.gateway_lease_seconds
        next_beat = 0.0
        failing = False
        while True:
            try:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + lease / 3
                    if await self.state.heartbeat(int(lease * 1000)):
                        await self._register_again()
                    for sid in list(self._unclosed):
                        await self._close_in_redis(sid)
                await self.state.sweep()
                if failing:
                    logger.warning("realtime upkeep works again")
                failing = False
            except Exception as exc:
                if not failing:  # once per outage, not twice a second
                    logger.warning("realtime upkeep failed (%s); retrying", exc)
                failing = True
            await asyncio.sleep(SWEEP_SECONDS)

    async def _register_again(self) -> None:
        """Redis did not know this gateway (it lost its data, or our lease lapsed and
        another gateway swept our sockets away): put every socket of ours back."""
        for sid, connection in list(self.connections.items()):
            identity = connection.identity
            await self.state.open_socket(
                sid, identity.tenant_id, identity.user_id, identity.name, connection.status
            )
            for conversation_id in list(connection.conversations):
                await self.state.join(sid, conversation_id)
            if sid not in self.connections:  # it disconnected meanwhile
                await self._close_in_redis(sid)

    async def _listen_for_control(self) -> None:
        retry = 1.0
        while True:
            client: Redis = Redis.from_url(self.settings.redis.url)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CONTROL_CHANNEL)
                    retry = 1.0
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._on_control(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("control channel lost (%s); retrying in %.0fs", exc, retry)
                await asyncio.sleep(retry)
                retry = min(retry * 2, 30.0)
            finally:
                await client.aclose()
