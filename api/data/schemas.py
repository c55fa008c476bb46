"""Shapes of the data-rights endpoints: the trash, exports and tenant deletion."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.inbox.schemas import ConversationOut
from api.models import TenantExportStatus


class TrashedConversation(ConversationOut):
    """A conversation in the trash: restorable until `purge_at`, then erased for good."""

    deleted_at: datetime
    purge_at: datetime


class ContactTrashed(BaseModel):
    """A contact deleted (or restored) with its conversations."""

    id: uuid.UUID
    name: str | None
    external_id: str
    deleted_at: datetime | None
    purge_at: datetime | None
    conversation_ids: list[uuid.UUID] = Field(
        description="The conversations deleted (or restored) with the contact"
    )


class ExportOut(BaseModel):
    """A data export: `queued` → `running` (with `progress`, 0-100) → `succeeded` (its
    archive downloadable until `expires_at`) or `failed` (`error` says why)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: TenantExportStatus
    progress: int = Field(ge=0, le=100)
    size_bytes: int | None
    error: str | None
    requested_by_user_id: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    downloadable: bool = Field(description="Succeeded and not expired: `/download` works")


class ExportDownload(BaseModel):
    url: str = Field(description="A short-lived presigned GET of the ZIP archive")
    expires_at: datetime
    filename: str


class TenantDeletion(BaseModel):
    confirm: str = Field(
        min_length=1, max_length=200, description="The workspace's exact name, typed again"
    )
    password: str = Field(
        min_length=1, max_length=200, description="The signed-in owner's password"
    )


class TenantDeletionAccepted(BaseModel):
    """The workspace is closed at once; a background job revokes Parley's access at Meta,
    deletes its stored files, then erases every row."""

    tenant_id: uuid.UUID
    deletion_requested_at: datetime
