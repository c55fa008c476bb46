"""Data rights: the trash (soft-deleted conversations and contacts), the tenant's data
exports, and deleting the tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.deps import DeleteScope, ExportScope, OwnerScope
from api.data.deletion import TenantDeletionService
from api.data.exports import ExportService
from api.data.schemas import (
    ContactTrashed,
    ExportDownload,
    ExportOut,
    TenantDeletion,
    TenantDeletionAccepted,
    TrashedConversation,
)
from api.data.trash import TrashService
from api.deps import SessionDep
from api.inbox.schemas import ConversationOut
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.storage import get_storage

router = APIRouter(tags=["data"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


# --- the trash -----------------------------------------------------------------------


@router.delete("/inbox/conversations/{conversation_id}")
async def delete_conversation(
    conversation_id: uuid.UUID, scope: DeleteScope, session: SessionDep
) -> TrashedConversation:
    """Move a conversation to the trash: it leaves every list, count and search at once
    and can be restored until `purge_at`, when it is erased with its messages and files."""
    return await TrashService(session, scope).delete_conversation(conversation_id)


@router.post("/inbox/conversations/{conversation_id}/restore")
async def restore_conversation(
    conversation_id: uuid.UUID, scope: DeleteScope, session: SessionDep
) -> ConversationOut:
    """Take a conversation out of the trash (with its contact, if that was deleted too)."""
    return await TrashService(session, scope).restore_conversation(conversation_id)


@router.get("/inbox/trash")
async def list_trash(
    scope: DeleteScope,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[TrashedConversation]:
    """Deleted conversations, the most recently deleted first, each with its `purge_at`."""
    return await TrashService(session, scope).find(cursor=cursor, limit=limit)


@router.delete("/contacts/{contact_id}")
async def delete_contact(
    contact_id: uuid.UUID, scope: DeleteScope, session: SessionDep
) -> ContactTrashed:
    """Move a contact and all its conversations to the trash."""
    return await TrashService(session, scope).delete_contact(contact_id)


@router.post("/contacts/{contact_id}/restore")
async def restore_contact(
    contact_id: uuid.UUID, scope: DeleteScope, session: SessionDep
) -> ContactTrashed:
    """Take a contact out of the trash with the conversations deleted with it."""
    return await TrashService(session, scope).restore_contact(contact_id)


# --- exports -------------------------------------------------------------------------


@router.post("/tenant/exports", status_code=status.HTTP_202_ACCEPTED)
async def request_export(scope: ExportScope, session: SessionDep) -> ExportOut:
    """Start building a ZIP of the tenant's data (JSON files) in the background; follow
    it with `GET /tenant/exports/{id}` or the `export:updated` socket event. One at a time
    (409 `export_in_progress`)."""
    return await ExportService(session, scope).request()


@router.get("/tenant/exports")
async def list_exports(scope: ExportScope, session: SessionDep) -> Page[ExportOut]:
    """The latest exports, newest first."""
    return await ExportService(session, scope).list()


@router.get("/tenant/exports/{export_id}")
async def get_export(export_id: uuid.UUID, scope: ExportScope, session: SessionDep) -> ExportOut:
    return await ExportService(session, scope).get(export_id)


@router.get("/tenant/exports/{export_id}/download")
async def download_export(
    export_id: uuid.UUID, scope: ExportScope, session: SessionDep
) -> ExportDownload:
    """A short-lived URL of a finished export's archive (409 while it is being built,
    410 once expired)."""
    return await ExportService(session, scope).download(export_id, get_storage())


# --- deleting the tenant -------------------------------------------------------------


@router.delete("/tenant", status_code=status.HTTP_202_ACCEPTED)
async def delete_tenant(
    body: TenantDeletion, scope: OwnerScope, session: SessionDep
) -> TenantDeletionAccepted:
    """Delete the workspace and everything in it: retype its exact name (`confirm`) and
    your password. Every member is signed out at once; Parley's access at Meta is revoked
    and all data is erased in the background. This cannot be undone."""
    return await TenantDeletionService(session, scope).request(body)
