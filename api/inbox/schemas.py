from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.channels.schemas import ChannelSummary
from api.inbox.policy import WindowState
from api.models import AttachmentState, ConversationStatus, MessageDirection, MessageStatus

MAX_TEXT_LENGTH = 2000  # Messenger's text limit; WhatsApp allows 4096


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str | None
    external_id: str
    avatar_url: str | None


class WindowOut(BaseModel):
    state: WindowState
    expires_at: datetime | None


class ConversationOut(BaseModel):
    id: uuid.UUID
    channel_id: uuid.UUID
    channel: ChannelSummary
    contact: ContactOut
    status: ConversationStatus
    assignee_id: uuid.UUID | None
    labels: list[str]
    unread_count: int
    last_message_at: datetime
    last_inbound_at: datetime | None
    last_message_preview: str | None
    window: WindowOut
    created_at: datetime


class MessageError(BaseModel):
    code: str
    reason: str


class AttachmentOut(BaseModel):
    """A file on a message. Its bytes come from `GET /api/inbox/attachments/{id}/url`."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    mime_type: str | None
    size: int | None
    filename: str | None
    state: AttachmentState
    error: str | None


class ReactionOut(BaseModel):
    emoji: str
    by: Literal["contact", "business"]
    at: datetime


class ReplyRef(BaseModel):
    """The message a reply quotes; `id` is null when Parley never saw the original."""

    id: uuid.UUID | None
    external_id: str
    text: str | None
    type: str | None
    direction: MessageDirection | None


class MessageOut(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    direction: MessageDirection
    type: str
    text: str | None
    content: dict[str, Any]
    status: MessageStatus
    external_id: str | None
    error: MessageError | None
    attachments: list[AttachmentOut] = Field(default_factory=list)
    reactions: list[ReactionOut] = Field(default_factory=list)
    reply_to: ReplyRef | None = None
    written_elsewhere: bool = False
    author_user_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    provider_timestamp: datetime | None


class SendMessageRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


def conversation_out(
    conversation: Any, now: datetime, *, contact: Any = None, channel: Any = None
) -> ConversationOut:
    """Serialise a conversation loaded with its contact and channel (or given them)."""
    from api.inbox.policy import window_for

    channel = channel if channel is not None else conversation.channel
    contact = contact if contact is not None else conversation.contact
    window = window_for(channel.kind, conversation.last_inbound_at, now)
    return ConversationOut(
        id=conversation.id,
        channel_id=conversation.channel_id,
        channel=ChannelSummary.model_validate(channel),
        contact=ContactOut.model_validate(contact),
        status=conversation.status,
        assignee_id=conversation.assignee_id,
        labels=list(conversation.labels or []),
        unread_count=conversation.unread_count,
        last_message_at=conversation.last_message_at,
        last_inbound_at=conversation.last_inbound_at,
        last_message_preview=conversation.last_message_preview,
        window=WindowOut(state=window.state, expires_at=window.expires_at),
        created_at=conversation.created_at,
    )


def message_out(
    message: Any, attachments: list[Any] | None = None, reply_to: ReplyRef | None = None
) -> MessageOut:
    """Serialise a message; `api.inbox.views` loads its attachments and quoted message."""
    error = None
    if message.error_code is not None:
        error = MessageError(code=message.error_code, reason=message.error_reason or "")
    return MessageOut(
        id=message.id,
        conversation_id=message.conversation_id,
        direction=message.direction,
        type=message.type,
        text=message.text,
        content=message.content or {},
        status=message.status,
        external_id=message.external_id,
        error=error,
        attachments=[AttachmentOut.model_validate(a) for a in attachments or []],
        reactions=[ReactionOut.model_validate(r) for r in message.reactions or []],
        reply_to=reply_to,
        written_elsewhere=bool(message.written_elsewhere),
        author_user_id=message.author_user_id,
        created_at=message.created_at,
        sent_at=message.sent_at,
        provider_timestamp=message.provider_timestamp,
    )
