"""End to end: a signed webhook delivery posted to the api until its `message:new` reaches
a connected Socket.IO client, at a steady rate and under a burst.

    .venv/bin/python bench/e2e.py [--rate 200 --seconds 20 --burst 1000 --sockets 1
                                   --webhook-workers 1]

Uses the machine's PostgreSQL (its own database `parley_bench_e2e`, dropped, created and
migrated with the project's `migrate` command) and Redis (index 5, flushed before and
after). Starts the real processes with their production commands (`scripts/processes.py`):
metasim (the Graph API the worker's profile fetches reach), api, realtime, worker and
`--webhook-workers` webhook workers; seeds the demo tenant (a Messenger page and a
WhatsApp number) with `python -m api.cli seed-demo --metasim` and adds an agent, whose
`--sockets` sockets in one listener process sit in the tenant's room. A separate load
process posts Messenger and WhatsApp texts (unique mid / wamid) open loop at `--rate`
for `--seconds` (latency from each delivery's scheduled moment), waits for them, then
posts `--burst` deliveries as fast as the api answers (latency from each POST's start).
Every delivery acknowledged with 200 must reach every socket within `--drain-timeout`.
Prints the figures beside DESIGN.md's target and appends one line to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import multiprocessing
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from bench import stack  # noqa: E402
from bench.ingest import Client  # noqa: E402
from bench.soak import RESULTS, append_result, code_version  # noqa: E402
from bench.stack import machine_busy  # noqa: E402
from tests.processes import Running, http_ok, wait_until  # noqa: E402
from tests.reliability.harness import describe_machine, free_port, utc_now  # noqa: E402

DATABASE = "parley_bench_e2e"
REDIS_URL = "redis://127.0.0.1:6379/5"
APP_SECRET = "e2e-bench-app-secret"  # noqa: S105 - a throwaway bench secret
JWT_SECRET = "e2e-bench-jwt-secret-0123456789abcdef-0123"  # noqa: S105
# The demo seed's channels (api/cli.py `seed-demo` defaults).
PAGE_ID = "104000000000001"
WA_NUMBER_ID = "109000000000001"
WABA_ID = "110000000000001"
AGENT_EMAIL = "e2e-agent@parley.dev"
AGENT_PASSWORD = "e2e-agent-password"  # noqa: S105
# DESIGN.md "Targets": webhook -> message visible to a connected Socket.IO client,
# p50 <= 30 ms and p99 <= 100 ms at 200 deliveries/s.
TARGET_RATE = 200.0
P50_TARGET_MS = 30.0
P99_TARGET_MS = 100.0
REQUEST_TIMEOUT = 10.0  # bench/ingest.py's Client: per request, waiting for a connection too
OPEN_LOOP_CONNECTIONS = 512
READY_SECONDS = 120
SERVER_NAMES = ("metasim", "api", "realtime", "worker")


# --------------------------------------------------------------------------- payloads


class Deliveries:
    """Meta's compact delivery bodies, alternately a Messenger page text and a WhatsApp
    text, each with a unique message id (returned, to find its `message:new`), from
    `customers` customers per channel, signed with the app secret."""

    def __init__(self, prefix: str, customers: int, start: int = 0) -> None:
        self.prefix = prefix
        self.customers = customers
        self.n = start
        self.secret = APP_SECRET.encode()

    def next(self) -> tuple[str, bytes, str]:
        self.n += 1
        n, customer = self.n, (self.n // 2) % self.customers
        ms = int(time.time() * 1000)
        text = f"e2e bench message {n}, where is my order?"
        if n % 2:
            external_id = f"m_{self.prefix}{n:012x}"
            psid = f"3{customer:015d}"
            body = (
                f'{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":{ms},"messaging":[{{'
                f'"sender":{{"id":"{psid}"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":{ms},'
                f'"message":{{"mid":"{external_id}","text":"{text}"}}}}]}}]}}'
            )
        else:
            external_id = f"wamid.HBgL{self.prefix.upper()}{n:012X}"
            wa_id = f"4479{customer:08d}"
            body = (
                f'{{"object":"whatsapp_business_account","entry":[{{"id":"{WABA_ID}",'
                f'"changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{'
                f'"display_phone_number":"15550100","phone_number_id":"{WA_NUMBER_ID}"}},'
                f'"contacts":[{{"profile":{{"name":"Customer {customer}"}},"wa_id":"{wa_id}"}}],'
                f'"messages":[{{"from":"{wa_id}","id":"{external_id}",'
                f'"timestamp":"{ms // 1000}","type":"text","text":{{"body":"{text}"}}}}]}},'
                f'"field":"messages"}}]}}]}}'
            )
        raw = body.encode()
        return external_id, raw, "sha256=" + hmac.new(self.secret, raw, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- the load process


@dataclass
class Sent:
    """One POST: its message id, when it was due (open loop) or started, and its answer.
    Times are `time.monotonic()` (CLOCK_MONOTONIC: the same clock in every process)."""

    external_id: str
    scheduled: float
    started: float = 0.0
    answered: float = 0.0
    status: int | None = None
    error: str | None = None
    dedup_key: str = ""  # the body's SHA-256: its row in webhook_events


@dataclass
class LoadSpec:
    port: int
    mode: str  # "steady" (open loop at `rate` for `seconds`) or "burst" (`count` at once)
    prefix: str
    customers: int
    start: int  # first message number (unique across phases)
    rate: float = 0.0
    seconds: float = 0.0
    count: int = 0
    concurrency: int = 64


async def _post(client: Client, deliveries: Deliveries, record: list[Sent], due: float) -> None:
    external_id, body, signature = deliveries.next()
    sent = Sent(external_id, due, started=time.monotonic())
    sent.dedup_key = hashlib.sha256(body).hexdigest()
    record.append(sent)
    try:
        sent.status = await client.post(body, signature)
    except Exception as exc:  # counted; the phase goes on, as Meta's would
        sent.error = type(exc).__name__
    sent.answered = time.monotonic()


async def steady(client: Client, deliveries: Deliveries, rate: float, seconds: float) -> list[Sent]:
    """Open loop: deliveries scheduled at a fixed rate whatever the answers."""
    record: list[Sent] = []
    tasks: set[asyncio.Task[None]] = set()
    started = time.monotonic()
    for i in range(int(rate * seconds)):
        due = started + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_post(client, deliveries, record, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT * 3)
    return record


async def burst(client: Client, deliveries: Deliveries, count: int, concurrency: int) -> list[Sent]:
    """`count` deliveries with `concurrency` in flight, each sent as the last one answers."""
    record: list[Sent] = []

    async def worker() -> None:
        while len(record) < count:
            await _post(client, deliveries, record, time.monotonic())

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return record


def load(spec: LoadSpec) -> list[Sent]:
    """One phase, in the load process."""
    with contextlib.suppress(ImportError):  # uvloop ships with uvicorn[standard]
        import uvloop

        uvloop.install()

    async def run() -> list[Sent]:
        deliveries = Deliveries(spec.prefix, spec.customers, spec.start)
        client = Client("raw", spec.port, max(spec.concurrency, OPEN_LOOP_CONNECTIONS))
        try:
            if spec.mode == "steady":
                return await steady(client, deliveries, spec.rate, spec.seconds)
            return await burst(client, deliveries, spec.count, spec.concurrency)
        finally:
            await client.aclose()

    return asyncio.run(run())


# --------------------------------------------------------------------------- the listener process


def listen(url: str, token: str, sockets: int, out: Any, stop: EventType) -> None:
    """`sockets` Socket.IO clients of one agent; each `message:new` goes to `out` as
    (message id, socket number, arrival time), in batches every 20 ms."""
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    import socketio

    async def run() -> None:
        batch: list[tuple[str, int, float]] = []
        ready = [asyncio.Event() for _ in range(sockets)]
        disconnects = [0]
        clients: list[Any] = []

        def handlers(i: int) -> tuple[Any, Any, Any]:
            async def on_new(data: Any) -> None:
                now = time.monotonic()
                with contextlib.suppress(KeyError, TypeError):
                    batch.append((str(data["message"]["external_id"]), i, now))

            async def on_ready(_: Any = None) -> None:
                ready[i].set()

            async def on_disconnect(*_: Any) -> None:
                disconnects[0] += 1

            return on_new, on_ready, on_disconnect

        try:
            for i in range(sockets):
                sio = socketio.AsyncClient(reconnection=False)
                on_new, on_ready, on_disconnect = handlers(i)
                sio.on("message:new", on_new)
                sio.on("session:ready", on_ready)
                sio.on("disconnect", on_disconnect)
                await sio.connect(
                    url, auth={"token": token}, transports=["websocket"], wait_timeout=15
                )
                clients.append(sio)
            async with asyncio.timeout(30):
                for event in ready:
                    await event.wait()
            out.put(("ready", os.getpid()))
            while not stop.is_set():
                await asyncio.sleep(0.02)
                if batch:
                    out.put(("seen", batch))
                    batch = []
            if batch:
                out.put(("seen", batch))
        except Exception as exc:
            out.put(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            for sio in clients:
                with contextlib.suppress(Exception):
                    await sio.disconnect()
            out.put(("done", disconnects[0] - len(clients)))

    asyncio.run(run())


class Arrivals:
    """The main process's view of the listener: first arrival of each message per socket."""

    def __init__(self, source: Any, sockets: int) -> None:
        self.source = source
        self.sockets = sockets
        self.seen: dict[str, dict[int, float]] = {}
        self.events = 0
        self.ready = threading.Event()
        self.finished = threading.Event()
        self.listener_pid = 0
        self.error: str | None = None
        self.unexpected_disconnects = 0
        self.last_arrival = 0.0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                kind, data = self.source.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            if kind == "seen":
                for external_id, socket_number, at in data:
                    self.events += 1
                    self.seen.setdefault(external_id, {}).setdefault(socket_number, at)
                    self.last_arrival = max(self.last_arrival, at)
            elif kind == "ready":
                self.listener_pid = int(data)
                self.ready.set()
            elif kind == "error":
                self.error = str(data)
                self.ready.set()
            elif kind == "done":
                self.unexpected_disconnects = max(0, int(data))
                self.finished.set()
                return

    @property
    def duplicates(self) -> int:
        """`message:new` events beyond the first of a message on a socket."""
        return self.events - sum(len(sockets) for sockets in self.seen.values())

    def on_every_socket(self, external_id: str) -> bool:
        return len(self.seen.get(external_id, ())) == self.sockets


# --------------------------------------------------------------------------- the stack


@dataclass
class Servers:
    base: Path
    env: dict[str, str]
    processes: dict[str, Running] = field(default_factory=dict)
    health: dict[str, str] = field(default_factory=dict)  # name -> readiness URL

    def add(self, running: Running, health: str) -> None:
        self.processes[running.name] = running
        self.health[running.name] = health

    def dead(self) -> list[str]:
        return [name for name, p in self.processes.items() if p.popen and not p.alive()]

    def stop(self) -> None:
        running = [p for p in self.processes.values() if p.alive()]
        for process in running:
            process.signal(signal.SIGTERM)
        for process in running:
            process.stop(timeout=30)


def start_servers(base: Path, webhook_workers: int) -> Servers:
    ports = {name: free_port() for name in SERVER_NAMES}
    env = stack.api_env(
        database=DATABASE,
        redis_url=REDIS_URL,
        app_secret=APP_SECRET,
        jwt_secret=JWT_SECRET,
        name="e2e",
        # The worker's profile fetches (new Messenger contacts) go to metasim, never Meta.
        META_GRAPH_BASE_URL=f"http://127.0.0.1:{ports['metasim']}",
        META_GRAPH_TIMEOUT_SECONDS="10",
        METASIM_WEBHOOK_URL=f"http://127.0.0.1:{ports['api']}/api/webhooks/meta",
        AUTH_ACCESS_TOKEN_MINUTES="240",  # noqa: S106 - sockets outlive a long run
        WORKER_HTTP_PORT=str(ports["worker"]),
        WEBHOOK_WORKER_HTTP_PORT="0",
    )
    servers = Servers(base, env)
    for name in ("metasim", "api", "realtime"):
        path = {
            "metasim": "/_sim/healthz",
            "api": "/api/healthz",  # readyz also wants the object store, unused here
            "realtime": "/realtime/readyz",
        }[name]
        running = Running(name, env, base, port=ports[name]).start()
        servers.add(running, f"{running.url}{path}")
    worker = Running("worker", env, base).start()
    servers.add(worker, f"http://127.0.0.1:{ports['worker']}/readyz")
    for n in range(1, webhook_workers + 1):
        port = free_port()
        own = {**env, "WEBHOOK_WORKER_HTTP_PORT": str(port), "WORKER_HTTP_PORT": "0"}
        running = Running(f"webhook-worker-{n}", own, base, process="webhook-worker").start()
        servers.add(running, f"http://127.0.0.1:{port}/readyz")
    return servers


async def wait_ready(servers: Servers) -> None:
    async def all_ready() -> bool:
        return all(await asyncio.gather(*(http_ok(url) for url in servers.health.values())))

    await wait_until(all_ready, "every process ready", READY_SECONDS, *servers.processes.values())


async def seed(servers: Servers) -> str:
    """The demo tenant through the project's own command (development only, so that step
    alone runs with ENVIRONMENT=development), then an agent; the agent's access token."""
    metasim = servers.processes["metasim"].url
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "api.cli", "seed-demo", "--metasim", metasim],
        cwd=ROOT, env={**servers.env, "ENVIRONMENT": "development"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"seed-demo failed:\n{done.stdout}\n{done.stderr}")
    from api.auth.passwords import hash_password

    password_hash = await asyncio.to_thread(hash_password, AGENT_PASSWORD)
    conn = await asyncpg.connect(f"{stack.POSTGRES}/{DATABASE}")
    try:
        await conn.execute(
            "INSERT INTO users (id, tenant_id, email, password_hash, name, role)"
            " SELECT $1, tenant_id, $2, $3, 'E2E Agent', 'agent' FROM users"
            " WHERE role = 'owner' LIMIT 1",
            uuid.uuid4(), AGENT_EMAIL, password_hash,
        )  # fmt: skip
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=servers.processes["api"].url, timeout=30) as http:
        response = await http.post(
            "/api/auth/login", json={"email": AGENT_EMAIL, "password": AGENT_PASSWORD}
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def postgres_backends() -> list[int]:
    conn = await asyncpg.connect(f"{stack.POSTGRES}/{DATABASE}")
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            DATABASE,
        )
    finally:
        await conn.close()
    return [int(row["pid"]) for row in rows]


async def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each process, PostgreSQL's backends of our database (those
    connected now: the processes' pools keep theirs) and the whole machine."""
    snapshot = {name: stack.cpu_seconds(pid) for name, pid in pids.items()}
    snapshot["postgres"] = sum(stack.cpu_seconds(pid) for pid in await postgres_backends())
    snapshot["machine"] = machine_busy()[0]
    return snapshot


async def unfinished_events() -> int:
    conn = await asyncpg.connect(f"{stack.POSTGRES}/{DATABASE}")
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM webhook_events WHERE status NOT IN ('processed', 'dead')"
            )
        )
    finally:
        await conn.close()


async def stored(external_ids: list[str]) -> set[str]:
    conn = await asyncpg.connect(f"{stack.POSTGRES}/{DATABASE}")
    try:
        rows = await conn.fetch(
            "SELECT external_id FROM messages WHERE external_id = ANY($1::text[])", external_ids
        )
    finally:
        await conn.close()
    return {row["external_id"] for row in rows}


async def timestamps(phase: Phase) -> tuple[dict[str, float], dict[str, float]]:
    """Per message id, when its job's transaction began (`messages.created_at` is the
    INSERT's now()), and per delivery, when processing finished (`processed_at`, set just
    before the commit); epoch seconds."""
    conn = await asyncpg.connect(f"{stack.POSTGRES}/{DATABASE}")
    try:
        created = await conn.fetch(
            "SELECT external_id, extract(epoch FROM created_at)::float8 AS at FROM messages"
            " WHERE external_id = ANY($1::text[])",
            [s.external_id for s in phase.acked],
        )
        processed = await conn.fetch(
            "SELECT dedup_key, extract(epoch FROM processed_at)::float8 AS at"
            " FROM webhook_events WHERE dedup_key = ANY($1::text[]) AND processed_at IS NOT NULL",
            [s.dedup_key for s in phase.acked],
        )
    finally:
        await conn.close()
    return (
        {row["external_id"]: row["at"] for row in created},
        {row["dedup_key"]: row["at"] for row in processed},
    )


def stages(
    phase: Phase, arrivals: Arrivals, started: dict[str, float], done: dict[str, float]
) -> None:
    """Where each message's time went: POST -> 200, 200 -> its job's transaction begins
    (queue wait, arq's polling), -> processing done (before the commit), -> on a socket
    (commit, publish, gateway, client). Monotonic and wall clocks of one machine: the
    offset between them is the same in every process."""
    offset = time.time() - time.monotonic()
    names = ("POST -> 200", "200 -> job begins", "job begins -> done", "done -> on socket")
    phase.stages = {name: [] for name in names}
    for sent in phase.acked:
        began, finished = started.get(sent.external_id), done.get(sent.dedup_key)
        seen = arrivals.seen.get(sent.external_id, {})
        if began is None or finished is None or not seen:
            continue
        origin = sent.scheduled if phase.latency_from == "scheduled" else sent.started
        first = min(seen.values())
        for name, ms in zip(
            names,
            (
                sent.answered - origin,
                began - (sent.answered + offset),
                finished - began,
                first + offset - finished,
            ),
            strict=True,
        ):
            phase.stages[name].append(ms * 1000)


async def event_statuses() -> dict[str, int]:
    conn = await asyncpg.connect(f"{stack.POSTGRES}/{DATABASE}")
    try:
        rows = await conn.fetch(
            "SELECT status::text AS status, count(*) AS n FROM webhook_events GROUP BY 1"
        )
    finally:
        await conn.close()
    return {row["status"]: int(row["n"]) for row in rows}


# --------------------------------------------------------------------------- one phase


@dataclass
class Phase:
    name: str
    sent: list[Sent]
    latency_from: str  # "scheduled" or "started"
    acked: list[Sent] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # per (message, socket)
    after_ack_ms: list[float] = field(default_factory=list)  # 200 answered -> socket
    ack_ms: list[float] = field(default_factory=list)  # POST due -> 200
    errors: dict[str, int] = field(default_factory=dict)
    unseen: list[str] = field(default_factory=list)
    unseen_stored: int = 0
    first_post: float = 0.0
    last_post: float = 0.0
    last_seen: float = 0.0
    delivered: int = 0
    cpu_ms: dict[str, float] = field(default_factory=dict)
    waited: float = 0.0
    stages: dict[str, list[float]] = field(default_factory=dict)  # name -> ms per message

    def quantile(self, values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def q(self, q: float) -> float:
        return self.quantile(self.latencies_ms, q)


async def drain(phase: Phase, arrivals: Arrivals, within: float, servers: Servers) -> None:
    """Wait until every acknowledged message reached every socket; at most `within`
    seconds, and not once nothing is left to process and nothing arrived for 5 s."""
    ids = [s.external_id for s in phase.sent if s.status == 200]
    started = time.monotonic()
    deadline = started + within
    next_check = next_report = started + 5
    last_count, last_progress = -1, started
    while True:
        missing = [i for i in ids if not arrivals.on_every_socket(i)]
        now = time.monotonic()
        if len(missing) != last_count:
            last_count, last_progress = len(missing), now
        if not missing or now > deadline or servers.dead():
            break
        if now >= next_check:
            next_check = now + 2
            if now - last_progress > 5 and await unfinished_events() == 0:
                break
        if now >= next_report:
            next_report = now + 10
            print(f"  {phase.name}: {len(ids) - len(missing)}/{len(ids)} on every socket")
        await asyncio.sleep(0.1)
    phase.waited = time.monotonic() - started


def analyse(phase: Phase, arrivals: Arrivals, sockets: int) -> None:
    phase.first_post = min((s.started for s in phase.sent), default=0.0)
    phase.last_post = max((s.started for s in phase.sent), default=0.0)
    for sent in phase.sent:
        if sent.status != 200:
            what = sent.error or (str(sent.status) if sent.status else "no answer")
            phase.errors[what] = phase.errors.get(what, 0) + 1
            continue
        phase.acked.append(sent)
        origin = sent.scheduled if phase.latency_from == "scheduled" else sent.started
        phase.ack_ms.append((sent.answered - origin) * 1000)
        seen = arrivals.seen.get(sent.external_id, {})
        for at in seen.values():
            phase.latencies_ms.append((at - origin) * 1000)
            phase.after_ack_ms.append((at - sent.answered) * 1000)
            phase.last_seen = max(phase.last_seen, at)
        if len(seen) == sockets:
            phase.delivered += 1
        else:
            phase.unseen.append(sent.external_id)


# --------------------------------------------------------------------------- report


def fmt(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # NaN: no sample


def phase_rows(phases: list[Phase]) -> list[str]:
    header = (
        f"{'phase':<24} {'posted':>6} {'200':>6} {'ack p50':>8} {'ack p99':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lost':>5} {'rate/s':>7}  errors"
    )
    lines = [header, "-" * len(header)]
    for p in phases:
        span = max(p.last_seen - p.first_post, 1e-9)
        errors = ", ".join(f"{k} x{v}" for k, v in p.errors.items()) or "0"
        lines.append(
            f"{p.name:<24} {len(p.sent):6d} {len(p.acked):6d} "
            f"{fmt(p.quantile(p.ack_ms, 0.5)):>8} {fmt(p.quantile(p.ack_ms, 0.99)):>8} "
            f"{fmt(p.q(0.5)):>8} {fmt(p.q(0.95)):>8} {fmt(p.q(0.99)):>8} "
            f"{fmt(max(p.latencies_ms, default=float('nan'))):>8} {len(p.unseen):5d} "
            f"{p.delivered / span:7.0f}  {errors}"
        )
    return lines


def drained(p: Phase) -> str:
    if not p.last_seen:
        return "no message reached the sockets"
    return (
        f"last message on the sockets {p.last_seen - p.last_post:.1f}s after the last post, "
        f"{p.last_seen - p.first_post:.1f}s after the first"
    )


def cpu_line(phase: Phase) -> str:
    return ", ".join(f"{name} {ms:.1f}" for name, ms in phase.cpu_ms.items())


def verdicts(steady_phase: Phase, rate: float) -> list[str]:
    p50, p99 = steady_phase.q(0.5), steady_phase.q(0.99)
    note = "" if rate == TARGET_RATE else f" (measured at {rate:.0f}/s, not {TARGET_RATE:.0f}/s)"

    def verdict(value: float, target: float) -> str:
        if value != value:
            return "no sample"
        return "met" if value <= target else f"MISSED by {value - target:.1f} ms"

    return [
        f"target p50 <= {P50_TARGET_MS:.0f} ms at {TARGET_RATE:.0f}/s: {fmt(p50)} ms "
        f"{verdict(p50, P50_TARGET_MS)}{note}",
        f"target p99 <= {P99_TARGET_MS:.0f} ms at {TARGET_RATE:.0f}/s: {fmt(p99)} ms "
        f"{verdict(p99, P99_TARGET_MS)}{note}",
    ]


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    print(f"database {DATABASE}: drop, create, migrate; Redis {REDIS_URL}: flush")
    await stack.recreate_database(DATABASE)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    base = Path(tempfile.mkdtemp(prefix="parley-bench-e2e-"))
    servers = start_servers(base, args.webhook_workers)
    ctx = multiprocessing.get_context("spawn")
    messages = ctx.Queue()
    stop = ctx.Event()
    listener: Any = None
    phases: list[Phase] = []
    failures: list[str] = []
    try:
        started = time.monotonic()
        await wait_ready(servers)
        token = await seed(servers)
        print(
            f"{len(servers.processes)} processes ready and tenant seeded in "
            f"{time.monotonic() - started:.1f}s (logs in {base})"
        )
        listener = ctx.Process(
            target=listen,
            args=(servers.processes["realtime"].url, token, args.sockets, messages, stop),
        )
        listener.start()
        arrivals = Arrivals(messages, args.sockets)
        if not await asyncio.to_thread(arrivals.ready.wait, 60) or arrivals.error:
            raise RuntimeError(f"the sockets did not connect: {arrivals.error or 'timeout'}")
        print(f"{args.sockets} socket(s) of an agent connected to the gateway")
        port = servers.processes["api"].port
        assert port is not None
        prefix = f"{random.SystemRandom().randrange(16**8):08x}"
        with ctx.Pool(1) as pool:
            pids = {name: p.popen.pid for name, p in servers.processes.items() if p.popen}
            pids["load"] = pool.apply(os.getpid)
            pids["listener"] = arrivals.listener_pid
            plan = [
                # Every customer writes once first (new contacts and conversations, the
                # worker's profile fetches, warm pools): not measured.
                ("warm-up", LoadSpec(port, "burst", prefix, args.customers, 0,
                                     count=2 * args.customers, concurrency=8), "started"),
                (f"steady {args.rate:.0f}/s x {args.seconds:.0f}s",
                 LoadSpec(port, "steady", prefix, args.customers, 10**9,
                          rate=args.rate, seconds=args.seconds), "scheduled"),
                (f"burst {args.burst} x{args.burst_concurrency}",
                 LoadSpec(port, "burst", prefix, args.customers, 2 * 10**9, count=args.burst,
                          concurrency=args.burst_concurrency), "started"),
            ]  # fmt: skip
            for name, spec, latency_from in plan:
                if (spec.mode == "burst" and spec.count == 0) or (
                    spec.mode == "steady" and spec.rate * spec.seconds < 1
                ):
                    continue
                before = await cpu_snapshot(pids)
                sent = await asyncio.to_thread(pool.apply, load, (spec,))
                phase = Phase(name, sent, latency_from)
                print(f"{name}: posted {len(sent)}, waiting for the sockets")
                warmup = name == "warm-up"
                await drain(
                    phase, arrivals, max(args.drain_timeout, 120.0 if warmup else 0.0), servers
                )
                after = await cpu_snapshot(pids)
                analyse(phase, arrivals, args.sockets)
                count = max(len(phase.acked), 1)
                phase.cpu_ms = {k: (after[k] - before.get(k, 0.0)) * 1000 / count for k in after}
                stages(phase, arrivals, *await timestamps(phase))
                if phase.unseen:
                    phase.unseen_stored = len(await stored(phase.unseen))
                if not warmup:
                    phases.append(phase)
                elif phase.unseen:
                    failures.append(f"warm-up: {len(phase.unseen)} messages never seen")
                if dead := servers.dead():
                    failures.append(f"exited during the run: {', '.join(dead)}")
                    break
        statuses = await event_statuses()
    finally:
        stop.set()
        if listener is not None:
            listener.join(30)
            if listener.is_alive():
                listener.terminate()
        await asyncio.to_thread(servers.stop)
        await redis.flushdb()
        await redis.aclose()

    print("\n" + "\n".join(phase_rows(phases)))
    print(
        "latency: from each delivery's scheduled moment (steady, open loop) or its POST's "
        "start (burst) to its message:new on a socket, one sample per message and socket; "
        "ack = the same origin to the api's 200; rate/s = messages on every socket / "
        "(last arrival - first post)"
    )
    for p in phases:
        print(
            f"{p.name}: {drained(p)}; 200 -> socket p50 {fmt(p.quantile(p.after_ack_ms, 0.5))}"
            f" / p99 {fmt(p.quantile(p.after_ack_ms, 0.99))} ms"
        )
        if p.unseen:
            failures.append(
                f"{p.name}: {len(p.unseen)} acknowledged messages not on every socket within "
                f"{p.waited:.0f}s ({p.unseen_stored} stored in the database, "
                f"{len(p.unseen) - p.unseen_stored} not yet), e.g. {p.unseen[0]}"
            )
        print(
            "  stages p50/p99 ms (first socket): "
            + ", ".join(
                f"{name} {fmt(p.quantile(v, 0.5))}/{fmt(p.quantile(v, 0.99))}"
                for name, v in p.stages.items()
            )
        )
        print(f"  CPU ms per delivery: {cpu_line(p)}")
    print(f"webhook_events by status: {statuses}")
    await asyncio.to_thread(arrivals.finished.wait, 10)
    if arrivals.duplicates:
        failures.append(f"{arrivals.duplicates} message:new events repeated on one socket")
    if arrivals.unexpected_disconnects:
        failures.append(f"{arrivals.unexpected_disconnects} socket(s) disconnected mid-run")
    steady_phase = next((p for p in phases if p.name.startswith("steady")), None)
    lines = verdicts(steady_phase, args.rate) if steady_phase else []
    print("\n" + "\n".join(lines))
    for failure in failures:
        print(f"FAILED: {failure}")

    summary = " · ".join(
        f"{p.name}: {len(p.acked)}/{len(p.sent)} acked, p50/p95/p99/max "
        f"{fmt(p.q(0.5))}/{fmt(p.q(0.95))}/{fmt(p.q(0.99))}/"
        f"{fmt(max(p.latencies_ms, default=float('nan')))} ms, lost {len(p.unseen)}, "
        f"{drained(p)}, stages p50 ms ["
        + ", ".join(f"{k} {fmt(p.quantile(v, 0.5))}" for k, v in p.stages.items())
        + "], CPU ms per delivery "
        f"[{cpu_line(p)}]"
        for p in phases
    )
    line = (
        f"e2e webhook -> Socket.IO message:new, {args.sockets} socket(s), "
        f"{args.webhook_workers} webhook worker(s), {args.customers} customers per channel · "
        f"{summary} · targets: {'; '.join(lines) or 'no steady phase'} · "
        + ("all checks passed" if not failures else f"FAILED: {'; '.join(failures)}")
    )
    append_result(
        f"- {utc_now()} · `{code_version()}` · {describe_machine()} · {line}", args.results
    )
    print(f"appended to {args.results}")
    if not failures:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"logs kept in {base}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="steady: deliveries/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="steady: how long")
    parser.add_argument("--burst", type=int, default=1000, help="burst: deliveries (0: none)")
    parser.add_argument("--burst-concurrency", type=int, default=64, help="burst: in flight")
    parser.add_argument("--sockets", type=int, default=1, help="Socket.IO clients listening")
    parser.add_argument("--webhook-workers", type=int, default=1, help="webhook-worker processes")
    parser.add_argument("--customers", type=int, default=100, help="per channel")
    parser.add_argument(
        "--drain-timeout", type=float, default=180.0, help="per phase: wait for the sockets"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to append")
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
