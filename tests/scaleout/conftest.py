"""A scaled-out Parley on one machine, every process on its production command
(scripts/processes.py): metasim, two api, two realtime gateways, two workers and two
webhook workers, on the machine's PostgreSQL (database `parley_scaleout`, recreated) and
Redis (index 12, flushed), with SeaweedFS as the object store so every process can be
ready. The migration runs as its own step first, as in a release; the demo tenant is
seeded with `python -m api.cli seed-demo --metasim` (a Messenger page and a WhatsApp
number, known to metasim). Loopback only; ports 18550-18569; every process started here
is stopped by its own id at the end, whatever happened.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from scripts.processes import command
from scripts.seaweed import SeaweedFS, env_for
from tests.processes import ROOT, Running, free_port, http_ok, wait_until

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "parley_scaleout"
REDIS_URL = "redis://127.0.0.1:6379/12"
PORTS = range(18550, 18570)
APP_SECRET = "scaleout-app-secret-4d1e"
JWT_SECRET = "scaleout-jwt-secret-0123456789abcdef-0123"
DEMO_EMAIL = "demo@parley.dev"
DEMO_PASSWORD = "parley-demo"
DEMO_PAGE_ID = "104000000000001"
DEMO_WA_NUMBER_ID = "109000000000001"
DEMO_WABA_ID = "110000000000001"
DEMO_WA_DISPLAY = "15550100"
REPLICAS = 2
# 2 cores shared with the rest of `make test`: ten Python processes importing at once.
READY_SECONDS = 180
# Each process's own pool: 8 processes stay far below PostgreSQL's 100 connections.
POOL = {"DATABASE_POOL_SIZE": "3", "DATABASE_MAX_OVERFLOW": "3"}
# What the processes need from the caller's environment (the rest is set here).
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


@dataclass
class Cluster:
    base: Path
    env: dict[str, str]
    metasim: Running
    apis: list[Running] = field(default_factory=list)
    gateways: list[Running] = field(default_factory=list)
    workers: list[Running] = field(default_factory=list)  # `worker` and `webhook-worker`
    worker_ports: dict[str, int] = field(default_factory=dict)
    seaweed: SeaweedFS | None = None

    @property
    def processes(self) -> list[Running]:
        return [self.metasim, *self.apis, *self.gateways, *self.workers]

    @property
    def database_url(self) -> str:
        return f"{POSTGRES}/{DATABASE}"

    def worker_url(self, worker: Running) -> str:
        return f"http://127.0.0.1:{self.worker_ports[worker.name]}"

    def logs(self, lines: int = 25) -> str:
        return "\n".join(process.tail(lines) for process in self.processes)

    def stop(self) -> None:
        """SIGTERM everything at once (each waits for its own graceful shutdown)."""
        started = [process for process in self.processes if process.popen is not None]
        with ThreadPoolExecutor(max_workers=len(started) or 1) as pool:
            list(pool.map(lambda process: process.stop(timeout=40), started))
        if self.seaweed is not None:
            self.seaweed.stop()


async def _recreate_database() -> None:
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()


async def _drop_database() -> None:
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()


async def _flush_redis() -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def _run(argv: Sequence[str], env: dict[str, str], what: str) -> str:
    done = await asyncio.to_thread(
        subprocess.run, list(argv), cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{what} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _environment(ports: dict[str, int], seaweed: SeaweedFS) -> dict[str, str]:
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(
        ENVIRONMENT="development",  # seed-demo runs only there
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
        DATABASE_URL=f"{POSTGRES}/{DATABASE}",
        REDIS_URL=REDIS_URL,
        META_APP_SECRET=APP_SECRET,
        META_VERIFY_TOKEN="scaleout-verify-token",
        META_GRAPH_BASE_URL=f"http://127.0.0.1:{ports['metasim']}",
        META_GRAPH_TIMEOUT_SECONDS="10",
        AUTH_JWT_SECRET=JWT_SECRET,
        # metasim's own echoes, receipts and statuses go to the second api (customers'
        # messages are spread over both by the test).
        METASIM_WEBHOOK_URL=f"http://127.0.0.1:{ports['api-2']}/api/webhooks/meta",
        **POOL,
        **env_for(seaweed, "parley-scaleout"),
    )
    return env


def _ports(names: Sequence[str]) -> dict[str, int]:
    """A free port of PORTS for each name, in order."""
    ports: dict[str, int] = {}
    start = PORTS.start
    for name in names:
        ports[name] = free_port(range(start, PORTS.stop))
        start = ports[name] + 1
    return ports


HTTP = ("metasim", "s3", *(f"{kind}-{n}" for kind in ("api", "realtime") for n in (1, 2)))
WORKERS = {"worker": "WORKER_HTTP_PORT", "webhook-worker": "WEBHOOK_WORKER_HTTP_PORT"}


@asynccontextmanager
async def running_cluster() -> AsyncIterator[Cluster]:
    """Start everything (the migration step first), yield, then stop all of it."""
    base = Path(tempfile.mkdtemp(prefix="parley-scaleout-"))
    ports = _ports([*HTTP, *(f"{kind}-{n}" for kind in WORKERS for n in (1, 2))])
    seaweed = SeaweedFS(base / "seaweed", ports["s3"])
    env = _environment(ports, seaweed)
    cluster = Cluster(base, env, Running("metasim", env, base, port=ports["metasim"]))
    started = time.monotonic()
    try:
        await asyncio.gather(_recreate_database(), _flush_redis())
        await asyncio.to_thread(seaweed.start)
        cluster.seaweed = seaweed
        # A release: the migration step, then the processes (never the other way round).
        await _run(command("migrate", python=sys.executable), env, "migrate")
        await _run([sys.executable, "-m", "api.cli", "storage-setup"], env, "storage-setup")
        cluster.metasim.start()
        for n in range(1, REPLICAS + 1):
            for kind, into in (("api", cluster.apis), ("realtime", cluster.gateways)):
                name = f"{kind}-{n}"
                into.append(Running(name, env, base, process=kind, port=ports[name]).start())
            for kind, setting in WORKERS.items():
                name = f"{kind}-{n}"
                cluster.worker_ports[name] = ports[name]
                worker = Running(name, {**env, setting: str(ports[name])}, base, process=kind)
                cluster.workers.append(worker.start())
        await _wait_ready(cluster)
        await _run(
            [sys.executable, "-m", "api.cli", "seed-demo", "--metasim", cluster.metasim.url],
            env,
            "seed-demo",
        )
        print(f"\n[scaleout] {len(cluster.processes)} processes ready in "
              f"{time.monotonic() - started:.1f}s (logs in {base})")  # fmt: skip
        yield cluster
    finally:
        await asyncio.to_thread(cluster.stop)
        await _flush_redis()
        await _drop_database()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
async def cluster() -> AsyncIterator[Cluster]:
    async with running_cluster() as running:
        yield running


async def _wait_ready(cluster: Cluster) -> None:
    """Every process ready: readiness (not just liveness) of each HTTP process and worker."""
    urls = [f"{cluster.metasim.url}/_sim/healthz"]
    urls += [f"{api.url}/api/readyz" for api in cluster.apis]
    urls += [f"{gateway.url}/realtime/readyz" for gateway in cluster.gateways]
    urls += [f"{cluster.worker_url(worker)}/readyz" for worker in cluster.workers]

    async def all_ready() -> bool:
        return all(await asyncio.gather(*(http_ok(url) for url in urls)))

    await wait_until(all_ready, "every process ready", READY_SECONDS, *cluster.processes)


async def login(api: Running) -> str:
    async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
        response = await http.post(
            "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
