"""Liveness and readiness of the api process (the gateway and the workers reuse the checks).

- `GET /api/healthz` (liveness) answers while the process serves requests: an orchestrator
  restarts the process when it stops answering.
- `GET /api/readyz` (readiness) answers 200 only when the process can do its work, else
  503 naming what failed: a load balancer sends traffic only to ready replicas. It checks
  PostgreSQL, that the database's schema is this release's (`migrations`), Redis and the
  object store's bucket (`storage`), concurrently, each within `CHECK_TIMEOUT_SECONDS`.

The api never migrates the database itself: `alembic upgrade head` ("migrate" in
scripts/processes.py) is its own step before a release's processes start, and until it
has run the new processes report `migrations: outdated` and get no traffic. A database
ahead of this release (the next release migrated first, during a rolling deploy) is fine:
migrations add before they remove, so the running code keeps working on it.
"""

from __future__ import annotations

import ast
import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from api.db import get_engine
from api.redis import get_redis

if TYPE_CHECKING:
    from api.storage import Storage

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 2.0
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

OK = "ok"
UNAVAILABLE = "unavailable"
OUTDATED = "outdated"


class SchemaOutdated(Exception):
    """The database has not been migrated to this release's schema."""


@dataclass(frozen=True)
class Migrations:
    head: str
    known: frozenset[str]  # every revision of this release, the head included


@lru_cache
def release_migrations() -> Migrations | None:
    """This release's migration head and the revisions before it, read once from
    migrations/versions/ (the `revision` and `down_revision` assignments, without
    importing alembic's script machinery: ~11 MB the api would keep for good); None when
    the scripts are not shipped with the process, or do not form one line."""
    versions = MIGRATIONS_DIR / "versions"
    if not versions.is_dir():
        logger.warning("readiness: no migration scripts at %s; schema not checked", MIGRATIONS_DIR)
        return None
    known: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        values = _assignments(script, {"revision", "down_revision"})
        revision = values.get("revision")
        if isinstance(revision, str):
            known.add(revision)
            down = values.get("down_revision")  # None, one revision or a merge's tuple
            downs = [down] if isinstance(down, str) else down if isinstance(down, tuple) else []
            parents.update(str(d) for d in downs)
    heads = known - parents
    if len(heads) != 1:
        logger.warning("readiness: migration heads %s; schema not checked", sorted(heads))
        return None
    return Migrations(heads.pop(), frozenset(known))


def _assignments(script: Path, names: set[str]) -> dict[str, object]:
    """The literal values a migration script assigns to `names` at module level."""
    values: dict[str, object] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    continue
    return values


def schema_is_current(applied: set[str], migrations: Migrations) -> bool:
    """True when the database is at this release's head or past it (a revision this
    release does not know: a newer release migrated)."""
    if not applied:
        return False  # never migrated
    return migrations.head in applied or not applied <= migrations.known


async def check_postgres() -> None:
    async with get_engine().connect() as connection:
        await connection.execute(text("SELECT 1"))


async def check_migrations() -> None:
    """The database holds this release's schema (`SchemaOutdated` otherwise)."""
    migrations = await asyncio.to_thread(release_migrations)
    async with get_engine().connect() as connection:
        try:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            applied = {str(version) for version in rows.scalars()}
        except ProgrammingError:  # no alembic_version table: an empty database
            applied = set()
    if migrations is not None and not schema_is_current(applied, migrations):
        raise SchemaOutdated(
            f"database at {sorted(applied) or 'nothing'}, code at {migrations.head}"
        )


async def check_redis() -> None:
    await get_redis().ping()


def get_storage() -> Storage:
    """The object store, imported on first use: the gateway and the workers reuse these
    checks without the S3 client (~13 MB of botocore)."""
    from api.storage import get_storage as storage

    return storage()


async def check_storage() -> None:
    await get_storage().ping(CHECK_TIMEOUT_SECONDS)


Check = Callable[[], Awaitable[None]]


async def _status(name: str, check: Check) -> str:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except SchemaOutdated as exc:
        logger.warning("readiness: %s", exc)
        return OUTDATED
    except Exception as exc:
        logger.warning("readiness: %s unavailable (%s)", name, type(exc).__name__)
        return UNAVAILABLE
    return OK


async def readiness(checks: Mapping[str, Check]) -> JSONResponse:
    """Run `checks` concurrently: 200 when all pass, else 503 naming the failing ones.
    `{"status", "checks": {name: "ok" | "unavailable" | "outdated"}}`, plus on 503 the
    error shape: `schema_outdated` when only migrations are missing, else `not_ready`."""
    results = await asyncio.gather(*(_status(name, check) for name, check in checks.items()))
    statuses = dict(zip(checks, results, strict=True))
    failing = [name for name, status in statuses.items() if status != OK]
    if not failing:
        return JSONResponse({"status": OK, "checks": statuses})
    outdated_only = all(statuses[name] == OUTDATED for name in failing)
    body = {
        "error": "schema_outdated" if outdated_only else "not_ready",
        "detail": (
            "The database has not been migrated to this release: run `alembic upgrade head`."
            if outdated_only
            else f"Not ready: {', '.join(failing)}."
        ),
        "status": "unavailable",
        "checks": statuses,
    }
    return JSONResponse(body, status_code=503)


API_CHECKS: dict[str, Check] = {
    "postgres": check_postgres,
    "migrations": check_migrations,
    "redis": check_redis,
    "storage": check_storage,
}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is unavailable"}})
async def readyz() -> JSONResponse:
    """Readiness: PostgreSQL answers with this release's schema, Redis answers, the
    object store's bucket answers."""
    return await readiness(API_CHECKS)
