"""The gateway, served by uvicorn on a real port, with real Socket.IO clients and Redis."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
import uvicorn

from api.auth.tokens import create_access_token
from api.config import get_settings
from api.events import publish
from api.models import Role
from realtime.main import create_app


@pytest.fixture
async def gateway(redis: object) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def token_for(tenant_id: uuid.UUID) -> str:
    return create_access_token(
        get_settings().auth, user_id=uuid.uuid4(), tenant_id=tenant_id, role=Role.AGENT
    )


async def connected(
    url: str, auth: dict[str, str] | None
) -> tuple[socketio.AsyncClient, list[Any]]:
    client = socketio.AsyncClient(reconnection=False)
    received: list[Any] = []
    client.on("message:new", lambda data: received.append(data))
    await client.connect(
        url, auth=auth, transports=["websocket"], socketio_path="socket.io", wait_timeout=5
    )
    return client, received


@pytest.mark.parametrize("auth", [None, {"token": ""}, {"token": "not-a-jwt"}])
async def test_sockets_without_a_valid_token_are_refused(
    gateway: str, auth: dict[str, str] | None
) -> None:
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(gateway, auth=auth, transports=["websocket"], wait_timeout=5)
    assert not client.connected
    assert errors and "unauthorized" in str(errors[0])


async def test_events_reach_only_the_tenants_own_sockets(gateway: str) -> None:
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    client_a, received_a = await connected(gateway, {"token": token_for(tenant_a)})
    client_b, received_b = await connected(gateway, {"token": token_for(tenant_b)})
    try:
        await publish(tenant_a, "message:new", {"message": {"id": "m1", "text": "for A"}})
        await publish(tenant_a, "message:new", {"message": {"id": "m2", "text": "for A again"}})
        for _ in range(100):
            if len(received_a) == 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # give a wrongly routed event the time to show up
        assert [e["message"]["id"] for e in received_a] == ["m1", "m2"]
        assert received_a[1]["seq"] == received_a[0]["seq"] + 1
        assert received_b == []
    finally:
        await client_a.disconnect()
        await client_b.disconnect()
