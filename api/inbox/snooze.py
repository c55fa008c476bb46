"""Snoozed conversations come back on time.

A new customer message already reopens a snoozed conversation (`api.inbox.ingest`); this
wakes the ones whose `snoozed_until` has passed without one. A worker cron runs it every
minute over every tenant's due conversations (a system job: each row carries its
tenant, and so does its event), in pages that each commit and then announce
`conversation:updated`. Rows are locked with SKIP LOCKED, so an agent changing one at the
same moment wins, and the status is read under the lock, so a conversation reopened or
re-snoozed meanwhile is left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from api import events
from api.db import unit_of_work
from api.inbox.schemas import conversation_out
from api.models import Conversation, ConversationStatus

PAGE_SIZE = 500
MAX_PER_RUN = 20_000  # the next run (a minute later) carries on

# The partial index's predicate (`ix_conversations_snoozed_until`), spelled the same way.
SNOOZED = Conversation.status == literal_column("'snoozed'")


async def wake_page(session: AsyncSession, limit: int) -> int:
    """Reopen up to `limit` due conversations; returns how many."""
    statement = (
        select(Conversation)
        .options(joinedload(Conversation.contact), joinedload(Conversation.channel))
        # One in the trash sleeps on; it wakes when restored (if its time has come).
        .where(SNOOZED, Conversation.snoozed_until <= func.now(), Conversation.deleted_at.is_(None))
        .order_by(Conversation.snoozed_until, Conversation.id)
        .limit(limit)
        .with_for_update(of=Conversation, skip_locked=True)
    )
    due = list((await session.execute(statement)).scalars())
    for conversation in due:
        conversation.status, conversation.snoozed_until = ConversationStatus.OPEN, None
    await session.flush()
    now = datetime.now(UTC)
    for conversation in due:
        out = conversation_out(conversation, now)
        events.emit(
            session,
            conversation.tenant_id,
            "conversation:updated",
            {"conversation": out.model_dump(mode="json")},
        )
    return len(due)


async def wake_snoozed(*, page_size: int = PAGE_SIZE, limit: int = MAX_PER_RUN) -> int:
    """Every due conversation, page by page, each page its own unit of work."""
    total = 0
    while total < limit:
        async with unit_of_work() as session:
            woken = await wake_page(session, min(page_size, limit - total))
        total += woken
        if woken < page_size:
            break
    return total
