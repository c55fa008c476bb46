"""A worker stopped mid-job (a deploy, a scale-in) finishes the job before it exits.

The worker runs as its production command (scripts/processes.py); its Graph API is a
small server in this test that takes its time to answer a send. Without the completion
wait, SIGTERM would cancel the send after Meta had it, and the reply would be left in
`sending` (then marked failed: sending it again could reach the customer twice).

Ports 18530-18539.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.models import MessageStatus
from tests.processes import Running, free_port, serving, wait_until
from tests.worker.test_send_message import queue_reply, stored
from worker.main import JOB_COMPLETION_WAIT_SECONDS

PORTS = range(18530, 18540)
SEND_SECONDS = 4.0  # how long "Meta" takes to answer a send
STARTUP_SECONDS = 90


@dataclass
class SlowGraph:
    """Answers Messenger sends after SEND_SECONDS; anything else (profiles) at once."""

    url: str = ""
    sends: list[str] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)

    async def send(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.sends.append(str(body["message"]["metadata"]))
        await asyncio.sleep(SEND_SECONDS)
        self.answered.append(time.monotonic())
        return JSONResponse({"recipient_id": body["recipient"]["id"], "message_id": "m_slow"})

    async def other(self, request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["rest"], "first_name": "Ana"})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{version}/{page}/messages", self.send, methods=["POST"]),
                Route("/{rest:path}", self.other),
            ]
        )


@pytest.fixture
async def slow_graph() -> AsyncIterator[SlowGraph]:
    graph = SlowGraph()
    async with serving(graph.app(), free_port(PORTS)) as url:
        graph.url = url
        yield graph


@pytest.fixture
async def worker(tmp_path: Path, slow_graph: SlowGraph) -> AsyncIterator[Running]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
        "META_GRAPH_BASE_URL": slow_graph.url,
        "WORKER_HTTP_PORT": str(free_port(range(PORTS.start + 5, PORTS.stop))),
    }
    process = Running("worker", env, tmp_path)
    yield process
    process.stop()


@pytest.mark.committing
async def test_sigterm_lets_the_send_in_flight_finish_and_takes_no_new_job(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: object,
    slow_graph: SlowGraph,
    worker: Running,
) -> None:
    message_id, _ = await queue_reply(client, session, "in flight")  # its send job is queued
    worker.start()
    await wait_until(lambda: slow_graph.sends, "the send reaching Graph", STARTUP_SECONDS, worker)

    worker.signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    # A reply queued after the signal waits for the next worker.
    later_id, _ = await queue_reply(client, session, "after the signal")
    assert worker.alive(), "the worker exited before the job in flight finished"

    code = await worker.wait(JOB_COMPLETION_WAIT_SECONDS + 15)
    assert code == 0, worker.tail()
    assert slow_graph.answered and slow_graph.answered[0] - stopped_at > 0
    assert time.monotonic() - stopped_at < JOB_COMPLETION_WAIT_SECONDS + 10

    sent = await stored(session, message_id)
    assert sent.status is MessageStatus.SENT and sent.external_id == "m_slow", worker.tail()
    assert (await stored(session, later_id)).status is MessageStatus.QUEUED
    assert slow_graph.sends == [message_id]  # one send, and none for the later reply
    assert "Traceback" not in worker.output(), worker.tail()
