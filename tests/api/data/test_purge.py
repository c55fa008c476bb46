"""The trash's retention: conversations and contacts deleted longer ago than
DATA_TRASH_RETENTION_DAYS are erased with their messages and stored files; the rest wait."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.data.housekeeping import purge_trash
from api.models import Attachment, Contact, Conversation, Message
from api.storage import Storage
from tests.api.data.data_helpers import first_message, stored_file
from tests.api.inbox.inbox_data import ago, create_team, create_thread
from worker import tasks

RETENTION = timedelta(days=30)


async def set_deleted(
    session: AsyncSession, model: type[Conversation] | type[Contact], id_: object, days: float
) -> None:
    await session.execute(update(model).where(model.id == id_).values(deleted_at=ago(days=days)))
    await session.commit()


async def count(
    session: AsyncSession,
    model: type[Conversation] | type[Contact] | type[Message] | type[Attachment],
) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_old_trash_is_erased_with_its_files_and_recent_trash_waits(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    team = await create_team(client, session)
    expired = await create_thread(session, team.messenger, texts=("old", "news"))
    recent = await create_thread(session, team.messenger, texts=("keep me",))
    live = await create_thread(session, team.whatsapp, texts=("live",))
    expired_file = await stored_file(session, storage, await first_message(session, expired))
    recent_file = await stored_file(session, storage, await first_message(session, recent))
    live_file = await stored_file(session, storage, await first_message(session, live))
    await set_deleted(session, Conversation, expired.id, days=31)
    await set_deleted(session, Conversation, recent.id, days=29)

    report = await purge_trash(storage, RETENTION)

    assert (report.conversations, report.contacts, report.files) == (1, 0, 1)
    remaining = set((await session.execute(select(Conversation.id))).scalars())
    assert remaining == {recent.id, live.id}
    assert await count(session, Message) == 2  # "keep me" and "live"
    assert await storage.head(expired_file.storage_key or "") is None
    assert await storage.head(recent_file.storage_key or "") is not None
    assert await storage.head(live_file.storage_key or "") is not None


async def test_an_old_deleted_contact_goes_with_its_conversation(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    team = await create_team(client, session)
    conversation = await create_thread(session, team.messenger, texts=("bye",))
    other = await create_thread(session, team.messenger)
    file = await stored_file(session, storage, await first_message(session, conversation))
    await set_deleted(session, Contact, conversation.contact_id, days=45)
    await set_deleted(session, Conversation, conversation.id, days=45)

    report = await purge_trash(storage, RETENTION)

    assert (report.conversations, report.contacts) == (1, 1)
    assert set((await session.execute(select(Contact.id))).scalars()) == {other.contact_id}
    assert await storage.head(file.storage_key or "") is None
    # A second run finds nothing left to do.
    again = await purge_trash(storage, RETENTION)
    assert (again.conversations, again.contacts, again.files) == (0, 0, 0)


async def test_the_daily_job_reads_the_retention_from_settings(
    client: httpx.AsyncClient,
    session: AsyncSession,
    storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    team = await create_team(client, session)
    conversation = await create_thread(session, team.messenger)
    await set_deleted(session, Conversation, conversation.id, days=3)
    assert await tasks.purge_trash({}) == "purged 0 conversations, 0 contacts, 0 files"

    monkeypatch.setenv("DATA_TRASH_RETENTION_DAYS", "2")
    get_settings.cache_clear()
    try:
        assert await tasks.purge_trash({}) == "purged 1 conversations, 0 contacts, 0 files"
    finally:
        monkeypatch.delenv("DATA_TRASH_RETENTION_DAYS")
        get_settings.cache_clear()
