"""A gateway stopped by SIGTERM (a deploy, a scale-in), on its production command
(scripts/processes.py): it refuses new connections at once, closes its open sockets with
1012 ("service restart") so clients reconnect to another gateway and resume, and exits
promptly, long before the stop timeout.

Ports 18540-18549.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.processes import Running, accepts_connections, free_port, http_ok, wait_until
from tests.realtime.conftest import Client, Team

pytestmark = pytest.mark.committing

PORTS = range(18540, 18550)
STARTUP_SECONDS = 90


@pytest.fixture
async def gateway(tmp_path: Path, redis: object) -> AsyncIterator[Running]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO"}
    process = Running("realtime", env, tmp_path, port=free_port(PORTS)).start()
    try:
        await wait_until(
            lambda: http_ok(f"{process.url}/realtime/readyz"), "gateway ready", STARTUP_SECONDS,
            process,
        )  # fmt: skip
        yield process
    finally:
        process.stop()


async def test_sigterm_closes_sockets_so_clients_move_and_exits_promptly(
    gateway: Running,
    teams: tuple[Team, Team],
    clients: Callable[..., Awaitable[Client]],
) -> None:
    client = await clients(gateway.url, teams[0].agent.token())

    gateway.signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    await client.wait_disconnected(within=5)
    assert not accepts_connections(gateway.port or 0)

    code = await gateway.wait(15)
    assert time.monotonic() - stopped_at < 10  # no waiting on open sockets
    assert code in (0, -signal.SIGTERM), gateway.tail()  # uvicorn re-raises the SIGTERM
    output = gateway.output()
    assert "Application shutdown complete" in output, gateway.tail()
    assert "Traceback" not in output, gateway.tail()
