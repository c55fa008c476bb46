"""The gateway's doors: who may connect, which rooms a socket may join, what a viewer may
not do, and how a session ends (token expiry, refresh, removal)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import socketio
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import events
from api.db import unit_of_work
from api.models import User
from tests.realtime.conftest import Client, Team

pytestmark = pytest.mark.committing

Connect = Callable[..., Awaitable[Client]]


async def refused(url: str, auth: dict[str, Any] | None) -> str:
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert not client.connected
    assert errors
    return str(errors[0])


@pytest.mark.parametrize("auth", [None, {}, {"token": ""}, {"token": "not-a-jwt"}, {"token": 42}])
async def test_sockets_without_a_valid_token_are_refused(
    gateway: str, auth: dict[str, Any] | None
) -> None:
    assert "unauthorized" in await refused(gateway, auth)


async def test_an_expired_token_is_refused(gateway: str, teams: tuple[Team, Team]) -> None:
    assert "unauthorized" in await refused(gateway, {"token": teams[0].agent.token(seconds=-5)})


async def test_a_token_of_a_removed_user_is_refused(
    gateway: str, teams: tuple[Team, Team], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = teams[0].agent2.token()
    async with sessionmaker() as session:
        await session.execute(delete(User).where(User.id == teams[0].agent2.user_id))
        await session.commit()
    assert "unauthorized" in await refused(gateway, {"token": token})


async def test_session_ready_says_who_and_where(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    client = await clients(gateway, team.viewer.token())
    (ready,) = client.named("session:ready")
    assert ready["user_id"] == str(team.viewer.user_id)
    assert ready["tenant_id"] == str(team.tenant_id)
    assert ready["role"] == "viewer"
    assert isinstance(ready["seq"], int)
    assert ready["presence"] == {str(team.viewer.user_id): "online"}
    assert "seq" not in client.events[0][1] or client.events[0][0] == "session:ready"


async def test_events_reach_only_the_tenants_own_sockets(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    acme, globex = teams
    client_a = await clients(gateway, acme.agent.token())
    client_b = await clients(gateway, globex.agent.token())
    first = await events.publish(acme.tenant_id, "message:new", {"message": {"id": "m1"}})
    await events.publish(acme.tenant_id, "message:new", {"message": {"id": "m2"}})
    received = await client_a.wait_for("message:new", count=2)
    await asyncio.sleep(0.2)  # give a wrongly routed event the time to show up
    assert [e["message"]["id"] for e in received] == ["m1", "m2"]
    assert [e["seq"] for e in received] == [first, (first or 0) + 1]
    assert client_b.named("message:new") == []


async def test_an_event_of_a_rolled_back_transaction_is_never_emitted(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    client = await clients(gateway, team.agent.token())
    with pytest.raises(RuntimeError):
        async with unit_of_work() as session:
            events.emit(session, team.tenant_id, "message:new", {"message": {"id": "ghost"}})
            raise RuntimeError("the work fails after emitting")
    async with unit_of_work() as session:
        events.emit(session, team.tenant_id, "message:new", {"message": {"id": "real"}})
    (received,) = await client.wait_for("message:new")
    await asyncio.sleep(0.2)
    assert [e["message"]["id"] for e in client.named("message:new")] == ["real"]
    assert received["seq"] == client.named("session:ready")[0]["seq"] + 1  # no number spent


def test_emit_refuses_a_payload_that_is_not_json() -> None:
    class Session:
        info: dict[str, Any] = {}

    with pytest.raises(TypeError):
        events.emit(Session(), uuid.uuid4(), "message:new", {"at": object()})  # type: ignore[arg-type]
    assert Session.info == {}


# --- rooms -----------------------------------------------------------------------------


async def test_a_socket_joins_its_own_tenants_conversation(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    client = await clients(gateway, team.agent.token())
    answer = await client.call("conversation:join", {"conversation_id": str(team.conversation_id)})
    assert answer == {
        "ok": True,
        "viewers": [{"user_id": str(team.agent.user_id), "name": team.agent.name, "typing": False}],
    }


async def test_a_socket_cannot_join_another_tenants_conversation(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    acme, globex = teams
    intruder = await clients(gateway, globex.agent.token())
    watcher = await clients(gateway, acme.agent.token())
    await watcher.call("conversation:join", {"conversation_id": str(acme.conversation_id)})

    foreign = await intruder.call(
        "conversation:join", {"conversation_id": str(acme.conversation_id)}
    )
    missing = await intruder.call("conversation:join", {"conversation_id": str(uuid.uuid4())})
    assert foreign["ok"] is False and foreign["error"] == "not_found"
    assert {k: v for k, v in missing.items() if k != "detail"} == {
        k: v for k, v in foreign.items() if k != "detail"
    }  # a foreign id and a missing one answer alike
    await asyncio.sleep(0.2)
    for hint in watcher.named("conversation:viewers"):  # the watcher's own join; nobody else
        assert [v["user_id"] for v in hint["viewers"]] == [str(acme.agent.user_id)]
    typing = await intruder.call("typing:start", {"conversation_id": str(acme.conversation_id)})
    assert typing["error"] == "forbidden"


@pytest.mark.parametrize(
    "payload", [None, "x", {}, {"conversation_id": 7}, {"conversation_id": "not-a-uuid"}]
)
async def test_a_malformed_join_is_refused_with_a_reason(
    gateway: str, teams: tuple[Team, Team], clients: Connect, payload: Any
) -> None:
    client = await clients(gateway, teams[0].agent.token())
    answer = await client.call("conversation:join", payload)
    assert answer["ok"] is False
    assert answer["error"] == "invalid_request"
    assert answer["detail"]


async def test_a_viewer_receives_events_but_cannot_type(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    conversation = {"conversation_id": str(team.conversation_id)}
    agent = await clients(gateway, team.agent.token())
    viewer = await clients(gateway, team.viewer.token())
    assert (await viewer.call("conversation:join", conversation))["ok"] is True
    await agent.call("conversation:join", conversation)

    answer = await viewer.call("typing:start", conversation)
    assert answer["ok"] is False and answer["error"] == "forbidden"
    assert (await viewer.call("typing:stop", conversation))["error"] == "forbidden"
    await events.publish(team.tenant_id, "conversation:updated", {"conversation": {"id": "c"}})
    await viewer.wait_for("conversation:updated")
    await asyncio.sleep(0.2)
    assert agent.named("typing:start") == []


async def test_an_agent_must_join_before_typing(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    agent = await clients(gateway, team.agent.token())
    other = await clients(gateway, team.agent2.token())
    answer = await agent.call("typing:start", {"conversation_id": str(team.conversation_id)})
    assert answer["error"] == "forbidden"
    await asyncio.sleep(0.2)
    assert other.named("typing:start") == []


# --- how sessions end ------------------------------------------------------------------


async def test_a_socket_is_disconnected_when_its_token_expires(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    client = await clients(gateway, team.agent.token(seconds=2))
    await client.wait_disconnected(within=6)
    assert client.named("session:expired") == [{}]


async def test_a_refreshed_token_keeps_the_socket(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    client = await clients(gateway, team.agent.token(seconds=2))
    assert (await client.call("auth:refresh", {"token": "garbage"}))["error"] == "unauthorized"
    another_user = await client.call("auth:refresh", {"token": team.agent2.token()})
    assert another_user["ok"] is False and another_user["error"] == "forbidden"
    assert await client.call("auth:refresh", {"token": team.agent.token()}) == {"ok": True}
    await asyncio.sleep(3)
    assert client.sio.connected
    assert client.named("session:expired") == []
    await events.publish(team.tenant_id, "message:new", {"message": {"id": "after"}})
    await client.wait_for("message:new")


async def test_disconnect_user_ends_that_users_sockets_on_every_gateway(
    start_gateway: Callable[[], Awaitable[Any]], teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    one, two = await start_gateway(), await start_gateway()
    removed_here = await clients(one.url, team.agent2.token())
    removed_there = await clients(two.url, team.agent2.token())
    colleague = await clients(one.url, team.agent.token())
    await events.disconnect_user(team.agent2.user_id)
    await removed_here.wait_disconnected()
    await removed_there.wait_disconnected()
    assert removed_here.named("session:revoked") == [{}]
    await asyncio.sleep(0.2)
    assert colleague.sio.connected
