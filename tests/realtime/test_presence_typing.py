"""Presence, typing and who is viewing, across gateways (shared through Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from api.redis import get_redis
from realtime.state import SharedState, Status
from tests.realtime.conftest import Client, Team

pytestmark = pytest.mark.committing

Connect = Callable[..., Awaitable[Client]]
StartGateway = Callable[[], Awaitable[Any]]


def statuses(client: Client, user_id: uuid.UUID) -> list[str]:
    return [e["status"] for e in client.named("presence:changed") if e["user_id"] == str(user_id)]


async def settle() -> None:
    await asyncio.sleep(0.25)


async def test_presence_follows_a_users_sockets_across_gateways(
    start_gateway: StartGateway, teams: tuple[Team, Team], clients: Connect
) -> None:
    acme, globex = teams
    one, two = await start_gateway(), await start_gateway()
    watcher = await clients(one.url, acme.agent.token())
    outsider = await clients(one.url, globex.agent.token())

    tab = await clients(one.url, acme.agent2.token())
    await watcher.wait_for("presence:changed", user_id=str(acme.agent2.user_id))
    phone = await clients(two.url, acme.agent2.token())
    assert await tab.call("presence:set", {"status": "away"}) == {"ok": True}
    await settle()
    assert statuses(watcher, acme.agent2.user_id) == ["online"]  # the phone is still active
    assert await phone.call("presence:set", {"status": "away"}) == {"ok": True}
    await watcher.wait_for("presence:changed", status="away")

    newcomer = await clients(two.url, acme.viewer.token())
    assert newcomer.named("session:ready")[0]["presence"] == {
        str(acme.agent.user_id): "online",
        str(acme.agent2.user_id): "away",
        str(acme.viewer.user_id): "online",
    }

    await phone.call("presence:set", {"status": "online"})
    await watcher.wait_for("presence:changed", status="online", count=2)
    await phone.close()  # the tab that is left is away
    await watcher.wait_for("presence:changed", status="away", count=2)
    await tab.close()
    await watcher.wait_for("presence:changed", status="offline")
    assert statuses(watcher, acme.agent2.user_id) == ["online", "away", "online", "away", "offline"]
    await settle()
    acme_users = {str(m.user_id) for m in (acme.agent, acme.agent2, acme.viewer)}
    assert [e for e in outsider.named("presence:changed") if e["user_id"] in acme_users] == []


@pytest.mark.parametrize("payload", [None, {}, {"status": "busy"}, {"status": 1}])
async def test_presence_set_refuses_an_unknown_status(
    gateway: str, teams: tuple[Team, Team], clients: Connect, payload: Any
) -> None:
    client = await clients(gateway, teams[0].agent.token())
    answer = await client.call("presence:set", payload)
    assert answer["ok"] is False and answer["error"] == "invalid_request"


async def test_typing_reaches_the_others_of_the_tenant_on_every_gateway_and_stops_by_itself(
    start_gateway: StartGateway,
    teams: tuple[Team, Team],
    clients: Connect,
    realtime_settings: Callable[..., None],
) -> None:
    realtime_settings(REALTIME_TYPING_TIMEOUT_SECONDS="1")
    acme, globex = teams
    one, two = await start_gateway(), await start_gateway()
    conversation = {"conversation_id": str(acme.conversation_id)}
    typist = await clients(one.url, acme.agent.token())
    reader = await clients(two.url, acme.agent2.token())  # in the conversation
    lister = await clients(two.url, acme.viewer.token())  # on the list view only
    outsider = await clients(one.url, globex.agent.token())
    await typist.call("conversation:join", conversation)
    await reader.call("conversation:join", conversation)

    assert await typist.call("typing:start", conversation) == {"ok": True}
    expected = {
        "conversation_id": str(acme.conversation_id),
        "user_id": str(acme.agent.user_id),
        "name": acme.agent.name,
    }
    assert await reader.wait_for("typing:start") == [expected]
    assert await lister.wait_for("typing:start") == [expected]
    hint = await reader.wait_for("conversation:viewers", count=2)  # joins, then typing
    assert {v["user_id"]: v["typing"] for v in hint[-1]["viewers"]} == {
        str(acme.agent.user_id): True,
        str(acme.agent2.user_id): False,
    }
    assert await typist.call("typing:start", conversation) == {"ok": True}  # still typing

    assert await reader.wait_for("typing:stop", within=3) == [expected]  # after ~1 s
    await lister.wait_for("typing:stop")
    assert len(reader.named("typing:start")) == 1
    assert typist.named("typing:start") == []  # never its own start; the timeout is for all
    assert outsider.named("typing:start") == []


async def test_a_typist_who_keeps_typing_is_announced_again(
    start_gateway: StartGateway,
    teams: tuple[Team, Team],
    clients: Connect,
    realtime_settings: Callable[..., None],
) -> None:
    """Clients hide an indicator that is not renewed; each renewal that reaches Redis (at
    most one per socket every third of the timeout) is broadcast, the viewer list is not."""
    realtime_settings(REALTIME_TYPING_TIMEOUT_SECONDS="3")
    acme, _ = teams
    gateway = await start_gateway()
    conversation = {"conversation_id": str(acme.conversation_id)}
    typist = await clients(gateway.url, acme.agent.token())
    reader = await clients(gateway.url, acme.agent2.token())
    await typist.call("conversation:join", conversation)
    await reader.call("conversation:join", conversation)

    assert await typist.call("typing:start", conversation) == {"ok": True}
    await reader.wait_for("typing:start")
    viewers_after_first = len(await reader.wait_for("conversation:viewers", count=2))
    await asyncio.sleep(1.2)  # past a third of the timeout: the renewal reaches Redis
    assert await typist.call("typing:start", conversation) == {"ok": True}

    assert len(await reader.wait_for("typing:start", count=2)) == 2
    assert reader.named("typing:stop") == []
    assert len(reader.named("conversation:viewers")) == viewers_after_first


async def test_typing_stop_and_leaving_end_the_indicator(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    conversation = {"conversation_id": str(team.conversation_id)}
    typist = await clients(gateway, team.agent.token())
    reader = await clients(gateway, team.agent2.token())
    await typist.call("conversation:join", conversation)
    await typist.call("typing:start", conversation)
    await reader.wait_for("typing:start")
    assert await typist.call("typing:stop", conversation) == {"ok": True}
    await reader.wait_for("typing:stop")

    await typist.call("typing:start", conversation)
    await reader.wait_for("typing:start", count=2)
    assert await typist.call("conversation:leave", conversation) == {"ok": True}
    await reader.wait_for("typing:stop", count=2)
    assert (await typist.call("typing:start", conversation))["error"] == "forbidden"


async def test_viewers_are_announced_to_the_conversation_when_they_change(
    start_gateway: StartGateway, teams: tuple[Team, Team], clients: Connect
) -> None:
    team = teams[0]
    one, two = await start_gateway(), await start_gateway()
    conversation = {"conversation_id": str(team.conversation_id)}
    ana = await clients(one.url, team.agent.token())
    ben = await clients(two.url, team.agent2.token())
    elsewhere = await clients(two.url, team.viewer.token())  # not in the conversation

    first = await ana.call("conversation:join", conversation)
    assert [v["user_id"] for v in first["viewers"]] == [str(team.agent.user_id)]
    second = await ben.call("conversation:join", conversation)
    both = [
        {"user_id": str(team.agent.user_id), "name": team.agent.name, "typing": False},
        {"user_id": str(team.agent2.user_id), "name": team.agent2.name, "typing": False},
    ]
    assert second == {"ok": True, "viewers": both}
    await ana.wait_for("conversation:viewers", viewers=both)

    await ben.close()  # a disconnect leaves every conversation
    await ana.wait_for("conversation:viewers", count=2, viewers=both[:1])
    await settle()
    assert elsewhere.named("conversation:viewers") == []


async def test_a_dead_gateways_sockets_go_offline_when_its_lease_runs_out(
    gateway: str, teams: tuple[Team, Team], clients: Connect
) -> None:
    """A gateway killed outright never says goodbye: its lease in Redis expires and the
    live gateways' sweep takes its sockets away (presence, viewers, typing)."""
    team = teams[0]
    watcher = await clients(gateway, team.agent.token())
    await watcher.call("conversation:join", {"conversation_id": str(team.conversation_id)})

    dead = SharedState(get_redis(), "gateway-that-dies")
    assert await dead.heartbeat(lease_ms=600) is True
    await dead.open_socket(
        "sid-on-dead", team.tenant_id, team.agent2.user_id, team.agent2.name, Status.ONLINE
    )
    assert await dead.join("sid-on-dead", team.conversation_id) is not None
    assert await dead.typing_start("sid-on-dead", team.conversation_id, timeout_ms=60_000)
    await watcher.wait_for("presence:changed", user_id=str(team.agent2.user_id), status="online")
    await watcher.wait_for("typing:start")

    # No more heartbeats: ~0.6 s later the lease is gone, and within a sweep so are they.
    await watcher.wait_for("presence:changed", status="offline", within=3)
    await watcher.wait_for("typing:stop")
    last = watcher.named("conversation:viewers")[-1]
    assert [v["user_id"] for v in last["viewers"]] == [str(team.agent.user_id)]
    assert await get_redis().zscore("parley:rt:gw", "gateway-that-dies") is None


async def test_a_gateway_puts_its_sockets_back_when_redis_forgot_them(
    start_gateway: StartGateway,
    teams: tuple[Team, Team],
    clients: Connect,
    realtime_settings: Callable[..., None],
) -> None:
    realtime_settings(REALTIME_GATEWAY_LEASE_SECONDS="0.6")
    team = teams[0]
    url = (await start_gateway()).url
    ana = await clients(url, team.agent.token())
    await ana.call("conversation:join", {"conversation_id": str(team.conversation_id)})
    await get_redis().flushdb()  # Redis restarted empty

    await asyncio.sleep(0.6)  # the next heartbeat finds the gateway unknown
    presence = SharedState(get_redis(), "probe")
    assert await presence.presence(team.tenant_id) == {str(team.agent.user_id): "online"}
    ben = await clients(url, team.agent2.token())
    again = await ben.call("conversation:join", {"conversation_id": str(team.conversation_id)})
    assert {v["user_id"] for v in again["viewers"]} == {
        str(team.agent.user_id),
        str(team.agent2.user_id),
    }
