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
