"""Engine, sessions and the unit of work.

One session is one unit of work: a request or a job. Services `flush()` for ids and never
commit; the edge (request dependency, job wrapper) commits once, and only then are the
jobs and realtime events that the work buffered sent (see `api.jobs`, `api.events`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import lru_cache

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.config import get_settings
from api.errors import AppError

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT_KEY = "parley.after_commit"


@lru_cache
def get_engine() -> AsyncEngine:
    settings = get_settings().database
    return create_async_engine(
        settings.url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=settings.pool_pre_ping,
        echo=settings.echo,
    )


@lru_cache
def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(get_engine(), expire_on_commit=False, autoflush=False)


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the session's transaction has committed; never on rollback."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


async def commit(session: AsyncSession) -> None:
    """Commit, then run what was waiting for the commit. Failures there are logged:
    the data is safe in Postgres and sweepers re-drive anything not sent."""
    await session.commit()
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            logger.exception("after-commit callback failed")


async def rollback(session: AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)
    await session.rollback()


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    async with (sessionmaker or get_sessionmaker())() as session:
        try:
            yield session
        except AppError as exc:
            await (commit(session) if exc.keep_changes else rollback(session))
            raise
        except BaseException:
            await rollback(session)
            raise
        await commit(session)
