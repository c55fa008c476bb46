"""Outbound sends: replies queued the way the product queues them, sent by the real
worker through the Graph API to metasim across many WhatsApp numbers and Messenger pages;
throughput, and every number's rate as metasim saw it, beside Meta's per-number limit.

    .venv/bin/python bench/outbound.py [--numbers 20 --pages 2 --messages 10000 --workers 1]
                                       [--enqueue rest|service] [--whatsapp-rate 80]
                                       [--statuses] [--profile out.svg] [--results PATH]

Uses the machine's PostgreSQL (its own database `parley_bench_outbound`, dropped, created
and migrated with the project's `migrate` command at every run) and Redis (index 8,
flushed before and after). Every process runs on its production command
(`scripts/processes.py`): metasim (Parley's Graph base URL points at it), the api, and
`--workers` send workers (`worker`); with `--statuses` also the webhook worker. Each
customer first writes through metasim (so Meta lets the number or page answer them) and
the same conversation is seeded in the database with that message a minute old (the
24-hour window is open). With no send worker running, the owner then queues every reply
through `POST /api/inbox/conversations/{id}/messages` (or `Outbox.send` in this process
with `--enqueue service`), spread over every number and page; the workers start and the
backlog is timed until every reply is `sent`. Afterwards every Graph call metasim recorded
is checked: each reply reached Meta exactly once, and no number or page ever went above
Meta's rate in any one-second window. Prints the table, the targets met or missed and the
CPU per send, and appends one line to bench/RESULTS.md. Exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from bench import stack  # noqa: E402
from bench.inbox import CONTACT_COLUMNS, CONVERSATION_COLUMNS, MESSAGE_COLUMNS  # noqa: E402
from bench.soak import RESULTS, append_result, code_version  # noqa: E402
from bench.stack import cpu_seconds, machine_busy  # noqa: E402
from tests.processes import Running, serving  # noqa: E402
from tests.reliability.harness import describe_machine, free_port, utc_now  # noqa: E402

POSTGRES = stack.POSTGRES
DATABASE = "parley_bench_outbound"
REDIS_URL = "redis://127.0.0.1:6379/8"
APP_ID = "100000000000001"
APP_SECRET = "outbound-bench-app-secret"  # noqa: S105 - a throwaway bench secret
JWT_SECRET = "outbound-bench-jwt-secret-0123456789abcdef-0123"  # noqa: S105
OWNER_EMAIL = "owner@outbound-bench.example.com"
OWNER_PASSWORD = "outbound-bench-password"  # noqa: S105 - a throwaway bench account
WEBHOOK_PATH = "/api/webhooks/meta"
# DESIGN.md "Targets": never above Meta's per-number rate; >= 500 sends/s across numbers.
THROUGHPUT_TARGET = 500.0
# Meta's limits (meta-platform.md): Cloud API 80 messages/s per registered number (§5.5),
# Send API 300 calls/s per page for text (§4.5); the pair rate, about one message per 6 s
# to the same user, which metasim enforces with the burst Parley is configured with.
WHATSAPP_PER_SECOND = 80
MESSENGER_PER_SECOND = 300
PAIR_INTERVAL_MS = 6000
WINDOW = 1.0  # seconds: Meta counts sends in any one second
BATCH_EVENTS = 100  # customers' first messages per metasim batch (one signed delivery)
WA_KIND, PAGE_KIND = "whatsapp", "messenger"
DONE = ("sent", "delivered", "read", "failed")
FIRST_TEXT = "Hi, is my order on its way?"
ENQUEUE_PATHS = {
    "rest": "POST /api/inbox/conversations/{id}/messages",
    "service": "Outbox.send in process",
}


@dataclass
class Channel:
    id: uuid.UUID
    kind: str
    external_id: str
    token: str
    label: str
    waba_id: str | None = None
    customers: list[str] = field(default_factory=list)  # wa_ids / PSIDs
    conversations: list[uuid.UUID] = field(default_factory=list)
    messages: int = 0  # replies planned on it
    limit: int = MESSENGER_PER_SECOND  # Meta's sends per second for it


@dataclass
class Enqueued:
    accepted: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # message -> channel
    failures: Counter[str] = field(default_factory=Counter)  # replies never queued
    retried: Counter[str] = field(default_factory=Counter)  # requests tried again
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, per answered request

    @property
    def rate(self) -> float:
        return len(self.accepted) / max(self.seconds, 1e-6)

    def latency_ms(self, q: float) -> float:
        ordered = sorted(self.latencies) or [0.0]
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class ChannelResult:
    channel: Channel
    attempts: list[float] = field(default_factory=list)  # every Graph send, epoch seconds
    accepted: list[float] = field(default_factory=list)  # the ones Meta answered 200
    refused: Counter[str] = field(default_factory=Counter)  # error code -> calls

    @property
    def peak_attempts(self) -> int:
        return max_in_window(self.attempts)

    @property
    def peak_accepted(self) -> int:
        return max_in_window(self.accepted)

    @property
    def mean_rate(self) -> float:
        if len(self.accepted) < 2:
            return 0.0
        return (len(self.accepted) - 1) / max(self.accepted[-1] - self.accepted[0], 1e-6)


def busiest_window(times: list[float], window: float = WINDOW) -> list[float]:
    """The most calls in any `window` seconds (a sliding window, as metasim counts: calls
    less than `window` apart share one): their times. `times` sorted."""
    best, start, first = 0, 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        if end - start + 1 > best:
            best, first = end - start + 1, start
    return times[first : first + best]


def max_in_window(times: list[float], window: float = WINDOW) -> int:
    return len(busiest_window(times, window))


# --------------------------------------------------------------------------- processes


@dataclass
class Processes:
    base: Path
    env: dict[str, str]
    metasim: Running
    api: Running
    webhook_worker: Running
    workers: list[Running] = field(default_factory=list)
    worker_ports: dict[str, int] = field(default_factory=dict)

    def all(self) -> list[Running]:
        return [self.metasim, self.api, self.webhook_worker, *self.workers]

    def live(self) -> list[Running]:
        """The processes started so far (one that died is a failure)."""
        return [p for p in self.all() if p.popen is not None]

    def stop(self) -> None:
        for process in self.all():
            process.stop(timeout=30)


async def http_ok(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def wait_ready(urls: list[str], processes: list[Running], within: float = 120) -> None:
    deadline = time.monotonic() + within
    while True:
        for process in processes:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited early\n{process.tail()}")
        if all(await asyncio.gather(*(http_ok(url) for url in urls))):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready within {within:.0f}s: {urls}")
        await asyncio.sleep(0.1)


def new_worker(procs: Processes, n: int) -> Running:
    """Send worker n (`scripts/processes.py` `worker`), its HTTP port for readiness."""
    name = f"worker-{n}"
    port = procs.worker_ports.setdefault(name, free_port())
    return Running(name, {**procs.env, "WORKER_HTTP_PORT": str(port)}, procs.base, process="worker")


async def start_workers(procs: Processes, count: int) -> list[Running]:
    workers = [new_worker(procs, n).start() for n in range(1, count + 1)]
    procs.workers += workers
    urls = [f"http://127.0.0.1:{procs.worker_ports[w.name]}/readyz" for w in workers]
    await wait_ready(urls, workers)
    return workers


# --------------------------------------------------------------------------- seeding


def plan_channels(numbers: int, pages: int, whatsapp_rate: int) -> list[Channel]:
    channels = [
        Channel(
            uuid.uuid4(), WA_KIND, f"42000000{n:05d}", f"EAAG-outbound-wa-{n}", f"number {n}",
            waba_id=f"32000000000{n // 10:02d}", limit=whatsapp_rate,
        )
        for n in range(numbers)
    ]  # fmt: skip
    channels += [
        Channel(uuid.uuid4(), PAGE_KIND, f"10600000{n:05d}", f"EAAG-outbound-page-{n}", f"page {n}")
        for n in range(pages)
    ]
    return channels


def spread_messages(
    channels: list[Channel], messages: int, messenger_share: float, per_customer: int
) -> None:
    """How many replies each channel sends, and to how many customers (each customer gets
    at most `per_customer`, so the pair rate is not what paces a number)."""
    wa = [c for c in channels if c.kind == WA_KIND]
    pages = [c for c in channels if c.kind == PAGE_KIND]
    on_pages = round(messages * messenger_share) if pages and wa else (messages if pages else 0)
    for group, total in ((wa, messages - on_pages), (pages, on_pages)):
        for i, channel in enumerate(group):
            channel.messages = total // len(group) + (1 if i < total % len(group) else 0)
    for n, channel in enumerate(channels):
        count = max(1, math.ceil(channel.messages / per_customer))
        if channel.kind == WA_KIND:
            channel.customers = [f"1555{n:03d}{c:05d}" for c in range(count)]
        else:
            channel.customers = [f"73{n:03d}{c:010d}" for c in range(count)]


async def seed_database(channels: list[Channel], env: dict[str, str]) -> uuid.UUID:
    """The tenant, its owner and its channels (tokens sealed with the api's key)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from api.auth.passwords import hash_password
    from api.config import EncryptionSettings
    from api.crypto import SecretBox
    from api.models import Channel as ChannelRow
    from api.models import ChannelKind, Role, Tenant, User
    from api.vault import seal_token

    key_id, key = env["ENCRYPTION_KEYS"].split(":", 1)
    box = SecretBox(EncryptionSettings(keys={key_id: base64.b64decode(key)}, active_key_id=key_id))
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}")
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            tenant = Tenant(name="Outbound bench")
            session.add(tenant)
            await session.flush()
            session.add(
                User(
                    tenant_id=tenant.id,
                    email=OWNER_EMAIL,
                    password_hash=hash_password(OWNER_PASSWORD),
                    name="Owner",
                    role=Role.OWNER,
                )
            )
            first_number = True
            for channel in channels:
                row = ChannelRow(
                    id=channel.id,
                    tenant_id=tenant.id,
                    kind=ChannelKind.WHATSAPP if channel.kind == WA_KIND else ChannelKind.MESSENGER,
                    external_id=channel.external_id,
                    name=channel.label.capitalize(),
                    waba_id=channel.waba_id,
                    display_phone_number=f"+1 555-02{channel.external_id[-5:]}"
                    if channel.kind == WA_KIND
                    else None,
                    is_primary=channel.kind == WA_KIND and first_number,
                )
                first_number = first_number and channel.kind != WA_KIND
                seal_token(box, row, channel.token)
                session.add(row)
            await session.commit()
            return tenant.id
    finally:
        await engine.dispose()


async def register_in_metasim(
    http: httpx.AsyncClient, channels: list[Channel], statuses: bool, whatsapp_rate: int
) -> None:
    for channel in channels:
        if channel.kind == WA_KIND:
            body = {
                "waba_id": channel.waba_id,
                "display_phone_number": f"+1 555-02{channel.external_id[-5:]}",
                "verified_name": channel.label.capitalize(),
                "access_token": channel.token,
            }
            path = f"/_sim/whatsapp/numbers/{channel.external_id}"
        else:
            body = {"name": channel.label.capitalize(), "access_token": channel.token}
            path = f"/_sim/pages/{channel.external_id}"
        (await http.put(path, json=body)).raise_for_status()
    # Meta's own follow-ups (echoes, receipts, statuses) only with --statuses.
    settings = {
        "messenger_echoes": statuses,
        "messenger_receipts": statuses,
        "whatsapp_statuses": statuses,
    }
    (await http.post("/_sim/settings", json=settings)).raise_for_status()
    from api.config import OutboundSettings

    burst = OutboundSettings().whatsapp_pair_burst
    limits = {
        "whatsapp_per_second": whatsapp_rate,
        "whatsapp_pair_interval_ms": PAIR_INTERVAL_MS,
        "whatsapp_pair_burst": burst,
    }
    (await http.post("/_sim/limits", json=limits)).raise_for_status()


def customer_message_id(channel: Channel, customer: str) -> str:
    """The id of the customer's first message (a wamid or a Messenger mid)."""
    if channel.kind == WA_KIND:
        return f"wamid.HBgLOUTBENCH{customer}"
    return f"m_outbound-bench-{customer}"


async def introduce_customers(http: httpx.AsyncClient, channels: list[Channel], sink: str) -> int:
    """Every customer writes once through metasim, so Meta lets the business answer them
    (WhatsApp: a wa_id that wrote to the number; Messenger: a PSID known to the page). The
    deliveries go to `sink`, not to Parley: the database is seeded with the same messages
    directly (`seed_conversations`), so the benchmark does not depend on inbound processing."""
    deliveries = []
    for channel in channels:
        for start in range(0, len(channel.customers), BATCH_EVENTS):
            chunk = channel.customers[start : start + BATCH_EVENTS]
            if channel.kind == WA_KIND:
                events = [
                    {"phone_number_id": channel.external_id, "kind": "text", "wa_id": wa_id,
                     "name": f"Customer {wa_id}", "text": FIRST_TEXT,
                     "wamid": customer_message_id(channel, wa_id)}
                    for wa_id in chunk
                ]  # fmt: skip
                deliveries.append({"product": "whatsapp", "events": events, "url": sink})
            else:
                events = [
                    {"page_id": channel.external_id, "kind": "text", "psid": psid,
                     "first_name": "Customer", "last_name": psid[-4:], "text": FIRST_TEXT,
                     "mid": customer_message_id(channel, psid)}
                    for psid in chunk
                ]  # fmt: skip
                deliveries.append({"product": "messenger", "events": events, "url": sink})
    limit = asyncio.Semaphore(4)

    async def post(body: dict[str, Any]) -> None:
        async with limit:
            answer = await http.post("/_sim/batch", json=body, timeout=60)
        answer.raise_for_status()

    await asyncio.gather(*(post(body) for body in deliveries))
    return sum(len(c.customers) for c in channels)


async def seed_conversations(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, channels: list[Channel]
) -> None:
    """Each customer's contact, open conversation and first message (a minute ago: the
    24-hour window is open), as Parley stores an inbound message; COPY, then ANALYZE."""
    now = datetime.now(UTC)
    wrote = now - timedelta(minutes=1)
    contacts: list[tuple[Any, ...]] = []
    conversations: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    for channel in channels:
        for customer in channel.customers:
            contact_id, conversation_id = uuid.uuid4(), uuid.uuid4()
            contacts.append((contact_id, tenant_id, channel.id, customer, f"Customer {customer}"))
            conversations.append(
                (conversation_id, tenant_id, channel.id, contact_id, "open", None, [], 1, wrote,
                 wrote, FIRST_TEXT, None, wrote)
            )  # fmt: skip
            messages.append(
                (uuid.uuid4(), tenant_id, conversation_id, channel.id, "inbound", FIRST_TEXT,
                 customer_message_id(channel, customer), "received", None, wrote, wrote)
            )  # fmt: skip
            channel.conversations.append(conversation_id)
    for table, columns, rows in (
        ("contacts", CONTACT_COLUMNS, contacts),
        ("conversations", CONVERSATION_COLUMNS, conversations),
        ("messages", MESSAGE_COLUMNS, messages),
    ):
        await conn.copy_records_to_table(table, records=rows, columns=list(columns))
    await conn.execute("ANALYZE")


@contextlib.asynccontextmanager
async def sink() -> AsyncIterator[str]:
    """A webhook endpoint that answers 200 to anything (where metasim's introductions go)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async with serving(app) as url:
        yield f"{url}{WEBHOOK_PATH}"


# --------------------------------------------------------------------------- enqueue


def reply_plan(channels: list[Channel], rng: random.Random) -> list[tuple[uuid.UUID, Channel]]:
    """(conversation, channel) of every reply: each channel's share round-robin over its
    customers, all channels shuffled together (the queue mixes every number)."""
    plan = [
        (channel.conversations[i % len(channel.conversations)], channel)
        for channel in channels
        for i in range(channel.messages)
    ]
    rng.shuffle(plan)
    return plan


async def enqueue(
    api_url: str, plan: list[tuple[uuid.UUID, Channel]], concurrency: int
) -> Enqueued:
    """Queue every reply through the real endpoint, `concurrency` requests in flight, each
    with its own Idempotency-Key (a retried request never queues a second send)."""
    result = Enqueued()
    async with httpx.AsyncClient(
        base_url=api_url,
        timeout=60,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    ) as http:
        login = await http.post(
            "/api/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        )
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        queue: asyncio.Queue[tuple[int, uuid.UUID, Channel]] = asyncio.Queue()
        for n, (conversation, channel) in enumerate(plan):
            queue.put_nowait((n, conversation, channel))

        async def one(n: int, conversation: uuid.UUID, channel: Channel) -> None:
            body = {"text": f"Your order is on its way (reply {n})."}
            headers = {"Idempotency-Key": f"outbound-bench-{n}"}
            problem = ""
            for attempt in range(4):
                if problem:  # retried with the same key: at most one reply is queued
                    result.retried[problem] += 1
                    await asyncio.sleep(0.5 * 2**attempt)
                started = time.perf_counter()
                try:
                    answer = await http.post(
                        f"/api/inbox/conversations/{conversation}/messages",
                        json=body,
                        headers=headers,
                    )
                except httpx.TransportError as exc:
                    problem = type(exc).__name__
                    continue
                result.latencies.append(time.perf_counter() - started)
                if answer.status_code == 202:
                    result.accepted[uuid.UUID(answer.json()["id"])] = channel.id
                    return
                problem = f"HTTP {answer.status_code}"
                if answer.status_code < 500 and answer.status_code != 429:
                    break  # refused: retrying would not change it
            result.failures[problem] += 1

        async def runner() -> None:
            while not queue.empty():
                await one(*queue.get_nowait())

        started = time.monotonic()
        await asyncio.gather(*(runner() for _ in range(concurrency)))
        result.seconds = time.monotonic() - started
    return result


async def enqueue_in_process(
    env: dict[str, str], plan: list[tuple[uuid.UUID, Channel]], concurrency: int
) -> Enqueued:
    """The same replies through the api's own send path (`api.inbox.outbox.Outbox`, as the
    endpoint calls it: one unit of work each, row-level security on, the send job enqueued
    after commit), run in this process: no HTTP, authentication or serialisation."""
    os.environ.update({k: v for k, v in env.items() if k.startswith(stack.OWNED_ENV_PREFIXES)})
    from api.config import get_settings

    get_settings.cache_clear()
    from api.db import unit_of_work
    from api.inbox.outbox import Draft, Outbox
    from api.models import Role
    from api.security.rls import enter_tenant
    from api.tenancy import TenantScope

    result = Enqueued()
    conn = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
    try:
        owner = await conn.fetchrow("SELECT id, tenant_id FROM users WHERE email = $1", OWNER_EMAIL)
    finally:
        await conn.close()
    scope = TenantScope(
        tenant_id=owner["tenant_id"], user_id=owner["id"], role=Role.OWNER, actor_label=OWNER_EMAIL
    )
    rls = get_settings().security.row_level_security
    queue: asyncio.Queue[tuple[int, uuid.UUID, Channel]] = asyncio.Queue()
    for n, (conversation, channel) in enumerate(plan):
        queue.put_nowait((n, conversation, channel))

    async def one(n: int, conversation: uuid.UUID, channel: Channel) -> None:
        started = time.perf_counter()
        try:
            async with unit_of_work() as session:
                if rls:
                    await enter_tenant(session, scope.tenant_id)
                sent = await Outbox(session, scope).send(
                    conversation,
                    Draft(text=f"Your order is on its way (reply {n})."),
                    idempotency_key=f"outbound-bench-{n}",
                )
        except Exception as exc:
            result.failures[type(exc).__name__] += 1
            return
        result.latencies.append(time.perf_counter() - started)
        result.accepted[sent.message.id] = channel.id

    async def runner() -> None:
        while not queue.empty():
            await one(*queue.get_nowait())

    started = time.monotonic()
    await asyncio.gather(*(runner() for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result  # its connections stay open until `close_in_process` (counted CPU)


async def close_in_process() -> None:
    """Close what `enqueue_in_process` opened in this process."""
    from api.db import get_engine
    from api.redis import get_redis

    await get_redis().aclose()
    await get_engine().dispose()


# --------------------------------------------------------------------------- measuring


class CpuMeter:
    """CPU seconds spent during a phase by each process, this one, the backends of this
    benchmark's database on the machine's PostgreSQL (other databases' are not counted),
    and the whole machine. Backends come and go with the pools, so they are sampled every
    0.2 s on a connection of the meter's own: one that exits loses at most its last 0.2 s."""

    def __init__(self, procs: Processes) -> None:
        self.procs = procs
        self.before: dict[str, float] = {}
        self.after: dict[str, float] = {}
        self.backends: dict[int, tuple[float, float]] = {}  # pid -> (at start, last seen)
        self.conn: asyncpg.Connection | None = None
        self.task: asyncio.Task[None] | None = None

    def _processes(self) -> dict[str, float]:
        cpu = {p.name: cpu_seconds(p.popen.pid) for p in self.procs.live() if p.popen}
        cpu["bench"] = cpu_seconds(os.getpid())  # the REST client, or the in-process api
        cpu["machine"] = machine_busy()[0]
        return cpu

    async def _sample(self, first: bool = False) -> None:
        assert self.conn is not None
        rows = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            DATABASE,
        )
        for row in rows:
            cpu = cpu_seconds(row["pid"])
            start, last = self.backends.get(row["pid"], (cpu if first else 0.0, 0.0))
            self.backends[row["pid"]] = (start, max(last, cpu))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            await self._sample()

    async def __aenter__(self) -> CpuMeter:
        self.conn = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
        await self._sample(first=True)
        self.before = self._processes()
        self.task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None and self.conn is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.after = self._processes()
        await self._sample()
        await self.conn.close()

    def per_send(self, sends: int) -> dict[str, float]:
        """CPU milliseconds per send (or reply) of each over the phase."""
        used = {name: cpu - self.before.get(name, 0.0) for name, cpu in self.after.items()}
        used["postgres"] = sum(last - start for start, last in self.backends.values())
        machine = used.pop("machine")
        used["machine"] = machine  # last, as the total
        return {name: cpu * 1000 / max(sends, 1) for name, cpu in used.items()}


async def status_counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT status::text AS status, count(*) AS n FROM messages"
        " WHERE direction = 'outbound' GROUP BY status"
    )
    return {row["status"]: row["n"] for row in rows}


async def wait_drained(
    conn: asyncpg.Connection,
    total: int,
    final: tuple[str, ...],
    procs: list[Running],
    within: float,
    log: Callable[[str], None],
) -> tuple[bool, dict[str, int]]:
    deadline = time.monotonic() + within
    last_log = time.monotonic()
    while True:
        counts = await status_counts(conn)
        if sum(counts.get(s, 0) for s in final) >= total:
            return True, counts
        for process in procs:
            if not process.alive():
                log(f"{process.name} exited early\n{process.tail()}")
                return False, counts
        if time.monotonic() > deadline:
            return False, counts
        if time.monotonic() - last_log >= 2:
            last_log = time.monotonic()
            log(f"  {dict(sorted(counts.items()))}")
        await asyncio.sleep(0.1)


def reference_of(body: Any) -> str | None:
    """Our message id in a recorded send: WhatsApp `biz_opaque_callback_data`, Messenger
    `message.metadata`."""
    if not isinstance(body, dict):
        return None
    if "biz_opaque_callback_data" in body:
        return str(body["biz_opaque_callback_data"])
    message = body.get("message")
    if isinstance(message, dict) and "metadata" in message:
        return str(message["metadata"])
    return None


def answer_id(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    if "message_id" in response:
        return str(response["message_id"])
    messages = response.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return str(messages[0].get("id"))
    return None


def error_code(response: Any) -> str:
    error = response.get("error") if isinstance(response, dict) else None
    return str(error.get("code")) if isinstance(error, dict) else "?"


@dataclass
class Analysis:
    per_channel: list[ChannelResult]
    sends_by_message: Counter[str]  # accepted Graph sends per message id
    wamid_mismatch: int
    lost: list[str]
    duplicated: list[str]
    not_sent: Counter[str]  # DB status of replies not sent
    first_call: float
    last_sent: float
    refused: Counter[str]


async def analyse(
    conn: asyncpg.Connection,
    calls: list[dict[str, Any]],
    enqueued: Enqueued,
    channels: list[Channel],
) -> Analysis:
    by_channel = {c.id: ChannelResult(c) for c in channels}
    ours = {str(m): ch for m, ch in enqueued.accepted.items()}
    sends: Counter[str] = Counter()
    answered: dict[str, set[str]] = defaultdict(set)
    refused: Counter[str] = Counter()
    for call in calls:
        reference = reference_of(call.get("body"))
        if reference not in ours:
            continue
        result = by_channel[ours[reference]]
        at = datetime.fromisoformat(call["received_at"]).timestamp()
        result.attempts.append(at)
        if call["status_code"] == 200:
            result.accepted.append(at)
            sends[reference] += 1
            if (wamid := answer_id(call.get("response"))) is not None:
                answered[reference].add(wamid)
        else:
            code = error_code(call.get("response"))
            result.refused[code] += 1
            refused[code] += 1
    for result in by_channel.values():
        result.attempts.sort()
        result.accepted.sort()
    rows = await conn.fetch(
        "SELECT id::text AS id, status::text AS status, external_id, sent_at FROM messages"
        " WHERE direction = 'outbound'"
    )
    not_sent: Counter[str] = Counter()
    mismatch = 0
    sent_times = []
    for row in rows:
        if row["status"] not in ("sent", "delivered", "read"):
            not_sent[row["status"]] += 1
        if row["sent_at"] is not None:
            sent_times.append(row["sent_at"].timestamp())
        if row["external_id"] and row["external_id"] not in answered.get(row["id"], set()):
            mismatch += 1
    stored = {row["id"] for row in rows}
    lost = [m for m in ours if sends[m] == 0 or m not in stored]
    duplicated = [m for m in ours if sends[m] > 1]
    attempts = [t for r in by_channel.values() for t in r.attempts]
    return Analysis(
        per_channel=list(by_channel.values()),
        sends_by_message=sends,
        wamid_mismatch=mismatch,
        lost=lost,
        duplicated=duplicated,
        not_sent=not_sent,
        first_call=min(attempts, default=0.0),
        last_sent=max(sent_times, default=0.0),
        refused=refused,
    )


def send_job_runs(workers: list[Running]) -> Counter[str]:
    """How the send jobs' runs ended, from the workers' logs (arq logs each run): `sent`,
    `skipped`, `failed`, or `deferred` (arq's Retry: a rate-limit slot further away than a
    job waits, or a retryable Graph error's backoff)."""
    outcomes: Counter[str] = Counter()
    for worker in workers:
        for line in worker.output().splitlines():
            if "inbox.send_message \u25cf" in line:
                outcome = line.split("\u25cf", 1)[1].strip().strip('"}').strip()
                outcomes[outcome.strip("'").split(" ")[0]] += 1
            elif "inbox.send_message retrying job" in line:
                outcomes["deferred"] += 1
            elif "inbox.send_message cancelled" in line:
                outcomes["cancelled"] += 1
    return outcomes


def start_profile(worker: Running, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy on one send worker while it drains (a flame graph, or raw stacks for .txt)."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None or worker.popen is None:
        print("py-spy not found (pip install py-spy): not profiling")
        return None
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [spy, "record", "-o", str(out), "--pid", str(worker.popen.pid), "--rate", "200"]
        + (["--format", "raw"] if out.suffix == ".txt" else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# --------------------------------------------------------------------------- report


def channel_table(results: list[ChannelResult], configured: dict[str, float]) -> list[str]:
    header = (
        f"{'channel':<12} {'kind':<9} {'replies':>7} {'calls':>6} {'refused':>8} "
        f"{'mean/s':>7} {'peak 1s (calls)':>15} {'peak 1s (200s)':>14} "
        f"{'Meta limit':>10} {'configured':>10}  result"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        c = r.channel
        peak = r.peak_attempts
        verdict = "ok" if peak <= c.limit and not r.refused else "EXCEEDED"
        refused = ",".join(f"{k}x{v}" for k, v in r.refused.items()) or "0"
        lines.append(
            f"{c.label:<12} {c.kind:<9} {c.messages:>7} {len(r.attempts):>6} {refused:>8} "
            f"{r.mean_rate:>7.1f} {peak:>15} {r.peak_accepted:>14} {c.limit:>10} "
            f"{configured[c.kind]:>10.0f}  {verdict}"
        )
    return lines


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)  # noqa: S311 - a replayable workload, not crypto
    base = Path(tempfile.mkdtemp(prefix="parley-bench-outbound-"))
    ports = {name: free_port() for name in ("metasim", "api", "webhook-worker")}
    api_url = f"http://127.0.0.1:{ports['api']}"
    metasim_url = f"http://127.0.0.1:{ports['metasim']}"
    env = stack.api_env(
        database=DATABASE,
        redis_url=REDIS_URL,
        app_secret=APP_SECRET,
        jwt_secret=JWT_SECRET,
        name="outbound",
        META_APP_ID=APP_ID,
        META_GRAPH_BASE_URL=metasim_url,
        METASIM_WEBHOOK_URL=f"{api_url}{WEBHOOK_PATH}",
        WEBHOOK_WORKER_HTTP_PORT=str(ports["webhook-worker"]),
        # One owner queues every reply: the per-user API limit is raised.
        SECURITY_API_PER_MINUTE="6000000",
        SECURITY_API_BURST="1000000",
        # Parley paces each number at Meta's rate for it (80/s by default).
        OUTBOUND_WHATSAPP_PER_SECOND=str(args.whatsapp_rate),
    )
    procs = Processes(
        base=base,
        env=env,
        metasim=Running("metasim", env, base, port=ports["metasim"]),
        api=Running("api", env, base, port=ports["api"]),
        webhook_worker=Running("webhook-worker", env, base),
    )
    channels = plan_channels(args.numbers, args.pages, args.whatsapp_rate)
    spread_messages(channels, args.messages, args.messenger_share, args.per_customer)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await stack.recreate_database(DATABASE)
    tenant_id = await seed_database(channels, env)
    conn = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
    try:
        try:
            await seed_conversations(conn, tenant_id, channels)
            measured = await measure(args, procs, channels, conn, rng)
        finally:
            await asyncio.to_thread(procs.stop)
            await redis.flushdb()
            await redis.aclose()
        analysis = await analyse(conn, measured.calls, measured.enqueued, channels)
    finally:
        await conn.close()
    return report(args, channels, measured, analysis, base)


@dataclass
class Measured:
    enqueued: Enqueued
    enqueue_cpu: dict[str, float]
    drain_cpu: dict[str, float]
    drained: bool
    counts: dict[str, int]
    wall: float  # launching the workers to drained
    calls: list[dict[str, Any]]
    limits: dict[str, Any]
    job_runs: Counter[str]  # how the send jobs' runs ended


async def measure(
    args: argparse.Namespace,
    procs: Processes,
    channels: list[Channel],
    conn: asyncpg.Connection,
    rng: random.Random,
) -> Measured:
    log = print
    metasim_url, api_url = procs.metasim.url, procs.api.url
    log(f"logs in {procs.base}")
    # Meta's statuses, echoes and receipts only with --statuses: then the webhook worker
    # turns them into delivered/read.
    started = [procs.metasim, procs.api] + ([procs.webhook_worker] if args.statuses else [])
    log(f"starting {', '.join(p.name for p in started)}")
    for process in started:
        process.start()
    urls = [f"{metasim_url}/_sim/healthz", f"{api_url}/api/healthz"]
    if args.statuses:
        urls.append(f"http://127.0.0.1:{procs.env['WEBHOOK_WORKER_HTTP_PORT']}/readyz")
    await wait_ready(urls, started)
    async with httpx.AsyncClient(base_url=metasim_url, timeout=120) as sim:
        await register_in_metasim(sim, channels, args.statuses, args.whatsapp_rate)
        async with sink() as sink_url:
            customers = await introduce_customers(sim, channels, sink_url)
        log(
            f"{args.numbers} WhatsApp numbers, {args.pages} Messenger pages, {customers} "
            f"customers who wrote a minute ago"
        )
        # The backlog is queued with no send worker running.
        plan = reply_plan(channels, rng)
        how = "the api" if args.enqueue == "rest" else "Outbox in this process"
        log(f"queueing {len(plan)} replies through {how} ({args.concurrency} at once)")
        async with CpuMeter(procs) as meter:
            if args.enqueue == "rest":
                enqueued = await enqueue(api_url, plan, args.concurrency)
            else:
                enqueued = await enqueue_in_process(procs.env, plan, args.concurrency)
        enqueue_cpu = meter.per_send(len(plan))
        if args.enqueue == "service":
            await close_in_process()
        log(
            f"queued {len(enqueued.accepted)} in {enqueued.seconds:.1f}s: {enqueued.rate:.0f}/s"
            + (f", failures {dict(enqueued.failures)}" if enqueued.failures else "")
            + (f", retried {dict(enqueued.retried)}" if enqueued.retried else "")
        )
        total = len(enqueued.accepted)

        log(f"starting {args.workers} send worker(s)")
        launched = time.monotonic()
        workers = await start_workers(procs, args.workers)
        spy = start_profile(workers[0], args.profile) if args.profile else None
        final = ("read", "failed") if args.statuses else DONE
        async with CpuMeter(procs) as meter:
            drained, counts = await wait_drained(
                conn, total, final, procs.live(), args.timeout, log
            )
        wall = time.monotonic() - launched
        drain_cpu = meter.per_send(total)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            await asyncio.to_thread(spy.wait, 60)
            log(f"profile of {workers[0].name} in {args.profile}")
        calls = (await sim.get("/_sim/sent")).json()["items"]
        limits = (await sim.get("/_sim/limits")).json()
    runs = send_job_runs(workers)
    return Measured(enqueued, enqueue_cpu, drain_cpu, drained, counts, wall, calls, limits, runs)


def report(
    args: argparse.Namespace,
    channels: list[Channel],
    measured: Measured,
    analysis: Analysis,
    base: Path,
) -> int:
    from api.config import OutboundSettings
    from api.inbox.ratelimit import HEADROOM_PERCENT

    settings = OutboundSettings(whatsapp_per_second=args.whatsapp_rate)
    configured = {WA_KIND: settings.whatsapp_per_second, PAGE_KIND: settings.messenger_per_second}
    enqueued = measured.enqueued
    total = len(enqueued.accepted)
    planned = sum(c.messages for c in channels)
    span = max(analysis.last_sent - analysis.first_call, 1e-6)
    sent_ok = total - sum(analysis.not_sent.values())
    rate = sent_ok / span
    results = analysis.per_channel
    shown = results
    if len(results) > 30:  # the busiest channels only
        shown = sorted(results, key=lambda r: -r.peak_attempts)[:20]
    print()
    print("\n".join(channel_table(shown, configured)))
    if len(shown) < len(results):
        print(f"({len(results) - len(shown)} more channels, each at or below the last peak shown)")
    wa = [r for r in results if r.channel.kind == WA_KIND]
    pages = [r for r in results if r.channel.kind == PAGE_KIND]
    over = [r for r in results if r.peak_attempts > r.channel.limit]
    sim_peak = max(measured.limits.get("whatsapp_peak_per_second", {}).values(), default=0)
    wa_peak = max((r.peak_attempts for r in wa), default=0)
    page_peak = max((r.peak_attempts for r in pages), default=0)
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in measured.drain_cpu.items())
    enqueue_cpu = ", ".join(f"{k} {v:.2f}" for k, v in measured.enqueue_cpu.items())
    metasim_ms = measured.drain_cpu.get("metasim", 0.0)
    until = ("all read" if args.statuses else "all sent") if measured.drained else "the timeout"
    print()
    print(
        f"queueing: {total}/{planned} replies through {ENQUEUE_PATHS[args.enqueue]} in "
        f"{enqueued.seconds:.1f}s = {enqueued.rate:.0f}/s (p50 "
        f"{enqueued.latency_ms(0.5):.0f} ms, p99 {enqueued.latency_ms(0.99):.0f} ms); "
        f"CPU ms per reply [{enqueue_cpu}]"
    )
    print(
        f"sending: {args.workers} worker(s); first Graph call to the last `sent` {span:.2f}s "
        f"= {rate:.0f} sends/s; {measured.wall:.1f}s from launching the workers to {until}"
    )
    runs = sum(measured.job_runs.values())
    job_runs = (
        f"{runs} ({runs / max(total, 1):.2f} per reply: {dict(measured.job_runs.most_common())})"
        if runs
        else "not in the workers' logs (arq's job lines are logged at INFO)"
    )
    print(
        f"statuses in the database: {dict(sorted(measured.counts.items()))}; send job runs {job_runs}"
    )
    print(
        f"Graph calls: {sum(analysis.sends_by_message.values())} accepted, "
        f"{sum(analysis.refused.values())} refused {dict(analysis.refused) or ''}; peak in any "
        f"1 s per number {wa_peak} (Meta {args.whatsapp_rate}; metasim's own count of "
        f"accepted sends {sim_peak}), per page {page_peak} (Meta {MESSENGER_PER_SECOND})"
    )
    print(f"CPU ms per send while draining: [{cpu}]")
    failures: list[str] = []
    if enqueued.failures:
        failures.append(f"queueing failed: {dict(enqueued.failures)}")
    if not measured.drained:
        failures.append(f"not drained within {args.timeout:.0f}s: {measured.counts}")
    if over:
        failures.append(
            "above Meta's rate: "
            + ", ".join(f"{r.channel.label} {r.peak_attempts}/{r.channel.limit}" for r in over)
        )
    if analysis.refused:
        failures.append(f"Meta refused calls: {dict(analysis.refused)}")
    if analysis.lost:
        failures.append(f"{len(analysis.lost)} replies never reached Meta: {analysis.lost[:3]}")
    if analysis.duplicated:
        failures.append(
            f"{len(analysis.duplicated)} replies reached Meta more than once: "
            f"{analysis.duplicated[:3]}"
        )
    if analysis.not_sent:
        failures.append(f"replies not sent: {dict(analysis.not_sent)}")
    if analysis.wamid_mismatch:
        failures.append(f"{analysis.wamid_mismatch} stored ids differ from Meta's answer")
    throughput_ok = rate >= THROUGHPUT_TARGET
    rate_ok = not over and not {"130429", "131056"} & set(analysis.refused)
    throughput = f"target >= {THROUGHPUT_TARGET:.0f} sends/s across numbers: {rate:.0f}/s " + (
        "met" if throughput_ok else f"MISSED by {THROUGHPUT_TARGET - rate:.0f}/s"
    )
    per_number = (
        f"target never above Meta's per-number rate: peak {wa_peak}/{args.whatsapp_rate} per "
        f"number, {page_peak}/{MESSENGER_PER_SECOND} per page: " + ("met" if rate_ok else "MISSED")
    )
    print()
    print(throughput)
    print(per_number)
    ceiling = sum(r.channel.limit for r in results)
    print(
        f"(Meta's own ceiling for these channels: {ceiling} sends/s; metasim spent "
        f"{metasim_ms:.2f} CPU ms per send, so on one core it answers at most "
        f"~{1000 / max(metasim_ms, 1e-3):.0f}/s)"
    )
    for r in over:
        calls = busiest_window(r.attempts)
        gaps = ", ".join(f"{(b - a) * 1000:.0f}" for a, b in itertools.pairwise(calls))
        print(
            f"{r.channel.label}: {len(calls)} calls within {(calls[-1] - calls[0]) * 1000:.0f} ms "
            f"as metasim received them, ms apart: {gaps} (Parley paces "
            f"{1000 / configured[r.channel.kind] * (100 + HEADROOM_PERCENT) / 100:.0f} ms apart)"
        )
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    if not failures:
        print("checks passed: every reply reached Meta exactly once, none refused, none lost")
    line = (
        f"outbound {total} replies over {args.numbers} WhatsApp numbers + {args.pages} pages "
        f"(<= {args.per_customer} per customer), queued via {args.enqueue} at {enqueued.rate:.0f}/s "
        f"(concurrency {args.concurrency}; CPU ms per reply [{enqueue_cpu}]), "
        f"{args.workers} send worker(s){', Meta statuses on' if args.statuses else ''} · "
        f"{rate:.0f} sends/s (first call to last sent {span:.1f}s) · peak in any 1 s per "
        f"number {wa_peak} (limit {args.whatsapp_rate}), per page {page_peak} (limit "
        f"{MESSENGER_PER_SECOND}) · CPU ms per send [{cpu}] · targets: >= "
        f"{THROUGHPUT_TARGET:.0f}/s "
        + ("met" if throughput_ok else f"MISSED by {THROUGHPUT_TARGET - rate:.0f}/s")
        + f", per-number rate {'met' if rate_ok else 'MISSED'} · "
        + ("all checks passed" if not failures
           else f"{len(failures)} checks FAILED: " + "; ".join(failures)[:300])
    )  # fmt: skip
    append_result(
        f"- {utc_now()} · `{code_version()}` · {describe_machine()} · {line}", args.results
    )
    print(f"appended to {args.results}")
    if failures:
        (base / "metasim-sent.json").write_text(json.dumps(measured.calls))
        print(f"process logs and metasim's recorded sends (metasim-sent.json) kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=20, help="WhatsApp numbers")
    parser.add_argument("--pages", type=int, default=2, help="Messenger pages")
    parser.add_argument("--messages", type=int, default=10_000, help="replies to send")
    parser.add_argument(
        "--messenger-share", type=float, default=0.1, help="share of the replies on pages"
    )
    parser.add_argument("--per-customer", type=int, default=5, help="replies per customer at most")
    parser.add_argument(
        "--whatsapp-rate",
        type=int,
        default=WHATSAPP_PER_SECOND,
        help="Meta's sends/s per number, set in metasim and in Parley (80; 20 for numbers "
        "shared with the WhatsApp Business app; 1000 after Meta's upgrade)",
    )
    parser.add_argument("--workers", type=int, default=1, help="send worker processes")
    parser.add_argument(
        "--enqueue",
        choices=("rest", "service"),
        default="rest",
        help="queue the replies through the REST endpoint, or its service (Outbox) in process",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="replies queued at once")
    parser.add_argument(
        "--statuses",
        action="store_true",
        help="metasim sends its statuses/echoes/receipts back; wait until every reply is read",
    )
    parser.add_argument("--timeout", type=float, default=None, help="drain timeout, seconds")
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy profile of the first send worker while it drains (.svg, or .txt stacks)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to append")
    args = parser.parse_args()
    if args.numbers < 1 and args.pages < 1:
        parser.error("at least one number or page")
    args.timeout = args.timeout or max(120.0, args.messages / 20)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
