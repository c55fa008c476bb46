from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from api.auth.deps import CurrentScope, SavedRepliesScope, TenantAgent
from api.deps import SessionDep
from api.inbox.attachments import AttachmentService, AttachmentUrl
from api.inbox.filters import ConversationQuery
from api.inbox.outbox import REPLAYED_HEADER, Outbox, draft_of
from api.inbox.saved_replies import SavedReplyService
from api.inbox.schemas import (
    ConversationCounts,
    ConversationListItem,
    ConversationOut,
    ConversationUpdate,
    LabelUsage,
    MessageOut,
    NoteCreate,
    SavedReplyCreate,
    SavedReplyOut,
    SavedReplyUpdate,
    SendMessageRequest,
)
from api.inbox.service import InboxService
from api.inbox.workflow import ConversationWorkflow
from api.pagination import MAX_LIMIT, Page
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
    query: Annotated[ConversationQuery, Query()], scope: CurrentScope, session: SessionDep
) -> Page[ConversationListItem]:
    """Conversations, newest activity first: a folder (mine, unassigned, all), narrowed by
    channel, status, assignee, label, unread and window state; with `q`, only those whose
    messages or notes match, each with its newest match."""
    return await ConversationWorkflow(session, scope).find(query)


@router.get("/conversations/counts")
async def conversation_counts(scope: CurrentScope, session: SessionDep) -> ConversationCounts:
    """Open conversations per folder and per channel."""
    return await ConversationWorkflow(session, scope).counts()


@router.get("/labels")
async def list_labels(scope: CurrentScope, session: SessionDep) -> Page[LabelUsage]:
    """The labels on the team's conversations, most used first."""
    return await ConversationWorkflow(session, scope).labels()


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
    scope: TenantAgent,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MessageOut:
    """Queue a reply (text, or a WhatsApp template); a worker sends it through the Graph
    API (`queued` → `sending` → `sent`). Refused with a reason the UI can show
    (`window_closed`, `template_required`, `human_agent_window_expired`, ...). The same
    Idempotency-Key answers with the same message (header `Idempotent-Replayed: true`)."""
    sent = await Outbox(session, scope).send(
        conversation_id, draft_of(body), idempotency_key=idempotency_key
    )
    if sent.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return sent.message


@router.patch("/conversations/{conversation_id}")
async def update_conversation(
    conversation_id: uuid.UUID, body: ConversationUpdate, scope: TenantAgent, session: SessionDep
) -> ConversationOut:
    """Change status (snoozed needs `snoozed_until`), assignee (`null` unassigns) or labels."""
    return await ConversationWorkflow(session, scope).change(conversation_id, body)


@router.post("/conversations/{conversation_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(
    conversation_id: uuid.UUID, body: NoteCreate, scope: TenantAgent, session: SessionDep
) -> MessageOut:
    """A private note in the thread (direction `note`): seen by the team, never sent."""
    return await ConversationWorkflow(session, scope).add_note(conversation_id, body.text)


@router.post("/conversations/{conversation_id}/read")
async def mark_read(
    conversation_id: uuid.UUID, scope: TenantAgent, session: SessionDep
) -> ConversationOut:
    return await ConversationWorkflow(session, scope).mark_read(conversation_id)


@router.post("/conversations/{conversation_id}/unread")
async def mark_unread(
    conversation_id: uuid.UUID, scope: TenantAgent, session: SessionDep
) -> ConversationOut:
    return await ConversationWorkflow(session, scope).mark_unread(conversation_id)


@router.get("/saved-replies")
async def list_saved_replies(
    scope: CurrentScope,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=40, description="Shortcut prefix.")] = None,
    cursor: str | None = None,
    limit: Limit = MAX_LIMIT,
) -> Page[SavedReplyOut]:
    """The team's saved replies by shortcut; `q` ("/tha") keeps those starting with it."""
    return await SavedReplyService(session, scope).find(q=q, cursor=cursor, limit=limit)


@router.post("/saved-replies", status_code=status.HTTP_201_CREATED)
async def create_saved_reply(
    body: SavedReplyCreate, scope: SavedRepliesScope, session: SessionDep
) -> SavedReplyOut:
    return await SavedReplyService(session, scope).create(body)


@router.get("/saved-replies/{reply_id}")
async def get_saved_reply(
    reply_id: uuid.UUID, scope: CurrentScope, session: SessionDep
) -> SavedReplyOut:
    return await SavedReplyService(session, scope).get(reply_id)


@router.patch("/saved-replies/{reply_id}")
async def update_saved_reply(
    reply_id: uuid.UUID, body: SavedReplyUpdate, scope: SavedRepliesScope, session: SessionDep
) -> SavedReplyOut:
    return await SavedReplyService(session, scope).edit(reply_id, body)


@router.delete("/saved-replies/{reply_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_saved_reply(
    reply_id: uuid.UUID, scope: SavedRepliesScope, session: SessionDep
) -> None:
    await SavedReplyService(session, scope).remove(reply_id)


@router.get("/attachments/{attachment_id}/url")
async def attachment_url(
    attachment_id: uuid.UUID, scope: CurrentScope, session: SessionDep
) -> AttachmentUrl:
    """A short-lived presigned URL for one of this tenant's stored files."""
    return await AttachmentService(session, scope, get_storage()).presigned_url(attachment_id)
