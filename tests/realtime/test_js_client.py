"""The official JavaScript client (`socket.io-client` from npm, as the SPA uses it) against
the gateway: node runs frontend/tests-node/socket-client.mjs, which prints JSON lines."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from api import events
from tests.realtime.conftest import Team

pytestmark = pytest.mark.committing

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SCRIPT = FRONTEND / "tests-node" / "socket-client.mjs"


async def run_node(
    env: dict[str, str], when_joined: Any = None
) -> tuple[int, list[dict[str, Any]]]:
    node = shutil.which("node")
    assert node, "node is needed for this test (the frontend's toolchain)"
    assert (FRONTEND / "node_modules" / "socket.io-client").is_dir(), "run npm ci in frontend/"
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(20):
            while raw := await process.stdout.readline():
                line = json.loads(raw)
                lines.append(line)
                if line["type"] == "joined" and when_joined is not None:
                    await when_joined()
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = await process.stderr.read() if process.stderr else b""
    assert process.returncode is not None
    assert not stderr.strip() or process.returncode != 0, stderr.decode()
    return process.returncode, lines


async def test_the_javascript_client_connects_joins_and_receives_an_event(
    gateway: str, teams: tuple[Team, Team]
) -> None:
    team = teams[0]

    async def publish() -> None:
        await events.publish(team.tenant_id, "message:new", {"message": {"id": "from-python"}})

    code, lines = await run_node(
        {
            "PARLEY_URL": gateway,
            "PARLEY_TOKEN": team.agent.token(),
            "PARLEY_CONVERSATION_ID": str(team.conversation_id),
        },
        when_joined=publish,
    )
    assert code == 0, lines
    by_type = {line["type"]: line for line in lines}
    assert by_type["ready"]["data"]["user_id"] == str(team.agent.user_id)
    assert by_type["joined"]["data"]["ok"] is True
    received = [line for line in lines if line.get("name") == "message:new"]
    assert [line["data"]["message"]["id"] for line in received] == ["from-python"]
    assert received[0]["data"]["seq"] == by_type["ready"]["data"]["seq"] + 1


async def test_the_javascript_client_resumes_and_is_told_why_it_is_refused(
    gateway: str, teams: tuple[Team, Team]
) -> None:
    team = teams[0]
    base = await events.publish(team.tenant_id, "message:new", {"message": {"id": "seen"}})
    await events.publish(team.tenant_id, "message:new", {"message": {"id": "missed"}})
    env = {"PARLEY_URL": gateway, "PARLEY_CONVERSATION_ID": str(team.conversation_id)}

    code, lines = await run_node(
        {**env, "PARLEY_TOKEN": team.agent.token(), "PARLEY_LAST_SEQ": str(base)}
    )
    assert code == 0, lines
    ordered = [line for line in lines if line.get("name") != "presence:changed"]
    assert [line["type"] for line in ordered] == ["event", "ready", "joined"]
    assert ordered[0]["name"] == "message:new"
    assert ordered[0]["data"] == {"seq": (base or 0) + 1, "message": {"id": "missed"}}

    code, lines = await run_node({**env, "PARLEY_TOKEN": "not-a-token"})
    assert code == 2
    assert lines == [{"type": "connect_error", "message": "unauthorized: invalid or expired token"}]
