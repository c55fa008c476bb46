from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from api.channels.schemas import ChannelSummary
from api.inbox.filters import normalize_labels
from api.inbox.policy import WindowState
from api.models import AttachmentState, ConversationStatus, MessageDirection, MessageStatus
from api.templates.schemas import TemplateChoice
from api.uploads.schemas import AttachmentRef

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
    snoozed_until: datetime | None = None
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
    # Messenger message tag it went (or goes) out with: HUMAN_AGENT, or null.
    tag: str | None = None
    automated: bool = False  # sent by an automation, not written by a person
    retry_count: int = 0  # times a person sent it again after it failed
    created_at: datetime
    sent_at: datetime | None
    provider_timestamp: datetime | None


class SendMessageRequest(BaseModel):
    """A reply: free-form `text`, a WhatsApp `template` with its parameters, or an uploaded
    file (`attachment`, with `text` as its caption where the channel shows one). On
    Messenger, between 24 hours and 7 days after the customer's last message, a person's
    reply goes with the HUMAN_AGENT tag (automatically; `tag: "HUMAN_AGENT"` asks for it
    explicitly). No other tag is ever sent."""

    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_LENGTH)
    tag: str | None = Field(default=None, min_length=1, max_length=64)
    template: TemplateChoice | None = None
    attachment: AttachmentRef | None = Field(
        default=None,
        description="A file from POST /api/storage/uploads; `text` is then its caption "
        "(WhatsApp images, videos and documents only: `caption_not_supported` otherwise).",
    )
    reply_to_message_id: uuid.UUID | None = Field(
        default=None,
        description="Quote a message of this conversation (WhatsApp only; it must have "
        "reached Meta, i.e. have an external_id).",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _text_or_template(self) -> SendMessageRequest:
        if self.attachment is not None:
            if self.template is not None:
                raise ValueError("give either a template or an attachment, not both")
            return self  # `text`, if any, is the attachment's caption
        if (self.text is None) == (self.template is None):
            raise ValueError("give either text or template (or an attachment)")
        return self


# --- conversation workflow ---------------------------------------------------------

MAX_NOTE_LENGTH = 10_000
MAX_SNOOZE = timedelta(days=365)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank)]


class ConversationUpdate(BaseModel):
    """Only the fields present change; `"assignee_id": null` unassigns."""

    model_config = ConfigDict(extra="forbid")

    status: ConversationStatus | None = None
    snoozed_until: AwareDatetime | None = Field(
        None, description='Required with status "snoozed" (in the future); only then.'
    )
    assignee_id: uuid.UUID | None = Field(None, description="A teammate; null unassigns.")
    labels: list[str] | None = Field(
        None,
        description="Replaces the labels. Lower-cased, spaces become '-'; "
        "letters, digits, '-' and '_'; at most 20 of 32 characters.",
    )

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalize_labels(value)

    @model_validator(mode="after")
    def _consistent(self) -> ConversationUpdate:
        given = self.model_fields_set
        if not given:
            raise ValueError("nothing to change: give status, assignee_id or labels")
        if "status" in given and self.status is None:
            raise ValueError("status: must be open, pending, resolved or snoozed")
        if "labels" in given and self.labels is None:
            raise ValueError("labels: give [] to remove every label")
        if self.status is ConversationStatus.SNOOZED:
            _check_snooze(self.snoozed_until)
        elif self.snoozed_until is not None:
            raise ValueError('snoozed_until: only goes with status "snoozed"')
        return self


def _check_snooze(until: datetime | None) -> None:
    now = datetime.now(UTC)
    if until is None:
        raise ValueError('snoozed_until: required when status is "snoozed"')
    if until <= now:
        raise ValueError("snoozed_until: must be in the future")
    if until > now + MAX_SNOOZE:
        raise ValueError(f"snoozed_until: at most {MAX_SNOOZE.days} days ahead")


class NoteCreate(BaseModel):
    text: NonBlank = Field(min_length=1, max_length=MAX_NOTE_LENGTH)


class SearchMatch(BaseModel):
    """The conversation's newest message matching `q`, with a plain-text excerpt."""

    message_id: uuid.UUID
    at: datetime
    snippet: str


class ConversationListItem(ConversationOut):
    match: SearchMatch | None = Field(None, description="Set when the list was searched (`q`).")


class ChannelCount(BaseModel):
    channel_id: uuid.UUID
    open: int


class ConversationCounts(BaseModel):
    """Open conversations per folder and per channel (channels with none are left out)."""

    mine: int
    unassigned: int
    all: int
    channels: list[ChannelCount]


class LabelUsage(BaseModel):
    name: str
    conversations: int


# --- saved replies -------------------------------------------------------------------

MAX_SHORTCUT_LENGTH = 32
MAX_TITLE_LENGTH = 120
_SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def normalize_shortcut(value: str) -> str:
    """`"/Thanks"` → `"thanks"`: what follows the slash the agent types in the composer."""
    shortcut = value.strip().removeprefix("/").lower()
    if not shortcut:
        raise ValueError("must not be empty")
    if len(shortcut) > MAX_SHORTCUT_LENGTH:
        raise ValueError(f"at most {MAX_SHORTCUT_LENGTH} characters")
    if not _SHORTCUT.match(shortcut):
        raise ValueError("use a-z, 0-9, '-' and '_' (starting with a letter or digit)")
    return shortcut


Shortcut = Annotated[str, AfterValidator(normalize_shortcut)]


class SavedReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: Shortcut = Field(description="Typed as /shortcut; unique in the team.")
    title: NonBlank = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    text: NonBlank = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class SavedReplyUpdate(BaseModel):
    """Only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    shortcut: Shortcut | None = None
    title: NonBlank | None = Field(None, min_length=1, max_length=MAX_TITLE_LENGTH)
    text: NonBlank | None = Field(None, min_length=1, max_length=MAX_TEXT_LENGTH)

    @model_validator(mode="after")
    def _something(self) -> SavedReplyUpdate:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give shortcut, title or text")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: must not be null")
        return self


class SavedReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    shortcut: str
    title: str
    text: str
    created_by_user_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


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
        snoozed_until=conversation.snoozed_until,
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
        # An entry without an emoji is a removal still on its way to Meta: not shown.
        reactions=[
            ReactionOut.model_validate(r) for r in message.reactions or [] if r.get("emoji")
        ],
        reply_to=reply_to,
        written_elsewhere=bool(message.written_elsewhere),
        author_user_id=message.author_user_id,
        tag=message.tag,
        automated=bool(message.automated),
        retry_count=message.retry_count or 0,
        created_at=message.created_at,
        sent_at=message.sent_at,
        provider_timestamp=message.provider_timestamp,
    )
