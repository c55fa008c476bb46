"""The realtime gateway's metrics: its socket count goes up and down with real Socket.IO
clients, refused connections are counted by reason, each tenant event is counted once per
gateway however many sockets it reaches, and client events are counted by name. Gateways
served by uvicorn, real Redis and PostgreSQL (the realtime tests' fixtures)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
import socketio

from api import events
from tests.api.observability.test_metrics import sample
from tests.realtime.conftest import Client, Gateway, Team

pytestmark = pytest.mark.committing

Connect = Callable[..., Awaitable[Client]]


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def connections() -> float:
    return sample("parley_socket_connections")


async def test_the_connection_gauge_follows_real_sockets(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    before, accepted = connections(), sample("parley_socket_connects_total", result="accepted")
    first = await clients(gateway, teams[0].agent.token())
    second = await clients(gateway, teams[1].agent.token())
    assert connections() == before + 2
    assert sample("parley_socket_connects_total", result="accepted") == accepted + 2

    await first.close()
    await until(lambda: connections() == before + 1)
    await second.close()
    await until(lambda: connections() == before)


async def test_refused_sockets_are_counted_and_not_connected(gateway: str) -> None:
    before, unauthorized = (
        connections(),
        sample("parley_socket_connects_total", result="unauthorized"),
    )
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            gateway, auth={"token": "not-a-jwt"}, transports=["websocket"], wait_timeout=5
        )
    assert sample("parley_socket_connects_total", result="unauthorized") == unauthorized + 1
    assert connections() == before


async def test_a_tenant_event_counts_once_per_gateway_whatever_its_sockets(
    start_gateway: Callable[[], Awaitable[Gateway]],
    teams: tuple[Team, Team],
    clients: Connect,
) -> None:
    url = (await start_gateway()).url
    team = teams[0]
    sockets = [await clients(url, member.token()) for member in (team.agent, team.agent2)]
    before = sample("parley_socket_events_total", event="message:new", direction="sent")

    await events.publish(team.tenant_id, "message:new", {"message": {"id": "m1"}})

    for socket in sockets:
        await socket.wait_for("message:new")
    assert sample("parley_socket_events_total", event="message:new", direction="sent") == (
        before + 1
    )


async def test_client_events_are_counted_by_name(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    joins = sample("parley_socket_events_total", event="conversation:join", direction="received")
    unknown = sample("parley_socket_events_total", event="unknown", direction="received")
    client = await clients(gateway, team.agent.token())

    answer = await client.call("conversation:join", {"conversation_id": str(team.conversation_id)})
    assert answer["ok"] is True
    await client.sio.emit("made:up-event", {"x": 1})

    assert (
        sample("parley_socket_events_total", event="conversation:join", direction="received")
        == joins + 1
    )
    await until(
        lambda: (
            sample("parley_socket_events_total", event="unknown", direction="received")
            == unknown + 1
        )
    )
    assert sample("parley_socket_events_total", event="made:up-event", direction="received") == 0


async def test_the_gateway_serves_its_metrics(gateway: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{gateway}/metrics")
    assert response.status_code == 200
    assert "parley_socket_connections" in response.text
