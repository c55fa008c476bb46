"""Test data for the data-rights tests: a team with threads, stored files, audit reads."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attachment, AttachmentState, AuditLog, Conversation, Message
from api.storage import Storage

TRASH = "/api/inbox/trash"
PASSWORD = "correct horse battery"  # tests.helpers.create_account's


def conversation_url(conversation_id: uuid.UUID | str) -> str:
    return f"/api/inbox/conversations/{conversation_id}"


async def first_message(session: AsyncSession, conversation: Conversation) -> Message:
    statement = select(Message).where(Message.conversation_id == conversation.id).limit(1)
    return (await session.execute(statement)).scalar_one()


async def stored_file(
    session: AsyncSession, storage: Storage, message: Message, body: bytes = b"a photo"
) -> Attachment:
    """An attachment of `message` whose bytes are in object storage."""
    attachment = Attachment(
        id=uuid.uuid4(),
        tenant_id=message.tenant_id,
        message_id=message.id,
        kind="image",
        mime_type="image/png",
        size=len(body),
        filename="photo.png",
        state=AttachmentState.STORED,
    )
    attachment.storage_key = f"{message.tenant_id}/{message.id}/{attachment.id}/photo.png"
    await storage.put(attachment.storage_key, body, "image/png")
    session.add(attachment)
    await session.commit()
    return attachment


async def audit_actions(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[str, Any]]:
    """(action, target_id) of the tenant's audit entries, oldest first."""
    rows = await session.execute(
        select(AuditLog.action, AuditLog.target_id, AuditLog.actor_type)
        .where(AuditLog.tenant_id == tenant_id, AuditLog.action.not_like("auth.%"))
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    return [(action, target) for action, target, _ in rows]


async def trash(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[Any]:
    response = await client.get(TRASH, params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items
