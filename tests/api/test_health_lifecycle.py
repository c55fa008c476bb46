"""The api process's lifecycle, on the production command (scripts/processes.py):

- SIGTERM: it stops accepting connections at once, lets the requests in flight finish
  (up to uvicorn's graceful timeout), runs its shutdown and exits;
- it never migrates: on a database without this release's schema it starts, answers
  liveness, reports `schema_outdated` on readiness, and becomes ready once the separate
  migrate step has run, without a restart.

Ports 18500-18509.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.storage import Storage
from scripts.processes import GRACEFUL_SHUTDOWN_SECONDS, command
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import messenger_text_payload, signed
from tests.processes import ROOT, Running, accepts_connections, free_port, http_ok, wait_until

PORTS = range(18500, 18510)
STARTUP_SECONDS = 90  # a loaded 2-core machine imports the app in 5-20 s


def _env(**overrides: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO", **overrides}


async def _start_api(tmp_path: Path, **env: str) -> Running:
    api = Running("api", _env(**env), tmp_path, port=free_port(PORTS)).start()
    await wait_until(
        lambda: http_ok(f"{api.url}/api/healthz"), "api liveness", STARTUP_SECONDS, api
    )
    return api


@pytest.fixture
async def api(tmp_path: Path, sessionmaker: object, redis: object) -> AsyncIterator[Running]:
    process = await _start_api(tmp_path)
    try:
        yield process
    finally:
        process.stop()


async def _open_request(
    port: int, body: bytes, headers: dict[str, str], sent: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A POST whose head and first `sent` body bytes are on the wire; the rest is ours to send."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [
        "POST /api/webhooks/meta HTTP/1.1",
        "Host: parley.test",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body[:sent])
    await writer.drain()
    return reader, writer


async def _stored(body: bytes) -> int:
    connection = await asyncpg.connect(TEST_DATABASE_URL.replace("+asyncpg", ""))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM webhook_events WHERE raw_body = $1", body
        )
    finally:
        await connection.close()
    return count


@pytest.mark.committing
async def test_sigterm_finishes_the_request_in_flight_and_refuses_new_ones(api: Running) -> None:
    assert api.port is not None
    body, headers = signed(messenger_text_payload("104000000000777", "psid-1", "slow"))
    # Meta is still sending its body when the deploy stops this replica.
    reader, writer = await _open_request(api.port, body, headers, sent=len(body) // 2)
    await asyncio.sleep(0.5)  # the route is running, waiting for the rest of the body

    api.signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    await wait_until(lambda: not accepts_connections(api.port or 0), "listener closed", 5, api)
    await asyncio.sleep(1.0)
    assert api.alive(), "the api exited with a request in flight"

    writer.write(body[len(body) // 2 :])
    await writer.drain()
    answer = (await asyncio.wait_for(reader.read(), 10)).decode()
    writer.close()
    status_line, _, rest = answer.partition("\r\n")
    assert status_line == "HTTP/1.1 200 OK", answer
    assert "connection: close" in rest.lower()  # no keep-alive while shutting down
    assert await _stored(body) == 1  # acknowledged means stored (DESIGN invariant 2)

    code = await api.wait(GRACEFUL_SHUTDOWN_SECONDS)
    assert time.monotonic() - stopped_at < GRACEFUL_SHUTDOWN_SECONDS
    # uvicorn shuts down cleanly, then re-raises the SIGTERM it caught (exit status 143).
    assert code in (0, -signal.SIGTERM), api.tail()
    output = api.output()
    assert "Application shutdown complete" in output, api.tail()
    assert "Traceback" not in output, api.tail()


@pytest.mark.committing
async def test_an_idle_api_stops_at_once(api: Running) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=5) as http:
        # A keep-alive connection that is idle is closed, not waited for.
        assert (await http.get("/api/healthz")).status_code == 200
        started = time.monotonic()
        api.signal(signal.SIGTERM)
        await api.wait(GRACEFUL_SHUTDOWN_SECONDS)
    assert time.monotonic() - started < GRACEFUL_SHUTDOWN_SECONDS / 2  # not the full grace


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    plain = TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")
    head, _, name = plain.rpartition("/")
    scratch = f"{name}_lifecycle_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{head}/postgres")
    await admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        yield f"{head}/{scratch}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()


async def _tables(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()
    return count


async def test_the_api_never_migrates_and_is_ready_once_the_migrate_step_ran(
    tmp_path: Path, redis: object, storage: Storage, empty_database: str
) -> None:
    api = await _start_api(tmp_path, DATABASE_URL=empty_database)
    try:
        async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
            response = await http.get("/api/readyz")
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "schema_outdated"
            assert response.json()["checks"]["migrations"] == "outdated"
            assert await _tables(empty_database) == 0  # starting did not migrate

            migrate = await asyncio.to_thread(
                subprocess.run,
                command("migrate", python=sys.executable),
                cwd=ROOT, env=_env(DATABASE_URL=empty_database), capture_output=True,
                timeout=120, check=False,
            )  # fmt: skip
            assert migrate.returncode == 0, migrate.stdout + migrate.stderr

            response = await http.get("/api/readyz")
            assert response.status_code == 200, response.text
            assert set(response.json()["checks"].values()) == {"ok"}
    finally:
        api.stop()
