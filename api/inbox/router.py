from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.auth.deps import CurrentScope
from api.deps import SessionDep
from api.inbox.attachments import AttachmentService, AttachmentUrl
from api.inbox.schemas import ConversationOut, MessageOut, SendMessageRequest
from api.inbox.service import InboxService
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.storage import get_storage

router = APIRouter(prefix="/inbox", tags=["inbox"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retrying with the same key returns the same message and never sends twice.",
    ),
]


@router.get("/conversations")
async def list_conversations(
    scope: CurrentScope,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ConversationOut]:
    """Conversations, newest activity first."""
    return await InboxService(session, scope).list_conversations(cursor=cursor, limit=limit)


@router.get("/conversations/{conversation_id}")
async def get_conversation(
    conversation_id: uuid.UUID, scope: CurrentScope, session: SessionDep
) -> ConversationOut:
    return await InboxService(session, scope).get_conversation(conversation_id)


@router.get("/conversations/{conversation_id}/messages")
async def list_messages(
    conversation_id: uuid.UUID,
    scope: CurrentScope,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[MessageOut]:
    """The newest messages first page, oldest first within it; `next_cursor` goes back in time."""
    return await InboxService(session, scope).list_messages(
        conversation_id, cursor=cursor, limit=limit
    )


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_202_ACCEPTED)
async def send_message(
    conversation_id: uuid.UUID,
    body: SendMessageRequest,
    scope: CurrentScope,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> MessageOut:
    """Queue a reply; it is sent through the Graph API by a worker (status `queued` → `sent`)."""
    return await InboxService(session, scope).send_text(
        conversation_id, body.text, idempotency_key=idempotency_key
    )


@router.post("/conversations/{conversation_id}/read")
async def mark_read(
    conversation_id: uuid.UUID, scope: CurrentScope, session: SessionDep
) -> ConversationOut:
    return await InboxService(session, scope).mark_read(conversation_id)


@router.get("/attachments/{attachment_id}/url")
async def attachment_url(
    attachment_id: uuid.UUID, scope: CurrentScope, session: SessionDep
) -> AttachmentUrl:
    """A short-lived presigned URL for one of this tenant's stored files."""
    return await AttachmentService(session, scope, get_storage()).presigned_url(attachment_id)
