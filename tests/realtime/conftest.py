"""Gateways served by uvicorn on real ports, real Socket.IO clients, real Redis and
PostgreSQL. The gateway reads users and conversations through its own sessions while the
test runs, so these tests commit for real (the tables are truncated afterwards)."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import socketio
import uvicorn
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.tokens import ACCESS_TOKEN_TYPE, create_access_token
from api.config import get_settings
from api.models import Channel, ChannelKind, Contact, Conversation, Role, Tenant, User
from realtime.main import create_app


@pytest.fixture
def realtime_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set `REALTIME_*` (or other) variables for this test: `realtime_settings(X="1")`."""

    def apply(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


@dataclass
class Gateway:
    url: str
    app: Any

    @property
    def gateway(self) -> Any:
        return self.app.gateway


@pytest.fixture
async def start_gateway(redis: object) -> AsyncIterator[Callable[[], Awaitable[Gateway]]]:
    """Start gateways (as many as the test wants) with the settings of the moment."""
    running: list[tuple[uvicorn.Server, asyncio.Task[None], Any]] = []

    async def start() -> Gateway:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = create_app()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.02)
        running.append((server, task, app))
        return Gateway(f"http://127.0.0.1:{port}", app)

    yield start
    for server, task, app in running:
        server.should_exit = True
        await app.gateway.stop()
        await task


@pytest.fixture
async def gateway(start_gateway: Callable[[], Awaitable[Gateway]]) -> str:
    return (await start_gateway()).url


# --- clients ---------------------------------------------------------------------------


@dataclass
class Client:
    """A python-socketio client that records every event it receives, in order."""

    sio: socketio.AsyncClient = field(
        default_factory=lambda: socketio.AsyncClient(reconnection=False)
    )
    events: list[tuple[str, Any]] = field(default_factory=list)
    disconnects: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sio.on("*", self._record)
        self.sio.on("disconnect", self._disconnected)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    async def _disconnected(self, reason: Any = None) -> None:
        self.disconnects.append(reason)

    def named(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    def seqs(self) -> list[int]:
        """The numbers of the tenant events received (not `session:ready`'s)."""
        return [
            data["seq"]
            for event, data in self.events
            if event not in {"session:ready", "resync:required"}
            and isinstance(data, dict)
            and isinstance(data.get("seq"), int)
        ]

    async def wait_for(
        self, name: str, count: int = 1, within: float = 5.0, **match: Any
    ) -> list[Any]:
        deadline = time.monotonic() + within
        while True:
            found = [
                d
                for d in self.named(name)
                if all(isinstance(d, dict) and d.get(k) == v for k, v in match.items())
            ]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{count} x {name} {match or ''} not received; got {self.events!r}"[:3000]
                )
            await asyncio.sleep(0.02)

    async def wait_disconnected(self, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while self.sio.connected or not self.disconnects:
            if time.monotonic() > deadline:
                raise AssertionError("still connected")
            await asyncio.sleep(0.02)

    async def call(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, timeout=5)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., Awaitable[Client]]]:
    """`await clients(url, token, last_seq=None)`: a connected client, ready (it has had
    `session:ready`); closed at the end of the test."""
    opened: list[Client] = []

    async def connect(
        url: str, token: str, last_seq: Any = None, *, ready: bool = True, **auth: Any
    ) -> Client:
        client = Client()
        opened.append(client)
        payload: dict[str, Any] = {"token": token, **auth}
        if last_seq is not None:
            payload["last_seq"] = last_seq
        await client.sio.connect(url, auth=payload, transports=["websocket"], wait_timeout=5)
        if ready:
            await client.wait_for("session:ready")
        return client

    yield connect
    for client in opened:
        await client.close()


# --- data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    name: str

    def token(self, **expiry: float) -> str:
        if not expiry:
            return create_access_token(
                get_settings().auth, user_id=self.user_id, tenant_id=self.tenant_id, role=self.role
            )
        return token_expiring(self, datetime.now(UTC) + timedelta(**expiry))


def token_expiring(member: Member, at: datetime) -> str:
    auth = get_settings().auth
    claims = {
        "sub": str(member.user_id),
        "tid": str(member.tenant_id),
        "role": member.role.value,
        "typ": ACCESS_TOKEN_TYPE,
        "iat": int(time.time()) - 1,
        "exp": int(at.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return str(jwt.encode(claims, auth.jwt_secret, algorithm=auth.jwt_algorithm))


@dataclass(frozen=True)
class Team:
    tenant_id: uuid.UUID
    agent: Member
    agent2: Member
    viewer: Member
    channel_id: uuid.UUID
    conversation_id: uuid.UUID


async def create_team(session: AsyncSession, name: str) -> Team:
    tenant = Tenant(id=uuid.uuid4(), name=name)
    session.add(tenant)
    await session.flush()

    def member(role: Role, person: str) -> Member:
        user = User(
            id=uuid.uuid4(),
            tenant_id=tenant.id,
            email=f"{person.lower()}-{uuid.uuid4().hex[:8]}@example.com",
            password_hash="unused: tokens are minted",
            name=f"{person} of {name}",
            role=role,
        )
        session.add(user)
        return Member(user.id, tenant.id, role, user.name or "")

    agent, agent2, viewer = (
        member(Role.AGENT, "Ana"),
        member(Role.AGENT, "Ben"),
        member(Role.VIEWER, "Vic"),
    )
    channel = Channel(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        kind=ChannelKind.MESSENGER,
        external_id=str(uuid.uuid4().int)[:15],
        name=f"{name} page",
    )
    contact = Contact(
        id=uuid.uuid4(), tenant_id=tenant.id, channel_id=channel.id, external_id="psid-1"
    )
    conversation = Conversation(
        id=uuid.uuid4(), tenant_id=tenant.id, channel_id=channel.id, contact_id=contact.id
    )
    session.add(channel)
    await session.flush()
    session.add(contact)
    await session.flush()
    session.add(conversation)
    await session.commit()
    return Team(tenant.id, agent, agent2, viewer, channel.id, conversation.id)


@pytest.fixture
async def teams(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> tuple[Team, Team]:
    async with sessionmaker() as session:
        return await create_team(session, "Acme"), await create_team(session, "Globex")
