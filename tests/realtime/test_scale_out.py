"""Scale-out: two realtime gateways, two api processes and two webhook workers, each its
own OS process, on a private PostgreSQL and Redis (tests/reliability/harness.py). Clients
on both gateways must receive every event once, whichever api or worker caused it, in one
gap-free order."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from api.auth.tokens import create_access_token
from api.config import AuthSettings
from api.models import Role, User
from tests.realtime.conftest import Client
from tests.reliability.harness import (
    APP_SECRET,
    JWT_SECRET,
    PYTHON,
    VERIFY_TOKEN,
    WEBHOOK_PATH,
    ChannelRef,
    InboundSpec,
    PrivatePostgres,
    PrivateRedis,
    Proc,
    free_port,
    messenger_body,
    seed_channels,
    sign,
    tail,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
DELIVERIES = 40
TENANT_EVENTS = {"message:new", "message:updated", "conversation:updated", "channel:updated"}
CONCURRENCY = 8
_OWNED_PREFIXES = (
    "DATABASE_", "REDIS_", "META_", "AUTH_", "ENCRYPTION_", "STORAGE_", "R2_", "WEBHOOK_",
    "REALTIME_", "TEST_",
)  # fmt: skip


@dataclass
class Cluster:
    base: Path
    pg: PrivatePostgres
    redis: PrivateRedis
    encryption_key: str = field(default_factory=lambda: base64.b64encode(os.urandom(32)).decode())
    env: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.pg.url("parley")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str, args: list[str]) -> Proc:
        proc = Proc(name, args, self.env, self.base / f"{name}.log")
        proc.start()
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{tail(p.logfile, 20)}" for p in self.procs)

    def stop(self) -> None:
        def stop(proc: Proc) -> None:
            with suppress(Exception):
                proc.stop()

        with ThreadPoolExecutor(max_workers=len(self.procs) or 1) as pool:
            list(pool.map(stop, self.procs))
        self.redis.cleanup()
        self.pg.cleanup()
        shutil.rmtree(self.base, ignore_errors=True)


def _env(cluster: Cluster) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWNED_PREFIXES)}
    env.update(
        ENVIRONMENT="test",
        DATABASE_URL=cluster.database_url,
        DATABASE_POOL_SIZE="4",
        REDIS_URL=cluster.redis.url,
        META_APP_SECRET=APP_SECRET,
        META_VERIFY_TOKEN=VERIFY_TOKEN,
        META_GRAPH_BASE_URL=f"http://127.0.0.1:{free_port()}",  # no Graph calls needed
        META_GRAPH_TIMEOUT_SECONDS="1",
        AUTH_JWT_SECRET=JWT_SECRET,
        ENCRYPTION_KEYS=f"rt:{cluster.encryption_key}",
        ENCRYPTION_ACTIVE_KEY_ID="rt",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    return env


async def _migrate(cluster: Cluster) -> None:
    admin = await asyncpg.connect(cluster.pg.url("postgres"))
    try:
        await admin.execute('CREATE DATABASE "parley"')
    finally:
        await admin.close()
    done = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "alembic", "upgrade", "head",
        env=cluster.env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await done.communicate()
    assert done.returncode == 0, output.decode()


def _ready(cluster: Cluster) -> bool:
    for proc in cluster.procs:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{tail(proc.logfile)}")
    for name, path in (
        ("api-1", "/api/healthz"),
        ("api-2", "/api/healthz"),
        ("realtime-1", "/realtime/healthz"),
        ("realtime-2", "/realtime/healthz"),
    ):
        if httpx.get(cluster.url(name) + path, timeout=1).status_code != 200:
            return False
    return all(
        "Starting worker" in p.logfile.read_text(errors="replace")
        for p in cluster.procs
        if p.name.startswith("worker")
    )


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    base = Path(tempfile.mkdtemp(prefix="parley-scale-out-"))
    os.chmod(base, 0o755)  # noqa: S103 - the postgres system user must reach its directory
    cluster = Cluster(base, PrivatePostgres(base, fsync=False), PrivateRedis(base))
    try:
        await asyncio.to_thread(cluster.pg.init)
        await asyncio.to_thread(cluster.pg.start)
        await asyncio.to_thread(cluster.redis.start)
        cluster.env = _env(cluster)
        await _migrate(cluster)
        uvicorn = [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--log-level", "warning"]
        for n in (1, 2):
            for name, app in (
                ("api", "api.main:create_app"),
                ("realtime", "realtime.main:create_app"),
            ):
                port = cluster.ports[f"{name}-{n}"] = free_port()
                cluster.start(f"{name}-{n}", [*uvicorn, "--port", str(port), "--factory", app])
            cluster.start(f"worker-{n}", [PYTHON, "-m", "arq", "worker.main.WebhookWorkerSettings"])
        try:
            # ~20 s on an idle 2-core machine; more room when `make test` runs beside it.
            await asyncio.to_thread(wait_until, lambda: _ready(cluster), "the cluster", 120, 0.2)
        except (TimeoutError, RuntimeError) as exc:
            raise AssertionError(f"{exc}\n{cluster.logs()}") from exc
        yield cluster
    finally:
        await asyncio.to_thread(cluster.stop)


@dataclass(frozen=True)
class Seeded:
    page: ChannelRef
    agents: tuple[uuid.UUID, uuid.UUID]


async def _seed(cluster: Cluster) -> Seeded:
    refs = await seed_channels(cluster.database_url, cluster.encryption_key, tenants=1)
    page = next(ref for ref in refs if ref.kind == "messenger")
    engine = create_async_engine(
        cluster.database_url.replace("postgresql://", "postgresql+asyncpg://")
    )
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            agents = [
                User(
                    id=uuid.uuid4(),
                    tenant_id=page.tenant_id,
                    email=f"agent{n}@scale-out.example.com",
                    password_hash="unused: tokens are minted",
                    name=f"Agent {n}",
                    role=Role.AGENT,
                )
                for n in (1, 2)
            ]
            session.add_all(agents)
            await session.commit()
            return Seeded(page, (agents[0].id, agents[1].id))
    finally:
        await engine.dispose()


def _token(seeded: Seeded, user_id: uuid.UUID) -> str:
    return create_access_token(
        AuthSettings(jwt_secret=JWT_SECRET), user_id=user_id, tenant_id=seeded.page.tenant_id,
        role=Role.AGENT,
    )  # fmt: skip


async def _connect(url: str, token: str) -> Client:
    client = Client()
    await client.sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    await client.wait_for("session:ready")
    return client


async def _deliver(cluster: Cluster, page: ChannelRef) -> list[str]:
    """Signed deliveries, alternately to each api process; returns the message ids."""
    started = int(time.time()) - 60
    mids = [f"m_scale_{n:03d}_{uuid.uuid4().hex[:8]}" for n in range(DELIVERIES)]
    limit = asyncio.Semaphore(CONCURRENCY)

    async def post(http: httpx.AsyncClient, n: int) -> None:
        spec = InboundSpec(page, f"psid-{n % 5}", mids[n], started + n, f"hello {n}")
        body = messenger_body(page.external_id, [spec])
        headers = {"X-Hub-Signature-256": sign(body), "Content-Type": "application/json"}
        async with limit:
            response = await http.post(
                cluster.url(f"api-{n % 2 + 1}") + WEBHOOK_PATH, content=body, headers=headers
            )
        assert response.status_code == 200, response.text

    async with httpx.AsyncClient(timeout=10) as http:
        await asyncio.gather(*(post(http, n) for n in range(DELIVERIES)))
    return mids


async def test_clients_on_both_gateways_receive_every_event_once(cluster: Cluster) -> None:
    seeded = await _seed(cluster)
    tokens = [_token(seeded, agent) for agent in seeded.agents]
    clients: list[Client] = []
    try:
        for gateway in ("realtime-1", "realtime-2"):  # both agents on each gateway
            clients += [await _connect(cluster.url(gateway), token) for token in tokens]
        mids = await _deliver(cluster, seeded.page)
        for client in clients:
            await client.wait_for("message:new", count=DELIVERIES, within=30)

        # Changes made through each api process reach everyone too.
        conversations = sorted(
            {e["message"]["conversation_id"] for e in clients[0].named("message:new")}
        )
        async with httpx.AsyncClient(timeout=10) as http:
            for n, (conversation_id, status) in enumerate(
                zip(conversations[:2], ("pending", "resolved"), strict=True)
            ):
                response = await http.patch(
                    f"{cluster.url(f'api-{n + 1}')}/api/inbox/conversations/{conversation_id}",
                    json={"status": status},
                    headers={"Authorization": f"Bearer {tokens[n]}"},
                )
                assert response.status_code == 200, response.text
        for client in clients:
            for status in ("pending", "resolved"):
                await _wait_status(client, status)
        await asyncio.sleep(0.5)  # time for a duplicate to show up

        orders = set()
        for client in clients:
            received = Counter(e["message"]["external_id"] for e in client.named("message:new"))
            assert received == Counter(dict.fromkeys(mids, 1)), received
            ready = client.named("session:ready")[0]["seq"]
            assert client.seqs() == list(range(ready + 1, ready + 1 + len(client.seqs())))
            orders.add(tuple((e, d["seq"]) for e, d in client.events if e in TENANT_EVENTS))
        assert len(orders) == 1  # the same events, in the same order, on every client
        logs = {p.name: p.logfile.read_text(errors="replace") for p in cluster.procs}
        for name in ("worker-1", "worker-2"):  # both processed deliveries, so caused events
            assert "webhooks.process_event" in logs[name], cluster.logs()
        assert not [name for name, text in logs.items() if "Traceback" in text], cluster.logs()
    finally:
        for client in clients:
            await client.close()


async def _wait_status(client: Client, status: str, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not any(
        e["conversation"]["status"] == status for e in client.named("conversation:updated")
    ):
        if time.monotonic() > deadline:
            raise AssertionError(f"no conversation:updated with status {status}")
        await asyncio.sleep(0.05)
    matching = [
        e for e in client.named("conversation:updated") if e["conversation"]["status"] == status
    ]
    assert len({e["seq"] for e in matching}) == len(matching)  # no event twice
