"""Memory: the resident memory of every long-running Parley process (api, realtime,
worker, webhook-worker, metasim) at idle, under a mixed load, and after it, beside
DESIGN.md's target (each process <= 200 MB RSS at idle).

    .venv/bin/python bench/memory.py [--seconds 30 --rate 50 --replies 5 --lists 5]
                                     [--sockets 4] [--explain]

Uses the machine's PostgreSQL (its own database `parley_bench_memory`, dropped, created
and migrated with the project's `migrate` command) and Redis (index 9, flushed before and
after), and a private SeaweedFS as the object store (the api is ready only when its bucket
answers). Every process runs on its production command (`scripts/processes.py`), one of
each. Idle: once all are ready and 10 s have passed. Load: signed Messenger and WhatsApp
deliveries at `--rate`/s, agents' replies through the REST api (sent to metasim by the
worker; metasim's echoes and statuses come back as webhooks), conversation-list requests,
and `--sockets` agents on Socket.IO (each gets every event, and every 5 s opens another
conversation: join, typing start and stop); RSS sampled every 0.5 s (peak and end), then
once more 10 s after the load stops. Prints RSS (PSS and USS too, from
/proc/<pid>/smaps_rollup) per process tree and appends one line to bench/RESULTS.md;
`--explain` imports each process's code in a fresh interpreter and shows what it loads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import socketio  # noqa: E402
from redis import Redis  # noqa: E402

from bench import stack  # noqa: E402
from bench.soak import RESULTS, append_result, code_version  # noqa: E402
from scripts.processes import command  # noqa: E402
from scripts.seaweed import SeaweedFS, env_for  # noqa: E402
from tests.processes import Running, http_ok, wait_until  # noqa: E402
from tests.reliability.harness import describe_machine, free_port, utc_now  # noqa: E402

POSTGRES = stack.POSTGRES
DATABASE = "parley_bench_memory"
REDIS_URL = "redis://127.0.0.1:6379/9"
APP_SECRET = "memory-bench-app-secret"  # noqa: S105 - a throwaway bench secret
JWT_SECRET = "memory-bench-jwt-secret-0123456789abcdef-0123"  # noqa: S105
# DESIGN.md "Targets": each process <= 200 MB RSS at idle (MiB here, as ps and top count).
TARGET_MIB = 200.0
MIB = 1024 * 1024
LONG_RUNNING = ("api", "realtime", "worker", "webhook-worker", "metasim")
WORKER_PORT_SETTINGS = {"worker": "WORKER_HTTP_PORT", "webhook-worker": "WEBHOOK_WORKER_HTTP_PORT"}
READY_SECONDS = 180
SETTLE_SECONDS = 10.0
AFTER_SECONDS = 10.0
SAMPLE_SECONDS = 0.5
REQUEST_TIMEOUT = 30.0
IN_FLIGHT = 200
# Each agent's socket opens another conversation this often (join, typing start/stop).
# It also keeps python-engineio's client alive: its write loop gives up on a socket that
# has sent nothing for pingInterval + 5 s (30 s), e.g. when a server ping arrives late
# because this loaded client reads its events behind.
AGENT_STEP_SECONDS = 5.0
# The demo tenant (`python -m api.cli seed-demo --metasim`): a Messenger page, a WhatsApp
# number, its owner; metasim knows both after the seed.
DEMO_EMAIL = "demo@parley.dev"
DEMO_PASSWORD = "parley-demo"  # noqa: S105 - the development seed's password
DEMO_PAGE_ID = "104000000000001"
DEMO_WA_NUMBER_ID = "109000000000001"
DEMO_WABA_ID = "110000000000001"
DEMO_WA_DISPLAY = "15550100"
CUSTOMERS = 20  # per channel, introduced through metasim before the load
TEXTS = (
    "Hi, where is my order?",
    "Is the blue one still in stock in size M?",
    "Thanks! It arrived today \u2764\ufe0f",
    "Can I change the delivery address to 12 Rue de la Paix, Paris?",
    "Do you ship to Canada? And how long does it take?",
    "ok",
    "I'd like a refund for order #48213, the item was damaged.",
)


# --------------------------------------------------------------------------- /proc


@dataclass(frozen=True)
class Memory:
    """One process tree's memory, in bytes: RSS summed over the tree (shared pages count
    once per process, as each process's RSS does), PSS (shared pages split between the
    processes that map them) and USS (pages only this process maps), when the kernel has
    /proc/<pid>/smaps_rollup."""

    rss: int
    pss: int | None
    uss: int | None
    processes: int


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process on the machine."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(entry.path, "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return parents


def tree(pid: int, parents: dict[int, int]) -> list[int]:
    """`pid` and its descendants (e.g. uvicorn's worker processes)."""
    found, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _one(pid: int) -> tuple[int, int | None, int | None] | None:
    """(rss, pss, uss) of one process in bytes; None once it has gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except FileNotFoundError:
        if not Path(f"/proc/{pid}").exists():
            return None
        rollup = ""
    except OSError:
        return None
    fields: dict[str, int] = {}
    for line in rollup.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[name] = int(parts[0]) * 1024
    if "Rss" in fields:
        uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        return fields["Rss"], fields.get("Pss"), uss
    try:  # no smaps_rollup (old kernel): RSS only
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024, None, None
    except OSError:
        return None
    return None


def measure(pids: dict[str, int]) -> dict[str, Memory]:
    """Each named process tree's memory now (a tree that has gone is left out)."""
    parents = _parents()
    result: dict[str, Memory] = {}
    for name, pid in pids.items():
        readings = [r for r in (_one(p) for p in tree(pid, parents)) if r is not None]
        if not readings:
            continue
        pss = [r[1] for r in readings]
        uss = [r[2] for r in readings]
        result[name] = Memory(
            rss=sum(r[0] for r in readings),
            pss=None if None in pss else sum(p or 0 for p in pss),
            uss=None if None in uss else sum(u or 0 for u in uss),
            processes=len(readings),
        )
    return result


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) each named process tree has used so far, and this
    process's own (the load generator) as `load generator`."""
    parents, tick = _parents(), os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for name, pid in pids.items():
        total = 0
        for member in tree(pid, parents):
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(f"/proc/{member}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                total += int(fields[11]) + int(fields[12])
        used[name] = total / tick
    own = os.times()
    used["load generator"] = own.user + own.system
    return used


def cpu_pressure() -> float | None:
    """The share of the last minute some task waited for a CPU (/proc/pressure/cpu), %."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0].split()
        return float(dict(part.split("=") for part in some[1:])["avg60"])
    except (OSError, IndexError, KeyError, ValueError):
        return None


class Sampler(threading.Thread):
    """Samples `measure(pids)` every SAMPLE_SECONDS on its own thread (so a busy event
    loop in the load generator does not delay it) until stopped."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.samples: list[dict[str, Memory]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append(measure(self.pids))
            self.done.wait(SAMPLE_SECONDS)

    def stop(self) -> list[dict[str, Memory]]:
        self.done.set()
        self.join()
        self.samples.append(measure(self.pids))  # the state at the load's end
        return self.samples


# --------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    base: Path
    env: dict[str, str]
    seaweed: SeaweedFS
    processes: dict[str, Running] = field(default_factory=dict)
    worker_ports: dict[str, int] = field(default_factory=dict)

    @property
    def pids(self) -> dict[str, int]:
        return {
            name: process.popen.pid
            for name, process in self.processes.items()
            if process.popen is not None
        }

    def url(self, name: str) -> str:
        return self.processes[name].url

    def readiness_urls(self) -> list[str]:
        urls = [
            f"{self.url('metasim')}/_sim/healthz",
            f"{self.url('api')}/api/readyz",
            f"{self.url('realtime')}/realtime/readyz",
        ]
        return urls + [f"http://127.0.0.1:{port}/readyz" for port in self.worker_ports.values()]

    def dead(self) -> list[str]:
        return [name for name, process in self.processes.items() if not process.alive()]

    def stop(self) -> None:
        for process in self.processes.values():
            process.signal(signal.SIGTERM)  # to each process's own group, all at once
        for process in self.processes.values():
            process.stop(timeout=40)
        self.seaweed.stop()


def environment(
    ports: dict[str, int], seaweed: SeaweedFS, worker_ports: dict[str, int]
) -> dict[str, str]:
    env = stack.api_env(
        database=DATABASE,
        redis_url=REDIS_URL,
        app_secret=APP_SECRET,
        jwt_secret=JWT_SECRET,
        name="memory",
        META_GRAPH_BASE_URL=f"http://127.0.0.1:{ports['metasim']}",
        META_GRAPH_TIMEOUT_SECONDS="10",
        # One agent account makes every request: the per-user API limit is raised.
        SECURITY_API_PER_MINUTE="600000",
        SECURITY_API_BURST="100000",
        **env_for(seaweed, "parley-bench-memory"),
    )
    env["METASIM_WEBHOOK_URL"] = f"http://127.0.0.1:{ports['api']}/api/webhooks/meta"
    for name, setting in WORKER_PORT_SETTINGS.items():
        env[setting] = str(worker_ports[name])
    return env


def run_step(argv: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(  # noqa: S603 - the project's own commands
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


async def start_stack(base: Path) -> Stack:
    """Database and Redis index reset, SeaweedFS, the migration and bucket steps, then the
    five long-running processes, until every one is ready."""
    ports = {name: free_port() for name in ("api", "realtime", "metasim", "s3")}
    worker_ports = {name: free_port() for name in WORKER_PORT_SETTINGS}
    seaweed = SeaweedFS(base / "seaweed", ports["s3"])
    env = environment(ports, seaweed, worker_ports)
    cluster = Stack(base, env, seaweed, worker_ports=worker_ports)
    await stack.recreate_database(DATABASE)
    Redis.from_url(REDIS_URL).flushdb()
    try:
        await asyncio.to_thread(seaweed.start)
        await asyncio.to_thread(
            run_step, command("storage-setup", python=sys.executable), env, "storage-setup"
        )
        for name in LONG_RUNNING:
            port = ports.get(name)
            cluster.processes[name] = Running(name, env, base, port=port).start()

        async def all_ready() -> bool:
            return all(await asyncio.gather(*(http_ok(u) for u in cluster.readiness_urls())))

        await wait_until(
            all_ready, "every process ready", READY_SECONDS, *cluster.processes.values()
        )
    except BaseException:
        cluster.stop()
        raise
    return cluster


def seed_demo(cluster: Stack) -> None:
    """The demo tenant, registered with metasim (the seed runs only in development)."""
    argv = [sys.executable, "-m", "api.cli", "seed-demo", "--metasim", cluster.url("metasim")]
    run_step(argv, {**cluster.env, "ENVIRONMENT": "development"}, "seed-demo")


# --------------------------------------------------------------------------- the load


@dataclass
class Tally:
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def psid(customer: int) -> str:
    return f"7300000000{customer:04d}"


def wa_id(customer: int) -> str:
    return f"1555300{customer:04d}"


def delivery(n: int, rng: random.Random) -> bytes:
    """Meta's delivery of one customer's text: even n Messenger, odd n WhatsApp."""
    customer, text, ms = (n // 2) % CUSTOMERS, rng.choice(TEXTS), int(time.time() * 1000)
    payload: dict[str, Any]
    if n % 2 == 0:
        payload = {"object": "page", "entry": [{"id": DEMO_PAGE_ID, "time": ms, "messaging": [{
            "sender": {"id": psid(customer)}, "recipient": {"id": DEMO_PAGE_ID},
            "timestamp": ms, "message": {"mid": f"m_{uuid.uuid4().hex}", "text": text},
        }]}]}  # fmt: skip
    else:
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DEMO_WA_DISPLAY, "phone_number_id": DEMO_WA_NUMBER_ID},
            "contacts": [{"profile": {"name": f"Customer {customer}"}, "wa_id": wa_id(customer)}],
            "messages": [{"from": wa_id(customer), "id": f"wamid.{uuid.uuid4().hex.upper()}",
                          "timestamp": str(ms // 1000), "type": "text", "text": {"body": text}}],
        }  # fmt: skip
        payload = {"object": "whatsapp_business_account", "entry": [
            {"id": DEMO_WABA_ID, "time": ms // 1000, "changes": [{"field": "messages", "value": value}]}
        ]}  # fmt: skip
    return json.dumps(payload).encode()


async def steady(
    rate: float, seconds: float, action: Callable[[int], Coroutine[Any, Any, None]]
) -> int:
    """Start `action(n)` at `rate` per second for `seconds` whatever the answers (an open
    loop, as Meta and busy agents send), then wait for all of them."""
    if rate <= 0:
        return 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Task[None]] = []
    while (due := start + len(tasks) / rate) < start + seconds:
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(action(len(tasks))))
    await asyncio.gather(*tasks)
    return len(tasks)


class Collected(logging.Handler):
    """Keeps what the Socket.IO client logs about a connection it gives up on."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.messages[message[:200]] += 1


CLIENT_LOG = Collected()
ENGINEIO_LOGGER = logging.getLogger("bench.memory.engineio")
ENGINEIO_LOGGER.setLevel(logging.WARNING)  # INFO logs every packet: costly
ENGINEIO_LOGGER.propagate = False
ENGINEIO_LOGGER.addHandler(CLIENT_LOG)


@dataclass
class Watcher:
    """One agent's Socket.IO connection to the gateway, counting what it is sent."""

    sio: socketio.AsyncClient = field(
        default_factory=lambda: socketio.AsyncClient(
            reconnection=False, engineio_logger=ENGINEIO_LOGGER
        )
    )
    events: Counter[str] = field(default_factory=Counter)
    disconnects: Counter[str] = field(default_factory=Counter)  # by reason

    async def connect(self, url: str, token: str) -> None:
        async def record(event: str, *_: Any) -> None:
            self.events[event] += 1

        async def disconnected(reason: Any = "unknown", *_: Any) -> None:
            self.disconnects[str(reason)] += 1

        self.sio.on("*", record)
        self.sio.on("disconnect", disconnected)
        await self.sio.connect(
            url, auth={"token": token}, transports=["websocket"], wait_timeout=15
        )
        deadline = time.monotonic() + 15
        while not self.events["session:ready"]:
            if time.monotonic() > deadline:
                raise RuntimeError("no session:ready from the gateway in 15 s")
            await asyncio.sleep(0.05)


class Driver:
    """Plays Meta (signed deliveries to the api) and the agents (replies and list pages
    through the api, sockets on the gateway)."""

    def __init__(self, cluster: Stack, seed: int) -> None:
        self.cluster = cluster
        self.api = cluster.url("api")
        # Pooled connections are dropped after 1 s idle, well before uvicorn closes them
        # (5 s): else a request may go out on a connection the server is closing (ReadError).
        self.http = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT, limits=httpx.Limits(keepalive_expiry=1.0)
        )
        self.limit = asyncio.Semaphore(IN_FLIGHT)
        self.rng = random.Random(seed)  # noqa: S311 - workload variety, not crypto
        self.token = ""
        self.conversations: list[str] = []
        self.watchers: list[Watcher] = []
        self.tallies = {name: Tally() for name in ("webhooks", "replies", "lists", "socket calls")}

    async def prepare(self, sockets: int) -> None:
        """Sign in, let each customer write once through metasim (so Meta knows them and
        their 24-hour windows are open), wait for their conversations, connect sockets."""
        response = await self.http.post(
            f"{self.api}/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        response.raise_for_status()
        self.token = response.json()["access_token"]
        sim, hook = self.cluster.url("metasim"), f"{self.api}/api/webhooks/meta"
        for customer in range(CUSTOMERS):
            for path, body in (
                ("/_sim/messenger/deliver", {"page_id": DEMO_PAGE_ID, "psid": psid(customer),
                 "first_name": "Customer", "last_name": str(customer)}),
                ("/_sim/whatsapp/deliver", {"phone_number_id": DEMO_WA_NUMBER_ID,
                 "wa_id": wa_id(customer), "name": f"Customer {customer}"}),
            ):  # fmt: skip
                answer = await self.http.post(
                    f"{sim}{path}", json={**body, "text": "hello", "url": hook}
                )
                if answer.status_code != 200 or not answer.json().get("delivered"):
                    raise RuntimeError(f"introducing customer {customer}: {answer.text[:300]}")

        async def every_conversation() -> bool:
            page = await self.http.get(
                f"{self.api}/api/inbox/conversations",
                params={"limit": 2 * CUSTOMERS},
                headers=self.headers,
            )
            self.conversations = [item["id"] for item in page.json()["items"]]
            return len(self.conversations) == 2 * CUSTOMERS

        await wait_until(every_conversation, "every customer's conversation", 120)
        for _ in range(sockets):
            watcher = Watcher()
            await watcher.connect(self.cluster.url("realtime"), self.token)
            self.watchers.append(watcher)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _timed(self, tally: Tally, expected: int, request: Awaitable[httpx.Response]) -> None:
        async with self.limit:
            started = time.perf_counter()
            try:
                response = await request
            except httpx.HTTPError as exc:
                tally.errors[type(exc).__name__] += 1
                return
            if response.status_code == expected:
                tally.ok += 1
                tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                tally.errors[str(response.status_code)] += 1

    async def webhook(self, n: int) -> None:
        body = delivery(n, self.rng)
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        url = f"{self.api}/api/webhooks/meta"
        await self._timed(
            self.tallies["webhooks"], 200, self.http.post(url, content=body, headers=headers)
        )

    async def reply(self, n: int) -> None:
        conversation = self.conversations[n % len(self.conversations)]
        request = self.http.post(
            f"{self.api}/api/inbox/conversations/{conversation}/messages",
            json={"text": f"Thanks for writing, we are on it ({n})."},
            headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        await self._timed(self.tallies["replies"], 202, request)

    async def list_page(self, n: int) -> None:
        params: dict[str, str | int] = {"limit": 50}
        if n % 2:
            params["folder"] = "all"
        request = self.http.get(
            f"{self.api}/api/inbox/conversations", params=params, headers=self.headers
        )
        await self._timed(self.tallies["lists"], 200, request)

    async def agent(self, watcher: Watcher, first: int, seconds: float) -> None:
        """An agent at work on its socket: every AGENT_STEP_SECONDS it opens another
        conversation (leave the last, join, typing start and stop), each call answered
        through its ack."""
        tally = self.tallies["socket calls"]

        async def call(event: str, conversation: str) -> None:
            started = time.perf_counter()
            try:
                ack = await watcher.sio.call(
                    event, {"conversation_id": conversation}, timeout=REQUEST_TIMEOUT
                )
            except Exception as exc:  # a timeout or a dropped socket: counted
                tally.errors[f"{event} {type(exc).__name__}"] += 1
                return
            if isinstance(ack, dict) and ack.get("ok"):
                tally.ok += 1
                tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                tally.errors[f"{event} {ack.get('error') if isinstance(ack, dict) else ack}"] += 1

        loop = asyncio.get_running_loop()
        end, step, previous = loop.time() + seconds, first, None
        while loop.time() < end:
            conversation = self.conversations[step % len(self.conversations)]
            if previous is not None:
                await call("conversation:leave", previous)
            await call("conversation:join", conversation)
            await call("typing:start", conversation)
            await call("typing:stop", conversation)
            previous, step = conversation, step + len(self.watchers)
            await asyncio.sleep(AGENT_STEP_SECONDS)

    async def run(self, seconds: float, rate: float, replies: float, lists: float) -> None:
        await asyncio.gather(
            *(self.agent(watcher, n, seconds) for n, watcher in enumerate(self.watchers)),
            steady(rate, seconds, self.webhook),
            steady(replies, seconds, self.reply),
            steady(lists, seconds, self.list_page),
        )

    async def close(self) -> None:
        for watcher in self.watchers:
            with contextlib.suppress(Exception):
                await watcher.sio.disconnect()
        await self.http.aclose()


async def backlog() -> dict[str, int]:
    """What the workers had not finished yet: webhook events not processed, replies not
    yet sent to Meta."""
    conn = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
    try:
        events = await conn.fetchval(
            "SELECT count(*) FROM webhook_events WHERE status::text <> 'processed'"
        )
        unsent = await conn.fetchval(
            "SELECT count(*) FROM messages WHERE direction = 'outbound' AND external_id IS NULL"
        )
        total = await conn.fetchval("SELECT count(*) FROM webhook_events")
    finally:
        await conn.close()
    return {
        "webhook events": int(total),
        "not processed": int(events),
        "replies unsent": int(unsent),
    }


# --------------------------------------------------------------------------- explain

# Each process's code, imported (and its app built) the way its command does.
ENTRY = {
    "api": "from api.main import create_app; create_app()",
    "realtime": "from realtime.main import create_app; create_app()",
    "worker": "import worker.main; worker.main.WorkerSettings",
    "webhook-worker": "import worker.main; worker.main.WebhookWorkerSettings",
    "metasim": "import metasim.main; metasim.main.app",
}
PROBE = """
import json, sys, time, tracemalloc
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
trace = sys.argv[2] == "trace"
if trace:
    tracemalloc.start(1)
base, before = rss(), set(sys.modules)
started = time.perf_counter()
exec(sys.argv[1])
seconds = time.perf_counter() - started
modules = [m for m in sys.modules if m not in before]
top = {}
for m in modules:
    top[m.split(".")[0]] = top.get(m.split(".")[0], 0) + 1
out = {"rss_base": base, "rss": rss(), "modules": len(sys.modules), "new": len(modules),
       "seconds": seconds, "by_package": sorted(top.items(), key=lambda kv: -kv[1])[:12]}
if trace:
    sizes = {}
    for stat in tracemalloc.take_snapshot().statistics("filename"):
        path = stat.traceback[0].filename
        key = path.split("site-packages/")[-1].split("/")[0] if "site-packages" in path else (
            path.split("/")[-2] if "/" in path else path)
        sizes[key] = sizes.get(key, 0) + stat.size
    out["traced"] = sum(sizes.values())
    out["by_allocation"] = sorted(sizes.items(), key=lambda kv: -kv[1])[:12]
print(json.dumps(out))
"""


def explain(name: str, env: dict[str, str]) -> list[str]:
    """What importing process `name`'s code costs in a fresh interpreter: RSS before and
    after, modules loaded (by top-level package), and (a second run under tracemalloc)
    the Python allocations by package."""
    lines = [f"{name}: {ENTRY[name]}"]
    results: dict[str, Any] = {}
    for mode in ("plain", "trace"):
        done = subprocess.run(  # noqa: S603 - our own probe
            [sys.executable, "-c", PROBE, ENTRY[name], mode],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return [*lines, f"  probe failed: {done.stderr[-800:]}"]
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    plain, trace = results["plain"], results["trace"]
    lines.append(
        f"  interpreter {plain['rss_base'] / MIB:.1f} MiB -> after import {plain['rss'] / MIB:.1f}"
        f" MiB in {plain['seconds']:.1f}s; {plain['new']} modules loaded ({plain['modules']} in all)"
    )
    packages = ", ".join(f"{p} {n}" for p, n in plain["by_package"])
    lines.append(f"  modules by package: {packages}")
    allocations = ", ".join(f"{p} {s / MIB:.1f}" for p, s in trace["by_allocation"])
    lines.append(
        f"  Python allocations {trace['traced'] / MIB:.1f} MiB by package (MiB): {allocations}"
    )
    return lines


# --------------------------------------------------------------------------- report


def mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:.1f}"


@dataclass
class Phases:
    idle: dict[str, Memory]
    load: list[dict[str, Memory]]
    after: dict[str, Memory]

    def peak(self, name: str) -> Memory | None:
        samples = [s[name] for s in self.load if name in s]
        return max(samples, key=lambda m: m.rss) if samples else None

    def end(self, name: str) -> Memory | None:
        return self.load[-1].get(name) if self.load else None


def table(phases: Phases) -> tuple[list[str], list[str]]:
    """The printed table (MiB) and the verdict per process."""
    header = (
        f"{'process':<15} {'procs':>5} {'idle RSS':>9} {'PSS':>7} {'USS':>7} {'peak RSS':>9}"
        f" {'end RSS':>8} {'after RSS':>9} {'PSS':>7} {'USS':>7}  target idle <= {TARGET_MIB:.0f} MiB"
    )
    lines, verdicts = [header, "-" * len(header)], []
    for name in LONG_RUNNING:
        idle, peak, end, after = (
            phases.idle.get(name), phases.peak(name), phases.end(name), phases.after.get(name)
        )  # fmt: skip
        if idle is None:
            verdict = "not measured"
        elif idle.rss / MIB <= TARGET_MIB:
            verdict = f"met ({TARGET_MIB - idle.rss / MIB:.1f} MiB to spare)"
        else:
            verdict = f"MISSED by {idle.rss / MIB - TARGET_MIB:.1f} MiB"
        verdicts.append(f"{name} {verdict}")
        lines.append(
            f"{name:<15} {idle.processes if idle else 0:>5} {mib(idle.rss if idle else None):>9}"
            f" {mib(idle.pss if idle else None):>7} {mib(idle.uss if idle else None):>7}"
            f" {mib(peak.rss if peak else None):>9} {mib(end.rss if end else None):>8}"
            f" {mib(after.rss if after else None):>9} {mib(after.pss if after else None):>7}"
            f" {mib(after.uss if after else None):>7}  {verdict}"
        )
    return lines, verdicts


def over_target(phases: Phases) -> list[str]:
    return [n for n in LONG_RUNNING if n in phases.idle and phases.idle[n].rss / MIB > TARGET_MIB]


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    base = Path(tempfile.mkdtemp(prefix="parley-bench-memory-"))
    print(f"database {DATABASE}: drop, create, migrate; Redis index 9 flushed; logs in {base}")
    started = time.monotonic()
    cluster = await start_stack(base)
    problems: list[str] = []
    driver: Driver | None = None
    try:
        print(f"{len(cluster.processes)} processes ready in {time.monotonic() - started:.0f}s;"
              f" settling {SETTLE_SECONDS:.0f}s")  # fmt: skip
        await asyncio.sleep(SETTLE_SECONDS)
        idle = measure(cluster.pids)
        print("idle measured; seeding the demo tenant, introducing customers, connecting sockets")
        await asyncio.to_thread(seed_demo, cluster)
        driver = Driver(cluster, seed=random.SystemRandom().randrange(2**32))
        await driver.prepare(args.sockets)
        print(
            f"load: {args.seconds:.0f}s of {args.rate:g} deliveries/s, {args.replies:g} replies/s,"
            f" {args.lists:g} list pages/s, {args.sockets} sockets"
        )
        sampler = Sampler(cluster.pids)
        sampler.start()
        cpu_before, load_started = cpu_seconds(cluster.pids), time.monotonic()
        try:
            await driver.run(args.seconds, args.rate, args.replies, args.lists)
        finally:
            samples = sampler.stop()
        load_seconds = time.monotonic() - load_started
        cpu = {
            name: 100 * (used - cpu_before[name]) / load_seconds
            for name, used in cpu_seconds(cluster.pids).items()
        }
        machine_load, pressure = os.getloadavg()[0], cpu_pressure()
        await asyncio.sleep(AFTER_SECONDS)
        after = measure(cluster.pids)
        left = await backlog()
        events = [watcher.events["message:new"] for watcher in driver.watchers]
        kinds = sum((watcher.events for watcher in driver.watchers), Counter[str]())
        dropped = sum((watcher.disconnects for watcher in driver.watchers), Counter[str]())
        dead = cluster.dead()
    finally:
        if driver is not None:
            await driver.close()
        await asyncio.to_thread(cluster.stop)
        Redis.from_url(REDIS_URL).flushdb()

    phases = Phases(idle, samples, after)
    lines, verdicts = table(phases)
    print(f"\nRSS per process tree, MiB (load {load_seconds:.1f}s, {len(samples)} samples;"
          f" after = {AFTER_SECONDS:.0f}s after the load)")  # fmt: skip
    print("\n".join(lines))
    asked = {"webhooks": args.rate, "replies": args.replies, "lists": args.lists,
             "socket calls": args.sockets}  # fmt: skip
    for name, tally in driver.tallies.items():
        errors = ", ".join(f"{k} x{v}" for k, v in tally.errors.items()) or "none"
        print(f"{name}: {tally.ok} ok (p50 {tally.quantile(0.5):.0f} ms, p99 "
              f"{tally.quantile(0.99):.0f} ms), errors {errors}")  # fmt: skip
        if tally.errors:
            problems.append(f"{name} errors: {dict(tally.errors)}")
        if not tally.ok and asked[name] > 0:
            problems.append(f"no {name} succeeded")
    print(f"sockets: message:new per socket {events}, disconnects {dict(dropped) or 0};"
          f" events of all sockets {dict(kinds)}")  # fmt: skip
    print(f"backlog {AFTER_SECONDS:.0f}s after the load: {left}")
    print(
        "CPU during the load, % of one core: "
        + ", ".join(f"{name} {share:.0f}" for name, share in cpu.items())
        + f"; machine load average (1 min) {machine_load:.1f} on {os.cpu_count()} cores"
        + (f", tasks waiting for a CPU {pressure:.0f}% of the last minute" if pressure else "")
    )
    if dead:
        problems.append(f"processes exited during the run: {dead}")
    if dropped:
        problems.append(
            f"sockets disconnected during the run: {dict(dropped)}; the client logged"
            f" {dict(CLIENT_LOG.messages)}"
        )
    if args.rate > 0 and (not events or min(events) == 0):
        problems.append("a socket got no message:new")
    missing = [n for n in LONG_RUNNING if n not in idle or n not in after]
    if missing:
        problems.append(f"not measured: {missing}")
    met = sum(1 for v in verdicts if " met " in v)
    print(f"\ntarget each process <= {TARGET_MIB:.0f} MiB RSS at idle: {met}/{len(verdicts)} met")
    for verdict in verdicts:
        print(f"  {verdict}")

    wanted = list(LONG_RUNNING) if args.explain else over_target(phases)
    if wanted:
        print("\nwhat each process loads (fresh interpreter, import + app built):")
        for name in wanted:
            print("\n".join(explain(name, cluster.env)))

    def brief(name: str) -> str:
        idle_m, peak_m, after_m = phases.idle.get(name), phases.peak(name), phases.after.get(name)
        return (f"{name} {mib(idle_m.rss if idle_m else None)}/{mib(peak_m.rss if peak_m else None)}"
                f"/{mib(after_m.rss if after_m else None)}")  # fmt: skip

    tallies = driver.tallies
    line = (
        f"memory {args.seconds:.0f}s load ({args.rate:g} deliveries/s, {args.replies:g} replies/s,"
        f" {args.lists:g} list pages/s, {args.sockets} sockets), one of each process"
        f" · RSS MiB idle/peak/after: " + ", ".join(brief(n) for n in LONG_RUNNING)
        + f" · served {tallies['webhooks'].ok} deliveries, {tallies['replies'].ok} replies,"
        f" {tallies['lists'].ok} pages, {tallies['socket calls'].ok} socket calls · target <= {TARGET_MIB:.0f} MiB idle: {met}/{len(verdicts)}"
        " met" + "".join(f"; {v}" for v in verdicts if "MISSED" in v)
        + f" · during the load: machine load average {machine_load:.1f}"
        + (f", tasks waiting for a CPU {pressure:.0f}% of the time" if pressure else "")
        + (f" · checks FAILED: {'; '.join(problems)}" if problems else " · checks ok")
    )  # fmt: skip
    append_result(
        f"- {utc_now()} · `{code_version()}` · {describe_machine()} · {line}", args.results
    )
    print(f"appended to {args.results}")
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
    else:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load")
    parser.add_argument("--rate", type=float, default=50.0, help="signed deliveries/s")
    parser.add_argument("--replies", type=float, default=5.0, help="agents' replies/s")
    parser.add_argument("--lists", type=float, default=5.0, help="conversation-list pages/s")
    parser.add_argument("--sockets", type=int, default=4, help="agents' Socket.IO clients")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="show what every process loads (else only those over)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to append")
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
