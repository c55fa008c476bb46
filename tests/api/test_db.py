"""The unit of work: commit on success, rollback on error, and after-commit work only after a commit."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import events
from api.db import unit_of_work
from api.errors import AppError
from api.models import Tenant
from tests.helpers import EventRecorder


async def test_success_commits_then_emits(
    sessionmaker: async_sessionmaker[AsyncSession], events_: EventRecorder
) -> None:
    tenant_id = uuid.uuid4()
    async with unit_of_work(sessionmaker) as session:
        session.add(Tenant(id=tenant_id, name="Committed"))
        events.emit(session, tenant_id, "conversation:updated", {"conversation": {}})
        assert events_.published == []  # nothing leaves before the commit
    async with sessionmaker() as check:
        assert (
            await check.execute(select(Tenant.name).where(Tenant.id == tenant_id))
        ).scalar_one() == "Committed"
    assert events_.names() == ["conversation:updated"]


async def test_an_error_rolls_back_and_emits_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], events_: EventRecorder
) -> None:
    tenant_id = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessionmaker) as session:
            session.add(Tenant(id=tenant_id, name="Rolled back"))
            await session.flush()
            events.emit(session, tenant_id, "conversation:updated", {})
            raise RuntimeError("boom")
    async with sessionmaker() as check:
        assert (await check.execute(select(Tenant).where(Tenant.id == tenant_id))).first() is None
    assert events_.published == []


async def test_an_app_error_rolls_back_unless_it_keeps_changes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    class Kept(AppError):
        keep_changes = True

    ids = uuid.uuid4(), uuid.uuid4()
    for tenant_id, error in zip(ids, (AppError("no"), Kept("yes")), strict=True):
        with pytest.raises(AppError):
            async with unit_of_work(sessionmaker) as session:
                session.add(Tenant(id=tenant_id, name="x"))
                raise error
    async with sessionmaker() as check:
        found = set((await check.execute(select(Tenant.id).where(Tenant.id.in_(ids)))).scalars())
    assert found == {ids[1]}


@pytest.fixture
def events_(events: EventRecorder) -> EventRecorder:
    return events


async def test_without_pre_ping_a_dropped_connection_fails_once_then_the_pool_recovers() -> None:
    """DATABASE_POOL_PRE_PING=false (the default): connections the server dropped (a
    restart, a failover) fail their next use once; that error discards every pooled
    connection opened before it, and the next checkout connects afresh."""
    import asyncpg
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine

    from api.config import DatabaseSettings
    from tests.conftest import TEST_DATABASE_URL

    url = DatabaseSettings(url=TEST_DATABASE_URL).url
    engine = create_async_engine(url, pool_size=3, pool_pre_ping=False)
    name = f"parley-pool-test-{uuid.uuid4().hex[:8]}"
    try:
        # Three pooled connections, each tagged so the server can find them.
        connections = [await engine.connect() for _ in range(3)]
        for connection in connections:
            await connection.execute(
                text("SELECT set_config('application_name', :n, false)"), {"n": name}
            )
            await connection.commit()
        for connection in connections:
            await connection.close()
        admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = $1",
                name,
            )
        finally:
            await admin.close()
        assert killed == 3

        with pytest.raises(DBAPIError) as failed:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        for _ in range(3):  # the other two dropped connections were discarded too
            async with engine.connect() as connection:
                assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
