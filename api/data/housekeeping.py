"""The data-rights sweepers, over every tenant (system jobs on a schedule):

- `purge_trash`: conversations and contacts deleted more than `DATA_TRASH_RETENTION_DAYS`
  ago are erased for good with their messages and their attachments' stored files (the
  files first, so a storage failure leaves the rows to retry);
- `prune_exports`: export archives past their `expires_at` are deleted, object and row,
  and so are failed exports as old;
- `redrive`: export and tenant-erasure jobs whose queue entry Redis lost are enqueued
  again (their job ids collapse duplicates of live ones); an export stuck far beyond any
  real run is marked failed, so its owner can start another.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.data.deletion import ERASE_JOB, erase_job_id
from api.data.exports import EXPORT_JOB, announce, export_job_id
from api.db import unit_of_work
from api.jobs import send_job
from api.models import (
    Attachment,
    Contact,
    Conversation,
    Message,
    Tenant,
    TenantExport,
    TenantExportStatus,
)
from api.storage import Storage

PAGE = 100
KEYS_PER_CALL = 1000  # delete_objects takes up to 1,000 keys
MAX_PER_RUN = 20_000
# Re-enqueue jobs not started (or not finished) this long after being asked for.
REDRIVE_AFTER = timedelta(minutes=2)
# No export runs this long (1M messages take minutes): one still "running" was lost.
EXPORT_STALE_AFTER = timedelta(hours=3)
INTERRUPTED = "The export was interrupted; start a new one."


@dataclass(frozen=True, slots=True)
class PurgeReport:
    conversations: int
    contacts: int
    files: int


async def purge_trash(storage: Storage, older_than: timedelta) -> PurgeReport:
    """Erase what has been in the trash longer than `older_than`."""
    cutoff = datetime.now(UTC) - older_than
    conversations = files = contacts = 0
    while conversations < MAX_PER_RUN:
        async with unit_of_work() as session:
            ids = await _expired(session, Conversation, cutoff)
            if not ids:
                break
            files += await _delete_files(session, storage, Message.conversation_id.in_(ids))
            await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
        conversations += len(ids)
        if len(ids) < PAGE:
            break
    while contacts < MAX_PER_RUN:
        async with unit_of_work() as session:
            ids = await _expired(session, Contact, cutoff)
            if not ids:
                break
            # Conversations go with their contact (restoring either restores both, so
            # these were purged above; any left would cascade, so their files go first).
            of_contacts = select(Conversation.id).where(Conversation.contact_id.in_(ids))
            files += await _delete_files(session, storage, Message.conversation_id.in_(of_contacts))
            await session.execute(delete(Contact).where(Contact.id.in_(ids)))
        contacts += len(ids)
        if len(ids) < PAGE:
            break
    return PurgeReport(conversations=conversations, contacts=contacts, files=files)


async def _expired(
    session: AsyncSession, model: type[Conversation] | type[Contact], cutoff: datetime
) -> list[uuid.UUID]:
    """A page of rows deleted before `cutoff`, locked (one restored right now is skipped)."""
    deleted_at = model.deleted_at
    statement = (
        select(model.id)
        .where(deleted_at.is_not(None), deleted_at < cutoff)
        .order_by(deleted_at, model.id)
        .limit(PAGE)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(statement)).scalars())


async def _delete_files(
    session: AsyncSession, storage: Storage, messages: ColumnElement[bool]
) -> int:
    """Delete the stored files of the attachments of the messages matching `messages`."""
    statement = (
        select(Attachment.storage_key)
        .join(Message, Message.id == Attachment.message_id)
        .where(messages, Attachment.storage_key.is_not(None))
    )
    keys = [key for key in (await session.execute(statement)).scalars() if key]
    for start in range(0, len(keys), KEYS_PER_CALL):
        await storage.delete_many(keys[start : start + KEYS_PER_CALL])
    return len(keys)


async def prune_exports(storage: Storage, older_than: timedelta) -> int:
    """Delete expired archives (object, then row) and failed exports as old."""
    now = datetime.now(UTC)
    expired = or_(
        and_(TenantExport.status == TenantExportStatus.SUCCEEDED, TenantExport.expires_at < now),
        and_(
            TenantExport.status == TenantExportStatus.FAILED,
            TenantExport.created_at < now - older_than,
        ),
    )
    total = 0
    while total < MAX_PER_RUN:
        async with unit_of_work() as session:
            statement = (
                select(TenantExport)
                .where(expired)
                .order_by(TenantExport.created_at, TenantExport.id)
                .limit(PAGE)
                .with_for_update(skip_locked=True)
            )
            exports = list((await session.execute(statement)).scalars())
            await storage.delete_many([e.storage_key for e in exports if e.storage_key])
            for export in exports:
                await session.delete(export)
        total += len(exports)
        if len(exports) < PAGE:
            break
    return total


@dataclass(frozen=True, slots=True)
class RedriveReport:
    exports: int
    interrupted: int
    erasures: int


async def redrive() -> RedriveReport:
    now = datetime.now(UTC)
    async with unit_of_work() as session:
        building = TenantExport.status.in_([TenantExportStatus.QUEUED, TenantExportStatus.RUNNING])
        statement = (
            select(TenantExport)
            .where(building, TenantExport.created_at < now - REDRIVE_AFTER)
            .with_for_update(skip_locked=True)
        )
        exports = list((await session.execute(statement)).scalars())
        stale = [e for e in exports if e.created_at < now - EXPORT_STALE_AFTER]
        for export in stale:
            export.status, export.error, export.finished_at = (
                TenantExportStatus.FAILED,
                INTERRUPTED,
                now,
            )
            announce(session, export)
        waiting = [e.id for e in exports if e not in stale]
        tenants = await session.execute(
            select(Tenant.id).where(Tenant.deletion_requested_at < now - REDRIVE_AFTER)
        )
        erasures = list(tenants.scalars())
    for export_id in waiting:
        await send_job(EXPORT_JOB, str(export_id), job_id=export_job_id(export_id))
    for tenant_id in erasures:
        await send_job(ERASE_JOB, str(tenant_id), job_id=erase_job_id(tenant_id))
    return RedriveReport(exports=len(waiting), interrupted=len(stale), erasures=len(erasures))
