"""The inbox at scale: conversation pages, folder counts, filters and message search
through the real HTTP API of a tenant seeded to 100,000 conversations and 1,000,000
messages.

    .venv/bin/python bench/inbox.py [--conversations 100000 --messages 1000000]
                                    [--requests 300] [--reseed] [--explain]

Uses the machine's PostgreSQL (its own database `parley_bench_inbox`, migrated with the
project's `migrate` command) and Redis (index 4). The data is seeded once with COPY and
reused by later runs of the same size (`--reseed` starts again). The api runs as a
subprocess (`scripts/processes.py`), the owner signs in, and each scenario is requested
sequentially after a warm-up, with row-level security on as in production. Prints
p50/p95/p99/mean beside DESIGN.md's targets and appends one line to bench/RESULTS.md;
`--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the slowest scenario's slowest query.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from redis import Redis  # noqa: E402

from bench import stack  # noqa: E402
from bench.soak import RESULTS, append_result, code_version  # noqa: E402
from scripts.processes import command  # noqa: E402
from tests.reliability.harness import describe_machine, free_port, utc_now  # noqa: E402

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "parley_bench_inbox"
REDIS_URL = "redis://127.0.0.1:6379/4"
OWNER_EMAIL = "owner@inbox-bench.example.com"
OWNER_PASSWORD = "inbox-bench-password"  # noqa: S105 - a throwaway bench account
JWT_SECRET = "inbox-bench-jwt-secret-0123456789abcdef-0123"  # noqa: S105
APP_SECRET = "inbox-bench-app-secret"  # noqa: S105
# DESIGN.md "Targets": a page of 50 conversations p99 <= 15 ms; message search p99 <= 60 ms.
PAGE_TARGET_MS = 15.0
SEARCH_TARGET_MS = 60.0
OWNED_ENV_PREFIXES = stack.OWNED_ENV_PREFIXES
BATCH = 50_000
SEEDING_MARK = "(seeding)"

# Message text: a small everyday vocabulary (so a common word matches a large share of
# the tenant's messages) and a few rare words (a handful of matches each).
_WORDS = (
    "hi hello thanks thank you please order delivery package shipping tracking number "
    "refund return exchange size colour color price discount code coupon invoice payment "
    "card paypal transfer account password login address street city postcode phone email "
    "today tomorrow yesterday week monday friday morning evening time when where why how "
    "what can could would should is are was were be been have has had do does did not no "
    "yes ok okay sure great good bad late early still waiting arrived received sent lost "
    "broken damaged wrong missing item items product stock available sold out new old "
    "store shop online website app help support question problem issue answer update "
    "status confirm confirmed cancel cancelled change changed the a an and or but to of in "
    "on for with from my your our it this that we i me us they them"
)
VOCABULARY = tuple(_WORDS.split())
COMMON_WORD = "order"  # in about one message in five
RARE_WORDS = ("zanzibarite", "quillfeather", "obsidianfox")  # a few dozen messages each
RARE_SHARE = 0.00005
LABELS = ("vip", "refund", "billing", "shipping", "complaint", "lead", "wholesale")


# --------------------------------------------------------------------------- seeding


@dataclass
class Tenant:
    id: uuid.UUID
    owner_id: uuid.UUID
    agents: list[uuid.UUID]
    messenger_id: uuid.UUID
    whatsapp_id: uuid.UUID


def sentence(rng: random.Random) -> str:
    words = rng.choices(VOCABULARY, k=rng.randint(4, 18))
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words) + 1), COMMON_WORD)
    if rng.random() < RARE_SHARE * len(RARE_WORDS):
        words.insert(rng.randrange(len(words) + 1), rng.choice(RARE_WORDS))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice((".", "?", "!", ""))


def spread(total: int, buckets: int, rng: random.Random) -> list[int]:
    """`total` messages over `buckets` conversations, each at least one, skewed: most
    threads are short, a few long (a Pareto tail, capped near a thousand messages)."""
    weights = [min(rng.paretovariate(1.3), 400.0) for _ in range(buckets)]
    scale = (total - buckets) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in rng.choices(range(buckets), k=total - sum(counts)):
        counts[i] += 1
    return counts


async def copy(conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: Any) -> None:
    await conn.copy_records_to_table(table, records=rows, columns=list(columns))


async def seed_tenant(
    conn: asyncpg.Connection,
    *,
    name: str,
    n: int,
    conversations: int,
    messages: int,
    password_hash: str,
    rng: random.Random,
    now: datetime,
    log: Callable[[str], None],
) -> Tenant:
    tenant = Tenant(
        uuid.uuid4(), uuid.uuid4(), [uuid.uuid4() for _ in range(5)], uuid.uuid4(), uuid.uuid4()
    )
    await conn.execute(
        "INSERT INTO tenants (id, name) VALUES ($1, $2)", tenant.id, f"{name} {SEEDING_MARK}"
    )
    users = [
        (
            tenant.owner_id,
            tenant.id,
            OWNER_EMAIL if n == 1 else f"owner{n}@inbox-bench.example.com",
            password_hash,
            "Owner",
            "owner",
        )
    ]
    users += [
        (
            agent,
            tenant.id,
            f"agent{i}.t{n}@inbox-bench.example.com",
            password_hash,
            f"Agent {i}",
            "agent",
        )
        for i, agent in enumerate(tenant.agents)
    ]
    await copy(conn, "users", ("id", "tenant_id", "email", "password_hash", "name", "role"), users)
    await copy(
        conn,
        "channels",
        ("id", "tenant_id", "kind", "external_id", "name", "status", "waba_id", "display_phone_number", "is_primary"),
        [
            (tenant.messenger_id, tenant.id, "messenger", f"10400000000{n:04d}", f"Page {n}", "active", None, None, False),
            (tenant.whatsapp_id, tenant.id, "whatsapp", f"10900000000{n:04d}", f"WhatsApp {n}", "active", f"1100000000{n:04d}", f"+1 555-01{n:02d}", True),
        ],
    )  # fmt: skip
    counts = spread(messages, conversations, rng)
    assignees = [tenant.owner_id] * 3 + tenant.agents + [None] * 3
    contact_rows: list[tuple[Any, ...]] = []
    conversation_rows: list[tuple[Any, ...]] = []
    message_rows: list[tuple[Any, ...]] = []
    done = 0
    started = time.monotonic()

    async def flush(final: bool = False) -> None:
        nonlocal contact_rows, conversation_rows, message_rows
        # Conversations first: every message row refers to one.
        if not final and len(message_rows) < BATCH:
            return
        await copy(conn, "contacts", CONTACT_COLUMNS, contact_rows)
        await copy(conn, "conversations", CONVERSATION_COLUMNS, conversation_rows)
        await copy(conn, "messages", MESSAGE_COLUMNS, message_rows)
        contact_rows, conversation_rows, message_rows = [], [], []

    for c, count in enumerate(counts):
        channel = tenant.messenger_id if c % 2 else tenant.whatsapp_id
        contact_id, conversation_id = uuid.uuid4(), uuid.uuid4()
        # Activity is denser near now: about 1/60 of the threads were active each recent day.
        last_at = now - timedelta(seconds=min(rng.expovariate(1 / (60 * 86400)), 730 * 86400))
        status = rng.choices(("open", "pending", "snoozed", "resolved"), (40, 10, 5, 45))[0]
        # The thread's messages, oldest first, minutes to hours apart, ending at last_at.
        gaps = [0.0]
        for _ in range(count - 1):
            gaps.append(gaps[-1] + rng.expovariate(1 / 1800))
        stamps = [last_at - timedelta(seconds=g) for g in reversed(gaps)]
        last_inbound = None
        preview = ""
        for i, at in enumerate(stamps):
            kind = rng.random()
            text = sentence(rng)
            row: tuple[Any, ...]
            if kind < 0.55:
                row = (
                    uuid.uuid4(),
                    tenant.id,
                    conversation_id,
                    channel,
                    "inbound",
                    text,
                    f"m.{n}.{done + i}",
                    "received",
                    None,
                    at,
                    at,
                )
                last_inbound = at
            elif kind < 0.95:
                sent = rng.choice(("sent", "delivered", "read"))
                row = (
                    uuid.uuid4(),
                    tenant.id,
                    conversation_id,
                    channel,
                    "outbound",
                    text,
                    f"out.{n}.{done + i}",
                    sent,
                    rng.choice(assignees[:-3]),
                    None,
                    at,
                )
            else:
                row = (
                    uuid.uuid4(),
                    tenant.id,
                    conversation_id,
                    channel,
                    "note",
                    text,
                    None,
                    "received",
                    rng.choice(assignees[:-3]),
                    None,
                    at,
                )
            message_rows.append(row)
            preview = text
        done += count
        labels = rng.sample(LABELS, rng.choice((1, 1, 2))) if rng.random() < 0.15 else []
        unread = rng.randint(1, 5) if status in ("open", "pending") and rng.random() < 0.3 else 0
        snoozed_until = now + timedelta(hours=rng.randint(1, 72)) if status == "snoozed" else None
        contact_rows.append((contact_id, tenant.id, channel, f"{n}{c:012d}", f"Customer {n}-{c}"))
        conversation_rows.append(
            (conversation_id, tenant.id, channel, contact_id, status, rng.choice(assignees), labels, unread, last_at, last_inbound, preview[:280], snoozed_until, last_at)
        )  # fmt: skip
        await flush()
        if c and c % 20_000 == 0:
            rate = done / (time.monotonic() - started)
            log(f"  tenant {n}: {c} conversations, {done} messages ({rate:.0f} messages/s)")
    await flush(final=True)
    await conn.execute("UPDATE tenants SET name = $2 WHERE id = $1", tenant.id, name)
    return tenant


CONTACT_COLUMNS = ("id", "tenant_id", "channel_id", "external_id", "name")
CONVERSATION_COLUMNS = (
    "id", "tenant_id", "channel_id", "contact_id", "status", "assignee_id", "labels",
    "unread_count", "last_message_at", "last_inbound_at", "last_message_preview",
    "snoozed_until", "created_at",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "tenant_id", "conversation_id", "channel_id", "direction", "text", "external_id",
    "status", "author_user_id", "provider_timestamp", "sort_at",
)  # fmt: skip


def tenant_name(conversations: int, messages: int) -> str:
    return f"Inbox bench {conversations} conversations {messages} messages"


async def seeded(url: str, name: str) -> bool:
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM tenants WHERE name = $1", name))
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()


async def seed(conversations: int, messages: int, log: Callable[[str], None]) -> float:
    """Drop and create the database, migrate it, COPY both tenants in, ANALYZE."""
    from api.auth.passwords import hash_password

    started = time.monotonic()
    await stack.recreate_database(DATABASE)
    rng = random.Random(9)  # noqa: S311 - a replayable data set, not crypto
    now = datetime.now(UTC)
    password_hash = hash_password(OWNER_PASSWORD)
    conn = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
    try:
        small = max(1, conversations // 10)
        log(f"seeding the other tenant: {small} conversations, {messages // 10} messages")
        await seed_tenant(
            conn, name="Inbox bench neighbour", n=2, conversations=small,
            messages=max(small, messages // 10), password_hash=password_hash, rng=rng, now=now,
            log=log,
        )  # fmt: skip
        log(f"seeding the measured tenant: {conversations} conversations, {messages} messages")
        await seed_tenant(
            conn, name=tenant_name(conversations, messages), n=1, conversations=conversations,
            messages=messages, password_hash=password_hash, rng=rng, now=now, log=log,
        )  # fmt: skip
        log("ANALYZE")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return time.monotonic() - started


# --------------------------------------------------------------------------- measuring


@dataclass
class Scenario:
    name: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    search: bool = False
    timings: list[float] = field(default_factory=list)

    @property
    def target(self) -> float:
        return SEARCH_TARGET_MS if self.search else PAGE_TARGET_MS

    def quantile(self, q: float) -> float:
        ordered = sorted(self.timings)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def api_env(port: int) -> dict[str, str]:
    return stack.api_env(
        database=DATABASE,
        redis_url=REDIS_URL,
        app_secret=APP_SECRET,
        jwt_secret=JWT_SECRET,
        name="inbox",
        # One user sends every request back to back: the per-user API limit is raised.
        SECURITY_API_PER_MINUTE="600000",
        SECURITY_API_BURST="100000",
    )


def start_api(port: int, log_file: Path) -> subprocess.Popen[bytes]:
    """The api on `port`, its log in `log_file`; ready once it answers its liveness check
    (readiness also wants object storage, which no inbox read uses)."""
    with log_file.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - the project's own command
            command("api", python=sys.executable, port=port),
            cwd=ROOT,
            env=api_env(port),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the api exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("the api did not become ready in 90 s")


def measure(
    client: httpx.Client, scenario: Scenario, requests: int, warmup: int, budget: float
) -> None:
    """`warmup` requests, then `requests` timed ones, back to back; a scenario far over
    its target stops after `budget` seconds of timed requests (at least 30 samples)."""
    deadline = None
    for i in range(warmup + requests):
        if i == warmup:
            deadline = time.monotonic() + budget
        elif deadline is not None and len(scenario.timings) >= 30 and time.monotonic() > deadline:
            break
        started = time.perf_counter()
        response = client.get(scenario.path, params=scenario.params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{scenario.name}: {response.status_code} {response.text[:300]}")
        if i >= warmup:
            scenario.timings.append(elapsed)


def scenarios(client: httpx.Client, tenant: dict[str, Any]) -> Iterator[Scenario]:  # fmt: skip
    listing = "/api/inbox/conversations"
    yield Scenario("page 1 (all, open)", listing, {"status": "open", "limit": 50})
    yield Scenario("page 1 (all, any status)", listing, {"limit": 50})
    cursor = None
    for _ in range(19):  # the cursor of page 20
        params: dict[str, Any] = {"status": "open", "limit": 50}
        if cursor:
            params["cursor"] = cursor
        cursor = client.get(listing, params=params).json()["next_cursor"]
    yield Scenario(
        "page 20 (keyset cursor)", listing, {"status": "open", "limit": 50, "cursor": cursor}
    )
    yield Scenario("folder counts", "/api/inbox/conversations/counts")
    yield Scenario("filter status=pending", listing, {"status": "pending", "limit": 50})
    yield Scenario("filter mine, open", listing, {"folder": "mine", "status": "open", "limit": 50})
    yield Scenario(
        "filter unassigned, open", listing, {"folder": "unassigned", "status": "open", "limit": 50}
    )
    yield Scenario("filter label=vip", listing, {"label": "vip", "limit": 50})
    yield Scenario("filter unread", listing, {"unread": "true", "limit": 50})
    yield Scenario("filter window=expiring", listing, {"window": "expiring", "limit": 50})
    yield Scenario(
        "filter channel=WhatsApp, open",
        listing,
        {"channel_id": tenant["whatsapp"], "status": "open", "limit": 50},
    )
    yield Scenario(
        f"search common word ({COMMON_WORD!r})",
        listing,
        {"q": COMMON_WORD, "limit": 50},
        search=True,
    )
    yield Scenario(
        f"search rare word ({RARE_WORDS[0]!r})",
        listing,
        {"q": RARE_WORDS[0], "limit": 50},
        search=True,
    )
    yield Scenario(
        "messages page (busy thread)",
        f"/api/inbox/conversations/{tenant['busy']}/messages",
        {"limit": 50},
    )


async def tenant_facts(name: str) -> dict[str, Any]:
    conn = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenants WHERE name = $1", name)
        whatsapp = await conn.fetchval(
            "SELECT id FROM channels WHERE tenant_id = $1 AND kind = 'whatsapp'", tenant_id
        )
        busy = await conn.fetchval(
            "SELECT conversation_id FROM messages WHERE tenant_id = $1"
            " GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1",
            tenant_id,
        )
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM conversations WHERE tenant_id = $1) AS conversations,"
            " (SELECT count(*) FROM messages WHERE tenant_id = $1) AS messages,"
            " (SELECT count(*) FROM messages WHERE tenant_id = $1 AND conversation_id = $2)"
            " AS busy_messages,"
            " (SELECT count(*) FROM messages) AS all_messages",
            tenant_id,
            busy,
        )
    finally:
        await conn.close()
    return {"id": tenant_id, "whatsapp": str(whatsapp), "busy": str(busy), **dict(counts)}


# --------------------------------------------------------------------------- explain


async def explain(scenario: Scenario, tenant_id: uuid.UUID, log: Callable[[str], None]) -> None:
    """Run the scenario's service call in process (RLS on, as the api does), time every
    statement it sends, and EXPLAIN (ANALYZE, BUFFERS) the slowest one."""
    os.environ.update({k: v for k, v in api_env(0).items() if k.startswith(OWNED_ENV_PREFIXES)})
    from sqlalchemy import event, text
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from api.inbox.filters import ConversationQuery
    from api.inbox.service import InboxService
    from api.inbox.workflow import ConversationWorkflow
    from api.models import Role
    from api.security.rls import enter_tenant
    from api.tenancy import TenantScope

    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}")
    captured: list[tuple[float, str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        captured.append((time.perf_counter() - conn.info["bench_started"], statement, params))

    try:
        async with AsyncSession(engine) as session:
            owner = (await session.execute(
                text("SELECT id FROM users WHERE tenant_id = :t AND role = 'owner'"), {"t": tenant_id}
            )).scalar_one()  # fmt: skip
            scope = TenantScope(tenant_id=tenant_id, user_id=owner, role=Role.OWNER)
            call: Callable[[], Awaitable[Any]]
            if scenario.path.endswith("/counts"):
                call = ConversationWorkflow(session, scope).counts
            elif scenario.path.endswith("/messages"):
                conversation = uuid.UUID(scenario.path.split("/")[-2])
                service = InboxService(session, scope)
                call = lambda: service.list_messages(conversation, cursor=None, limit=50)  # noqa: E731
            else:
                params = dict(scenario.params)
                if "status" in params:  # a repeatable query parameter
                    params["status"] = [params["status"]]
                query = ConversationQuery.model_validate(params)
                call = lambda: ConversationWorkflow(session, scope).find(query)  # noqa: E731
            for _ in range(3):  # warm, then keep the last run's statements
                await enter_tenant(session, tenant_id)
                captured.clear()
                await call()
                await session.rollback()
            statements = [
                c for c in captured if not c[1].lstrip().upper().startswith("SELECT SET_CONFIG")
            ]
            seconds, statement, params = max(statements, key=lambda c: c[0])
            await enter_tenant(session, tenant_id)
            connection = await session.connection()
            plan = await connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, params
            )
            log(f"\nEXPLAIN (ANALYZE, BUFFERS) of {scenario.name!r}'s slowest statement "
                f"({seconds * 1000:.1f} ms of {len(statements)} statements), as parley_tenant:")  # fmt: skip
            log(statement)
            log(f"-- parameters: {params}")
            for (line,) in plan:
                log(line)
            await session.rollback()
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- main


def report(rows: list[Scenario]) -> list[str]:
    header = f"{'scenario':<38} {'n':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}  {'target p99':>10}  result"
    lines = [header, "-" * len(header)]
    for s in rows:
        p50, p95, p99 = (s.quantile(q) for q in (0.5, 0.95, 0.99))
        verdict = "met" if p99 <= s.target else f"MISSED by {p99 - s.target:.1f} ms"
        lines.append(
            f"{s.name:<38} {len(s.timings):4d} {p50:7.1f} {p95:7.1f} {p99:7.1f} {statistics.fmean(s.timings):7.1f}"
            f"  {'<= ' + format(s.target, '.0f') + ' ms':>10}  {verdict}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="per scenario, after warm-up")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--budget",
        type=float,
        default=90.0,
        help="seconds of timed requests per scenario at most (a slow one stops early)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to append")
    parser.add_argument("--reseed", action="store_true", help="seed again even if seeded")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest scenario")
    args = parser.parse_args()
    if args.messages < args.conversations:
        parser.error("--messages must be at least --conversations")
    name = tenant_name(args.conversations, args.messages)
    url = f"{POSTGRES}/{DATABASE}"
    seed_note = "seed reused"
    if args.reseed or not asyncio.run(seeded(url, name)):
        seconds = asyncio.run(seed(args.conversations, args.messages, print))
        seed_note = f"seeded in {seconds:.0f}s"
        print(seed_note)
    else:  # data seeded by an earlier checkout: give it this one's indexes
        asyncio.run(stack.migrate_database(DATABASE))
    facts = asyncio.run(tenant_facts(name))
    print(
        f"tenant: {facts['conversations']} conversations, {facts['messages']} messages "
        f"({facts['all_messages']} in the database); busiest thread {facts['busy_messages']} messages"
    )
    Redis.from_url(REDIS_URL).flushdb()  # index 4 is this benchmark's: limits and lockouts
    port = free_port()
    api_log = Path(tempfile.gettempdir()) / f"parley-bench-inbox-api-{port}.log"
    api = start_api(port, api_log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            login = client.post(
                "/api/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
            )
            login.raise_for_status()
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            rows = []
            for scenario in scenarios(client, facts):
                measure(client, scenario, args.requests, args.warmup, args.budget)
                print(
                    f"  {scenario.name}: p99 {scenario.quantile(0.99):.1f} ms"
                    f" ({len(scenario.timings)} requests)"
                )
                rows.append(scenario)
    finally:
        api.terminate()
        api.wait(30)
    print(f"api log: {api_log}")
    lines = report(rows)
    print("\n" + "\n".join(lines))
    if args.explain:
        slowest = max(rows, key=lambda s: s.quantile(0.99) / s.target)
        asyncio.run(explain(slowest, facts["id"], print))
    missed = [s for s in rows if s.quantile(0.99) > s.target]
    figures = ", ".join(f"{s.name} {s.quantile(0.5):.1f}/{s.quantile(0.99):.1f}" for s in rows)
    line = (
        f"inbox {facts['conversations']} conversations / {facts['messages']} messages "
        f"(+ a neighbour tenant), {args.requests} sequential requests per scenario via the "
        f"api as the owner, RLS on, {seed_note} · p50/p99 ms: {figures} · targets (page "
        f"<= {PAGE_TARGET_MS:.0f} ms, search <= {SEARCH_TARGET_MS:.0f} ms p99): "
        + ("all met" if not missed else f"{len(rows) - len(missed)}/{len(rows)} met, missed: "
           + ", ".join(f"{s.name} (+{s.quantile(0.99) - s.target:.1f} ms)" for s in missed))
    )  # fmt: skip
    append_result(
        f"- {utc_now()} · `{code_version()}` · {describe_machine()} · {line}", args.results
    )
    print(f"appended to {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
