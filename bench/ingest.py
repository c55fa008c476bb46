"""Webhook ingest: signed deliveries against the real endpoint (verify, store, commit,
enqueue, then 200) beside a bare endpoint that only verifies the signature (the floor),
measured in the same run, so the ratio real/floor is the result.

    .venv/bin/python bench/ingest.py [--seconds 20 --concurrency 64 --rate 1000]
                                     [--client raw|httpx]

Uses the machine's PostgreSQL (its own database `parley_bench_ingest`, dropped, created
and migrated with the project's `migrate` command) and Redis (index 3, flushed before and
after). The api runs as a subprocess (`scripts/processes.py` `api`, no workers: ingest
only); the floor is `bench/floor_app.py` under uvicorn with the api's flags. A separate
load-generator process posts Messenger and WhatsApp text deliveries, each with unique
message ids: first at fixed concurrency (maximum throughput), then open-loop at a fixed
rate (latency from each request's scheduled send time). Afterwards every delivery
acknowledged with 200 by the api must be a row in `webhook_events`. Prints the figures
beside DESIGN.md's targets and appends one line to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from redis import Redis  # noqa: E402

from api.jobs import WEBHOOK_QUEUE_NAME  # noqa: E402
from bench import stack  # noqa: E402
from bench.soak import RESULTS, append_result, code_version  # noqa: E402
from scripts.processes import UVICORN, command  # noqa: E402
from tests.reliability.harness import describe_machine, free_port, utc_now  # noqa: E402

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "parley_bench_ingest"
REDIS_URL = "redis://127.0.0.1:6379/3"
APP_SECRET = "ingest-bench-app-secret"  # noqa: S105 - a throwaway bench secret
WEBHOOK_PATH = "/api/webhooks/meta"
# DESIGN.md "Targets": >= 4,000 verified deliveries/s acknowledged durably, p99 <= 20 ms
# at 1,000/s; a bare endpoint that only checks the signature serves ~9,000/s per worker.
THROUGHPUT_TARGET = 4000.0
P99_TARGET_MS = 20.0
OWNED_ENV_PREFIXES = stack.OWNED_ENV_PREFIXES
REQUEST_TIMEOUT = 10.0
MAX_OPEN_LOOP_CONNECTIONS = 512
WARMUP_SECONDS = 2.0
IDLE_SECONDS = 3.0  # a pooled connection idle longer is dropped (uvicorn's keep-alive is 5 s)


# --------------------------------------------------------------------------- payloads

_TEXTS = (
    "Hi, where is my order?",
    "Is the blue one still in stock in size M?",
    "Thanks! It arrived today \u2764\ufe0f",
    'My tracking number says \\"delivered\\" but nothing is here',
    "Can I change the delivery address to 12 Rue de la Paix, Paris?",
    "Do you ship to Canada? And how long does it take?",
    "ok",
    "I'd like a refund for order #48213, the item was damaged.",
)  # already JSON-escaped where needed


class Payloads:
    """Meta's compact delivery bodies (a Messenger page text, a WhatsApp text), each with
    a unique message id, signed with the app secret. Cheap to make: an f-string each."""

    def __init__(self, secret: str, seed: int) -> None:
        self.secret = secret.encode()
        self.rng = random.Random(seed)  # noqa: S311 - workload variety, not crypto
        self.prefix = f"{seed:08x}"
        self.n = 0

    def next(self) -> tuple[bytes, str]:
        self.n += 1
        unique = f"{self.prefix}{self.n:016x}"
        text = self.rng.choice(_TEXTS)
        ms = int(time.time() * 1000)
        if self.n % 2:
            page, psid = "104000000000001", f"2{self.n % 5000:015d}"
            body = (
                f'{{"object":"page","entry":[{{"id":"{page}","time":{ms},"messaging":[{{'
                f'"sender":{{"id":"{psid}"}},"recipient":{{"id":"{page}"}},"timestamp":{ms},'
                f'"message":{{"mid":"m_{unique}","text":"{text}"}}}}]}}]}}'
            )
        else:
            wa_id = f"4479{self.n % 5000:08d}"
            body = (
                f'{{"object":"whatsapp_business_account","entry":[{{"id":"110000000000001",'
                f'"changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{'
                f'"display_phone_number":"15550100199","phone_number_id":"109000000000001"}},'
                f'"contacts":[{{"profile":{{"name":"Customer {self.n % 5000}"}},"wa_id":"{wa_id}"}}],'
                f'"messages":[{{"from":"{wa_id}","id":"wamid.HBgL{unique.upper()}",'
                f'"timestamp":"{ms // 1000}","type":"text","text":{{"body":"{text}"}}}}]}},'
                f'"field":"messages"}}]}}]}}'
            )
        raw = body.encode()
        return raw, "sha256=" + hmac.new(self.secret, raw, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- clients

Post = Callable[[bytes, str], Awaitable[int]]


class RawConnection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: write the request, read
    the status line, headers and Content-Length body. Far cheaper than httpx per request,
    which matters when the load generator shares two cores with the servers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.last_used = 0.0
        self.head = (
            f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nUser-Agent: facebookexternalua\r\n"
        ).encode()

    async def post(self, body: bytes, signature: str) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        try:
            writer.write(
                self.head
                + f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("connection closed")
            status = int(status_line.split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


@dataclass
class PhaseResult:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)  # of 200s
    errors: dict[str, int] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)  # dedup keys (sha256 of the body) of 200s
    server_cpu: float = 0.0  # CPU seconds the endpoint's server process spent in the phase

    @property
    def cpu_ms(self) -> float:
        """Server CPU per acknowledged request: the figure a busy machine disturbs least."""
        return self.server_cpu * 1000 / self.ok if self.ok else 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def _record(
    result: PhaseResult, status: int | None, exc: BaseException | None, body: bytes, ms: float
) -> None:
    if status == 200:
        result.latencies_ms.append(ms)
        result.acked.append(hashlib.sha256(body).hexdigest())
    elif exc is not None:
        result.error(type(exc).__name__)
    else:
        result.error(str(status))


class Client:
    """The load generator's side of one endpoint: a pool of raw connections, or one httpx
    AsyncClient with a connection pool of the same size."""

    def __init__(self, kind: str, port: int, pool: int) -> None:
        self.kind, self.port = kind, port
        self.idle: list[RawConnection] = []
        self.http = (
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
                timeout=REQUEST_TIMEOUT,
            )
            if kind == "httpx"
            else None
        )
        self.available = asyncio.Semaphore(pool)

    async def post(self, body: bytes, signature: str) -> int:
        if self.http is not None:
            response = await self.http.post(
                WEBHOOK_PATH,
                content=body,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
            )
            return response.status_code
        # The timeout covers waiting for a free connection too (an open loop's backlog).
        async with asyncio.timeout(REQUEST_TIMEOUT), self.available:
            connection = None
            while self.idle:  # newest first; uvicorn closes connections idle for 5 s
                candidate = self.idle.pop()
                if time.monotonic() - candidate.last_used < IDLE_SECONDS:
                    connection = candidate
                    break
                candidate.close()
            connection = connection or RawConnection(self.port)
            try:
                return await connection.post(body, signature)
            finally:
                if connection.streams is not None:
                    connection.last_used = time.monotonic()
                    self.idle.append(connection)

    async def aclose(self) -> None:
        if self.http is not None:
            await self.http.aclose()
        for connection in self.idle:
            connection.close()


async def closed_loop(
    client: Client, payloads: Payloads, concurrency: int, seconds: float
) -> PhaseResult:
    """`concurrency` requests always in flight, each sent as soon as the last one answers."""
    result = PhaseResult()
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            body, signature = payloads.next()
            sent = time.perf_counter()
            status: int | None = None
            failure: BaseException | None = None
            try:
                status = await client.post(body, signature)
            except Exception as exc:  # counted, as Meta would retry
                failure = exc
            _record(result, status, failure, body, (time.perf_counter() - sent) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


async def open_loop(client: Client, payloads: Payloads, rate: float, seconds: float) -> PhaseResult:
    """Requests scheduled at a fixed `rate` whatever the answers (as Meta sends); each
    latency counts from the scheduled moment, so a stall shows in every request behind it."""
    result = PhaseResult()
    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()
    started = time.perf_counter()

    async def one(scheduled: float) -> None:
        body, signature = payloads.next()
        status: int | None = None
        failure: BaseException | None = None
        try:
            status = await client.post(body, signature)
        except Exception as exc:  # counted
            failure = exc
        _record(result, status, failure, body, (time.perf_counter() - scheduled) * 1000)

    for i in range(total):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT * 3)
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Plan:
    ports: dict[str, int]  # endpoint name -> port
    pids: dict[str, int]  # endpoint name -> its server's pid
    client: str
    concurrency: int
    rate: float
    seconds: float
    seed: int


async def measured(pid: int, phase: Coroutine[Any, Any, PhaseResult]) -> PhaseResult:
    """Run `phase`, recording the CPU the server process `pid` spent meanwhile."""
    before = stack.cpu_seconds(pid)
    result = await phase
    result.server_cpu = stack.cpu_seconds(pid) - before
    return result


def load(plan: Plan) -> dict[str, dict[str, PhaseResult]]:
    """The load generator (run in its own process): per endpoint a warm-up, the closed
    loop, then the open loop; endpoints one after the other, never at once."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        pass

    async def run() -> dict[str, dict[str, PhaseResult]]:
        payloads = Payloads(APP_SECRET, plan.seed)
        results: dict[str, dict[str, PhaseResult]] = {}
        for name, port in plan.ports.items():
            pool = max(plan.concurrency, MAX_OPEN_LOOP_CONNECTIONS)
            client = Client(plan.client, port, pool)
            try:
                pid = plan.pids[name]
                results[name] = {
                    "warmup": await closed_loop(client, payloads, plan.concurrency, WARMUP_SECONDS),
                    "throughput": await measured(
                        pid, closed_loop(client, payloads, plan.concurrency, plan.seconds)
                    ),
                    "latency": await measured(
                        pid, open_loop(client, payloads, plan.rate, plan.seconds)
                    ),
                }
            finally:
                await client.aclose()
        return results

    return asyncio.run(run())


# --------------------------------------------------------------------------- the stack


async def prepare_database() -> None:
    await stack.recreate_database(DATABASE)


async def stored_keys() -> set[str]:
    conn = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
    try:
        return {row[0] for row in await conn.fetch("SELECT dedup_key FROM webhook_events")}
    finally:
        await conn.close()


def server_env() -> dict[str, str]:
    return stack.api_env(
        database=DATABASE,
        redis_url=REDIS_URL,
        app_secret=APP_SECRET,
        jwt_secret="ingest-bench-jwt-secret-0123456789abcdef-0123",  # noqa: S106
        name="ingest",
    )


def start(argv: list[str], health: str, port: int, log_file: Path) -> subprocess.Popen[bytes]:
    """A server on `port`, its output in `log_file`; ready once `health` answers."""
    with log_file.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - the project's own commands
            argv, cwd=ROOT, env=server_env(), stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{argv[2:5]} exited with {process.returncode}:\n{tail}")
        try:
            httpx.get(f"http://127.0.0.1:{port}{health}", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"{argv[2:5]} did not answer in 90 s")


def floor_command(port: int) -> list[str]:
    """bench/floor_app.py under uvicorn with exactly the api's flags."""
    return [
        sys.executable, "-m", *UVICORN, "bench.floor_app:app",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


# --------------------------------------------------------------------------- main


def report(results: dict[str, dict[str, PhaseResult]], rate: float) -> tuple[list[str], list[str]]:
    """The printed table and the verdict lines against DESIGN.md's targets."""
    header = (
        f"{'endpoint':<8} {'phase':<22} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'ok':>7} {'cpu ms':>7}  errors"
    )
    lines = [header, "-" * len(header)]
    for name, phases in results.items():
        for phase, label in (
            ("throughput", "max (closed loop)"),
            ("latency", f"{rate:.0f}/s (open loop)"),
        ):
            r = phases[phase]
            errors = ", ".join(f"{k} x{v}" for k, v in r.errors.items()) or "0"
            lines.append(
                f"{name:<8} {label:<22} {r.rate:8.0f} {r.quantile(0.5):8.1f} {r.quantile(0.95):8.1f}"
                f" {r.quantile(0.99):8.1f} {r.ok:7d} {r.cpu_ms:7.2f}  {errors}"
            )  # fmt: skip
    real, floor = results["real"], results["floor"]
    ratio = real["throughput"].rate / max(floor["throughput"].rate, 1e-9)
    p99 = real["latency"].quantile(0.99)
    achieved = real["latency"].rate
    verdicts = [
        f"ratio real/floor (max throughput): {ratio:.2f}",
        f"target ingest >= {THROUGHPUT_TARGET:.0f}/s: {real['throughput'].rate:.0f}/s "
        + (
            "met"
            if real["throughput"].rate >= THROUGHPUT_TARGET
            else f"MISSED by {THROUGHPUT_TARGET - real['throughput'].rate:.0f}/s"
        ),
        f"target p99 <= {P99_TARGET_MS:.0f} ms at {rate:.0f}/s: {p99:.1f} ms "
        f"(achieved {achieved:.0f}/s) "
        + ("met" if p99 <= P99_TARGET_MS else f"MISSED by {p99 - P99_TARGET_MS:.1f} ms"),
        f"floor (DESIGN.md: ~9,000/s per worker): {floor['throughput'].rate:.0f}/s",
    ]
    return lines, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase and endpoint")
    parser.add_argument("--concurrency", type=int, default=64, help="closed loop: in flight")
    parser.add_argument("--rate", type=float, default=1000.0, help="open loop: requests/s")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: keep-alive asyncio streams (default) or an httpx AsyncClient",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to append")
    args = parser.parse_args()

    print(f"database {DATABASE}: drop, create, migrate")
    asyncio.run(prepare_database())
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()  # index 3 is this benchmark's: the api's queue entries land here
    api_port, floor_port = free_port(), free_port()
    logs = Path(tempfile.gettempdir())
    api_log = logs / f"parley-bench-ingest-api-{api_port}.log"
    floor_log = logs / f"parley-bench-ingest-floor-{floor_port}.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            start(command("api", python=sys.executable, port=api_port), "/api/healthz", api_port, api_log)
        )  # fmt: skip
        processes.append(start(floor_command(floor_port), "/", floor_port, floor_log))
        plan = Plan(
            ports={"floor": floor_port, "real": api_port},
            pids={"floor": processes[1].pid, "real": processes[0].pid},
            client=args.client,
            concurrency=args.concurrency,
            rate=args.rate,
            seconds=args.seconds,
            seed=random.SystemRandom().randrange(2**32),
        )
        total = 2 * (WARMUP_SECONDS + 2 * args.seconds)
        print(
            f"load: {args.client} client, concurrency {args.concurrency}, then {args.rate:.0f}/s,"
            f" {args.seconds:.0f}s each, floor then real (about {total:.0f}s)"
        )
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            results = pool.apply(load, (plan,))
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a server exited during the run; see {api_log}, {floor_log}")
        queued = int(cast(int, redis.zcard(WEBHOOK_QUEUE_NAME)))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
    print(f"logs: {api_log} {floor_log}")

    # Durability: every delivery the api acknowledged is a row (bodies are unique).
    acked = [key for phase in results["real"].values() for key in phase.acked]
    stored = asyncio.run(stored_keys())
    missing = set(acked) - stored
    unanswered = sum(sum(p.errors.values()) for p in results["real"].values())
    durability = (
        f"{len(acked)} acknowledged, {len(stored)} rows in webhook_events, {len(missing)} "
        f"acknowledged but missing, {queued} queued for processing"
    )
    redis.flushdb()

    lines, verdicts = report(results, args.rate)
    print("\n" + "\n".join(lines))
    print("\n" + "\n".join(verdicts))
    durable_ok = (
        not missing and len(stored) >= len(acked) and len(stored) <= len(acked) + unanswered
    )
    print(f"durability: {durability} -> {'ok' if durable_ok else 'FAILED'}")

    real, floor = results["real"], results["floor"]
    line = (
        f"ingest {args.client} client, concurrency {args.concurrency}, {args.rate:.0f}/s open "
        f"loop, {args.seconds:.0f}s per phase, api + bare floor (1 uvicorn worker each, no "
        f"workers) · real {real['throughput'].rate:.0f}/s (p50 {real['throughput'].quantile(0.5):.1f}"
        f" / p99 {real['throughput'].quantile(0.99):.1f} ms), floor {floor['throughput'].rate:.0f}/s"
        f" (p50 {floor['throughput'].quantile(0.5):.1f} / p99 {floor['throughput'].quantile(0.99):.1f}"
        f" ms), ratio {real['throughput'].rate / max(floor['throughput'].rate, 1e-9):.2f} · server CPU "
        f"ms/request at max: real {real['throughput'].cpu_ms:.2f}, floor {floor['throughput'].cpu_ms:.2f} · at "
        f"{args.rate:.0f}/s p50/p95/p99 ms: real {real['latency'].quantile(0.5):.1f}/"
        f"{real['latency'].quantile(0.95):.1f}/{real['latency'].quantile(0.99):.1f}, floor "
        f"{floor['latency'].quantile(0.5):.1f}/{floor['latency'].quantile(0.95):.1f}/"
        f"{floor['latency'].quantile(0.99):.1f} · errors real {unanswered}, floor "
        f"{sum(sum(p.errors.values()) for p in floor.values())} · targets: "
        + "; ".join(verdicts[1:3])
        + f" · durability {'ok' if durable_ok else 'FAILED'}: {durability}"
    )  # fmt: skip
    append_result(
        f"- {utc_now()} · `{code_version()}` · {describe_machine()} · {line}", args.results
    )
    print(f"appended to {args.results}")
    return 0 if durable_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
