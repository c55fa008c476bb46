from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import AppError, NotFound
from api.models import Attachment, AttachmentState, Conversation, Message
from api.storage import Storage
from api.tenancy import ScopedRepository, TenantScope


class AttachmentUrl(BaseModel):
    url: str
    expires_at: datetime


class AttachmentRepository(ScopedRepository[Attachment]):
    """Files of messages whose conversation is not in the trash."""

    model = Attachment

    def scoped(self) -> Select[Attachment]:
        return (
            super()
            .scoped()
            .join(Message, Message.id == Attachment.message_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.deleted_at.is_(None))
        )


class AttachmentService:
    def __init__(self, session: AsyncSession, scope: TenantScope, storage: Storage) -> None:
        self.attachments = AttachmentRepository(session, scope)
        self.storage = storage

    async def presigned_url(self, attachment_id: uuid.UUID) -> AttachmentUrl:
        """Only the tenant's own files; another tenant's id is a 404 like a missing one."""
        attachment = await self.attachments.get(attachment_id)
        if attachment is None:
            raise NotFound("Attachment not found.")
        if attachment.state is not AttachmentState.STORED or attachment.storage_key is None:
            raise AppError(
                f"The file is {attachment.state.value}, not stored yet.",
                status_code=409,
                code="attachment_not_ready",
            )
        url = await self.storage.presigned_get(attachment.storage_key, attachment.filename)
        expires_at = datetime.now(UTC) + timedelta(seconds=self.storage.settings.presign_seconds)
        return AttachmentUrl(url=url, expires_at=expires_at)
