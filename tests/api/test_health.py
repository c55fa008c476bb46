"""Liveness and readiness: `/api/readyz` answers 200 only when PostgreSQL (with this
release's schema), Redis and the object store all answer, else 503 naming what failed."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api import health
from api.storage import Storage
from tests.conftest import TEST_DATABASE_URL

ALL_OK = {"postgres": "ok", "migrations": "ok", "redis": "ok", "storage": "ok"}


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_checks_postgres_migrations_redis_and_storage(
    client: httpx.AsyncClient, storage: Storage
) -> None:
    response = await client.get("/api/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": ALL_OK}


async def test_readyz_is_503_when_redis_is_down(
    client: httpx.AsyncClient, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arq.connections import ArqRedis

    dead = ArqRedis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr("api.health.get_redis", lambda: dead)
    response = await client.get("/api/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {**ALL_OK, "redis": "unavailable"}
    assert body["error"] == "not_ready" and body["detail"] == "Not ready: redis."


@pytest.mark.parametrize(
    "update",
    [
        # A port nothing listens on: the bucket's HEAD is refused, tried once.
        pytest.param({"endpoint_url": "http://127.0.0.1:1"}, id="unreachable"),
        # The store answers, but `storage-setup` never created this bucket.
        pytest.param({"bucket": f"t-{uuid.uuid4().hex[:12]}"}, id="missing-bucket"),
        pytest.param({"secret_access_key": "not-the-secret"}, id="wrong-credentials"),
    ],
)
async def test_readyz_is_503_quickly_when_the_store_cannot_be_used(
    client: httpx.AsyncClient,
    storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
    update: dict[str, str],
) -> None:
    broken = Storage(storage.settings.model_copy(update=update))
    monkeypatch.setattr("api.health.get_storage", lambda: broken)
    started = time.monotonic()
    response = await client.get("/api/readyz")
    assert time.monotonic() - started < health.CHECK_TIMEOUT_SECONDS + 1
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {**ALL_OK, "storage": "unavailable"}
    assert body["error"] == "not_ready" and body["detail"] == "Not ready: storage."


# --- the schema: the api never migrates; readiness waits for the migration step --------


@pytest.fixture
async def scratch_database() -> AsyncIterator[tuple[asyncpg.Connection, AsyncEngine]]:
    """An empty database of its own (a direct connection, and an engine for the api)."""
    plain = TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")
    head, _, name = plain.rpartition("/")
    scratch = f"{name}_health_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{head}/postgres")
    await admin.execute(f'CREATE DATABASE "{scratch}"')
    connection = await asyncpg.connect(f"{head}/{scratch}")
    engine = create_async_engine(f"postgresql+asyncpg://{head.split('://', 1)[1]}/{scratch}")
    try:
        yield connection, engine
    finally:
        await engine.dispose()
        await connection.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()


async def _alembic_version(connection: asyncpg.Connection, revision: str) -> None:
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) PRIMARY KEY)"
    )
    await connection.execute("DELETE FROM alembic_version")
    await connection.execute("INSERT INTO alembic_version VALUES ($1)", revision)


async def _readyz_on(
    client: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> httpx.Response:
    monkeypatch.setattr("api.health.get_engine", lambda: engine)
    return await client.get("/api/readyz")


async def test_an_unmigrated_database_is_schema_outdated(
    client: httpx.AsyncClient,
    storage: Storage,
    scratch_database: tuple[asyncpg.Connection, AsyncEngine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    response = await _readyz_on(client, scratch_database[1], monkeypatch)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {**ALL_OK, "migrations": "outdated"}
    assert body["error"] == "schema_outdated"
    assert "alembic upgrade head" in body["detail"]


async def test_a_database_behind_this_release_is_schema_outdated(
    client: httpx.AsyncClient,
    storage: Storage,
    scratch_database: tuple[asyncpg.Connection, AsyncEngine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    migrations = health.release_migrations()
    assert migrations is not None
    older = sorted(migrations.known - {migrations.head})[-1]
    await _alembic_version(scratch_database[0], older)
    response = await _readyz_on(client, scratch_database[1], monkeypatch)
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "outdated"

    await _alembic_version(scratch_database[0], migrations.head)  # the migrate step ran
    response = await _readyz_on(client, scratch_database[1], monkeypatch)
    assert response.status_code == 200, response.text


async def test_a_database_ahead_of_this_release_is_ready(
    client: httpx.AsyncClient,
    storage: Storage,
    scratch_database: tuple[asyncpg.Connection, AsyncEngine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A rolling deploy: the next release migrated first; this one keeps serving meanwhile.
    await _alembic_version(scratch_database[0], "9999_from_the_next_release")
    response = await _readyz_on(client, scratch_database[1], monkeypatch)
    assert response.status_code == 200, response.text


def test_the_release_head_is_the_newest_migration() -> None:
    migrations = health.release_migrations()
    assert migrations is not None
    assert migrations.head == max(migrations.known)  # revisions are numbered 0001, 0002...
    assert health.schema_is_current({migrations.head}, migrations)
    assert not health.schema_is_current(set(), migrations)
    assert not health.schema_is_current({min(migrations.known)}, migrations)


async def test_unknown_routes_use_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}


async def test_an_unexpected_error_is_500_without_a_trace(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals /srv/app/file.py line 12")

    monkeypatch.setattr("api.auth.service.AuthService.login", broken)
    response = await client.post(
        "/api/auth/login", json={"email": "a@example.com", "password": "whatever"}
    )
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "detail": "Something went wrong on our side.",
    }
    assert "secret internals" not in response.text


def test_the_release_migrations_are_what_alembic_reads() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(health.MIGRATIONS_DIR))
    migrations = health.release_migrations()
    assert migrations is not None
    assert migrations.head == scripts.get_current_head()
    assert migrations.known == {rev.revision for rev in scripts.walk_revisions()}


def test_two_migration_heads_leave_the_schema_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, revision, down in (("a", "0001", None), ("b", "0002", "0001"), ("c", "0003", "0001")):
        (versions / f"{name}.py").write_text(
            f"revision: str = {revision!r}\ndown_revision: str | None = {down!r}\n"
        )
    monkeypatch.setattr(health, "MIGRATIONS_DIR", tmp_path)
    health.release_migrations.cache_clear()
    try:
        assert health.release_migrations() is None
        (versions / "d.py").write_text("revision = '0004'\ndown_revision = ('0002', '0003')\n")
        health.release_migrations.cache_clear()
        assert health.release_migrations() == health.Migrations(
            "0004", frozenset({"0001", "0002", "0003", "0004"})
        )
    finally:
        health.release_migrations.cache_clear()


def test_the_gateway_does_not_load_the_s3_client() -> None:
    import subprocess
    import sys

    code = "import sys, realtime.main; print('botocore' in sys.modules)"
    out = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
