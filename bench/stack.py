"""What the benchmarks that start the real api share: its environment (theirs replaces the
caller's settings) and a database of their own, dropped, created and migrated with the
project's `migrate` command."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.processes import command  # noqa: E402

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
TICKS = os.sysconf("SC_CLK_TCK")
# Settings groups the api reads from the environment; ours replace the caller's.
OWNED_ENV_PREFIXES = (
    "DATABASE_", "REDIS_", "META_", "AUTH_", "ENCRYPTION_", "STORAGE_", "R2_", "WEBHOOK_",
    "TEST_", "SECURITY_",
)  # fmt: skip


def api_env(
    *, database: str, redis_url: str, app_secret: str, jwt_secret: str, name: str, **extra: str
) -> dict[str, str]:
    """The environment of an api (or other project process) for benchmark `name`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWNED_ENV_PREFIXES)}
    env.update(
        ENVIRONMENT="test",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"{POSTGRES}/{database}",
        REDIS_URL=redis_url,
        META_APP_SECRET=app_secret,
        META_VERIFY_TOKEN=f"{name}-bench-verify-token",
        AUTH_JWT_SECRET=jwt_secret,
        ENCRYPTION_KEYS="bench:" + base64.b64encode(os.urandom(32)).decode(),
        ENCRYPTION_ACTIVE_KEY_ID="bench",
        **extra,
    )
    return env


async def recreate_database(database: str) -> None:
    """Drop and create `database`, then migrate it."""
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    await migrate_database(database)


async def migrate_database(database: str) -> None:
    """Bring `database` to this checkout's schema (a no-op when it is there already)."""
    env = {**os.environ, "DATABASE_URL": f"{POSTGRES}/{database}"}
    migrate = command("migrate", python=sys.executable)
    await asyncio.to_thread(subprocess.run, migrate, cwd=ROOT, env=env, check=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (Linux /proc); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS
