"""Test fixtures: real PostgreSQL and Redis, schema built by the Alembic migrations.

The test database (`parley_test`, or TEST_DATABASE_URL) is recreated once per run and
migrated; each test then runs inside a transaction that is rolled back at the end, with
sessions joining it through savepoints so code that commits is still isolated. Redis uses
its own database index (15, or TEST_REDIS_URL), flushed before each test.
"""

from __future__ import annotations

import os

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/parley_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# `make test` runs pytest processes side by side; each shard (PARLEY_TEST_SHARD=b, c)
# gets its own database (`<name>_<shard>`) and Redis index (PARLEY_TEST_SHARD_REDIS_DB,
# 13 unless set).
if shard := os.environ.get("PARLEY_TEST_SHARD", ""):
    _database, _, _query = TEST_DATABASE_URL.partition("?")
    TEST_DATABASE_URL = f"{_database}_{shard}" + (f"?{_query}" if _query else "")
    _redis_base = (
        TEST_REDIS_URL.rsplit("/", 1)[0] if TEST_REDIS_URL.count("/") > 2 else TEST_REDIS_URL
    )
    TEST_REDIS_URL = f"{_redis_base}/{os.environ.get('PARLEY_TEST_SHARD_REDIS_DB', '13')}"
GRAPH_BASE_URL = "https://graph.test"

os.environ.update(
    ENVIRONMENT="test",
    DATABASE_URL=TEST_DATABASE_URL,
    REDIS_URL=TEST_REDIS_URL,
    META_GRAPH_BASE_URL=GRAPH_BASE_URL,
    META_APP_SECRET="test-app-secret",
    META_VERIFY_TOKEN="test-verify-token",
    AUTH_JWT_SECRET="test-jwt-secret-0123456789abcdef",
    LOG_LEVEL="WARNING",
    # Test receivers listen on 127.0.0.1 over http; tests of the guards turn these off.
    OUTGOING_WEBHOOKS_ALLOW_HTTP="true",
    OUTGOING_WEBHOOKS_ALLOW_PRIVATE="true",
    # A developer's .env may export a collector; tests turn tracing on themselves.
    TRACING_OTLP_ENDPOINT="",
)

import asyncio  # noqa: E402
import uuid  # noqa: E402
from collections.abc import AsyncIterator, Iterator  # noqa: E402

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
import respx  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker  # noqa: E402

from api import db as api_db  # noqa: E402
from api.config import get_settings  # noqa: E402
from api.redis import get_redis  # noqa: E402
from api.storage import Storage, get_storage  # noqa: E402
from scripts.seaweed import SeaweedFS, env_for, free_port  # noqa: E402
from tests.helpers import EventRecorder  # noqa: E402


def _plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _recreate_database(url: str) -> None:
    head, _, name = _plain_url(url).rpartition("/")
    admin = await asyncpg.connect(f"{head}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def _migrate(url: str) -> None:
    config = Config("alembic.ini")
    config.attributes["configure_logger"] = False
    config.cmd_opts = None
    config.set_main_option("sqlalchemy.url", url)
    os.environ["DATABASE_URL"] = url
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    get_settings.cache_clear()
    await _recreate_database(TEST_DATABASE_URL)
    await asyncio.to_thread(_migrate, TEST_DATABASE_URL)
    engine = api_db.get_engine()
    yield engine
    await engine.dispose()


async def _truncate_all(engine: AsyncEngine) -> None:
    from api.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))


@pytest.fixture
async def sessionmaker(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Every session the code opens (requests, jobs) joins this test's outer transaction.

    Tests marked `committing` need real concurrency (several connections), so they commit
    for real and the tables are truncated afterwards instead.
    """
    if request.node.get_closest_marker("committing"):
        yield api_db.get_sessionmaker()
        await _truncate_all(engine)
        return
    async with engine.connect() as connection:
        transaction = await connection.begin()
        maker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        monkeypatch.setattr(api_db, "get_sessionmaker", lambda: maker)
        yield maker
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def redis() -> AsyncIterator[object]:
    client = get_redis()
    await client.flushdb()
    yield client
    await client.flushdb()


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> EventRecorder:
    """Captures realtime events as they would be published (after commit)."""
    recorder = EventRecorder()
    monkeypatch.setattr("api.events.publish", recorder.publish)
    return recorder


@pytest.fixture
async def client(sessionmaker: object, redis: object) -> AsyncIterator[httpx.AsyncClient]:
    from api.main import create_app

    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        yield client


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    """The Graph API, mocked at the boundary (respx)."""
    with respx.mock(base_url=f"{GRAPH_BASE_URL}/v25.0", assert_all_called=False) as router:
        yield router


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A real S3 server (SeaweedFS, SigV4 enforced), started once per run when a test needs it."""
    server = SeaweedFS(tmp_path_factory.mktemp("seaweed"), free_port()).start()
    yield server
    server.stop()


@pytest.fixture
async def storage(seaweed: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Storage]:
    """Object storage pointed at SeaweedFS, with a bucket of its own for this test."""
    bucket = f"t-{uuid.uuid4().hex[:12]}"
    for key, value in env_for(seaweed, bucket).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_storage.cache_clear()
    store = get_storage()
    await store.ensure_bucket()
    yield store
    # SeaweedFS gives each bucket its own volumes and the test server has few of them.
    await store.drop_bucket()
    get_settings.cache_clear()
    get_storage.cache_clear()
