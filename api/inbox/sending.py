"""Sending a queued message through the channel's adapter, in steps that each commit:
claim (queued → sending), call Meta outside any transaction, record the outcome.

A message is only ever claimed from `queued`, so a job that runs twice sends once. The
claim checks Meta's rules again (the window may have closed, or the template been paused,
while the message waited). Retryable Graph errors put it back to `queued` for a later
attempt, until `OUTBOUND_MAX_ATTEMPTS`; permanent ones mark it `failed` with a readable
reason; a dead token also marks the channel `needs_reauth`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, exists, func, literal, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.adapters import (
    Outbound,
    OutboundMedia,
    OutboundTemplate,
    OutboundText,
    SendResult,
    UploadedMedia,
)
from api.config import OutboundSettings
from api.crypto import DecryptionError, SecretBox
from api.errors import AppError
from api.inbox.policy import SendDecision, SendIntent, decide
from api.inbox.statuses import StatusApplier
from api.inbox.views import emit_message
from api.meta.errors import ErrorAction, GraphError
from api.models import (
    Attachment,
    Channel,
    ChannelKind,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    PendingStatus,
)
from api.observability import logs
from api.templates.repository import template_by_id
from api.uploads.attach import ATTACHMENT_TYPES
from api.vault import open_token

SEND_JOB = "inbox.send_message"
PAIR_RATE_CODE = 131056  # too many messages to one WhatsApp user: wait for that user

# Whether the message has attachments, read with it: its status events then need no query
# for them when it has none (most replies).
_HAS_ATTACHMENTS = exists().where(Attachment.message_id == Message.id).label("has_attachments")

# The statements of every send, built once (their SQL is cached; only the values change).
_COLUMNS = Message.__table__.c
_MESSAGE_ID = bindparam("p_message_id", type_=_COLUMNS.id.type)
_IS_OUTBOUND = Message.direction == MessageDirection.OUTBOUND

# target: only the columns the rate limits need, unlocked (the claim reads it again, locked).
_TARGET = (
    select(
        Message.id,
        Message.tenant_id,
        Message.status,
        Message.retry_count,
        Message.attempts,
        Message.type,
        Channel.id,
        Channel.kind,
        Contact.external_id,
    )
    .join(Conversation, Conversation.id == Message.conversation_id)
    .join(Contact, Contact.id == Conversation.contact_id)
    .join(Channel, Channel.id == Message.channel_id)
    .where(Message.id == _MESSAGE_ID, _IS_OUTBOUND)
)

# claim, fail, record_error: the message (locked) with its conversation, contact, channel.
_LOAD = (
    select(Message, Conversation, Contact, Channel, _HAS_ATTACHMENTS)
    .join(Conversation, Conversation.id == Message.conversation_id)
    .join(Contact, Contact.id == Conversation.contact_id)
    .join(Channel, Channel.id == Message.channel_id)
    .where(Message.id == _MESSAGE_ID, _IS_OUTBOUND)
    .with_for_update(of=Message)
)

# mark_sent: one UPDATE (which locks the row), returning the message and what the rest of
# the step needs. The echo or a status may have landed first: then it changes nothing
# backwards — the provider id and sent time are only filled in, only `sending` becomes
# `sent` (and loses its error). RETURNING sees the updated row.
_NOW = bindparam("p_now", type_=_COLUMNS.sent_at.type)
_SENDING = Message.status == MessageStatus.SENDING
_MARK_SENT = (
    update(Message)
    .where(Message.id == _MESSAGE_ID, _IS_OUTBOUND)
    .values(
        external_id=func.coalesce(
            Message.external_id, bindparam("p_external_id", type_=_COLUMNS.external_id.type)
        ),
        status=case(
            (_SENDING, literal(MessageStatus.SENT, _COLUMNS.status.type)), else_=Message.status
        ),
        status_at=case((_SENDING, _NOW), else_=Message.status_at),
        error_code=case((_SENDING, null()), else_=Message.error_code),
        error_reason=case((_SENDING, null()), else_=Message.error_reason),
        sent_at=func.coalesce(Message.sent_at, _NOW),
    )
    .returning(
        Message,
        _HAS_ATTACHMENTS,
        select(Channel.kind).where(Channel.id == Message.channel_id).scalar_subquery(),
        select(Contact.external_id)
        .join(Conversation, Conversation.contact_id == Contact.id)
        .where(Conversation.id == Message.conversation_id)
        .scalar_subquery(),
        # Statuses parked for this provider id (StatusApplier.apply_pending applies them).
        exists().where(
            PendingStatus.channel_id == Message.channel_id,
            PendingStatus.external_id == Message.external_id,
        ),
    )
    .execution_options(synchronize_session=False, populate_existing=True)
)


def send_job_id(message_id: uuid.UUID, retry_count: int = 0) -> str:
    """The arq job id of a message's send: one live job per message, however often
    enqueued. A person's retry gets a new id, because arq keeps a finished job's result
    under its id (keep_result) and would silently refuse to enqueue that id again."""
    return f"send:{message_id}" if retry_count == 0 else f"send:{message_id}:r{retry_count}"


def retry_delay(settings: OutboundSettings, attempts: int, error: GraphError) -> float:
    """Exponential backoff with jitter (half fixed, half random, so never ~0 s)."""
    ceiling = min(settings.backoff_cap_seconds, settings.backoff_base_seconds * 2 ** (attempts - 1))
    delay: float = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
    if error.code == PAIR_RATE_CODE:  # the recipient's pair rate: at least its interval
        delay = max(delay, settings.whatsapp_pair_interval_seconds)
    return delay


def intent_of(message: Message, template_status: str | None = None) -> SendIntent:
    return SendIntent(
        type="template" if message.type == "template" else "text",
        human_written=not message.automated,
        tag=message.tag,
        template_status=template_status,
    )


@dataclass(frozen=True, slots=True)
class SendTarget:
    """Where a queued message goes, for the rate limits (read before claiming)."""

    message_id: uuid.UUID
    channel_id: uuid.UUID
    channel_kind: ChannelKind
    recipient: str
    holder: str  # this attempt of this message, for its rate-limit reservations
    message_type: str = "text"  # Messenger paces audio and video apart


@dataclass(frozen=True, slots=True)
class SendPlan:
    message_id: uuid.UUID
    channel_kind: ChannelKind
    channel_external_id: str
    token: str
    outbound: Outbound


@dataclass(frozen=True, slots=True)
class ErrorOutcome:
    retry: bool
    attempts: int


class MessageSender:
    def __init__(self, session: AsyncSession, box: SecretBox, settings: OutboundSettings) -> None:
        self.session = session
        self.box = box
        self.settings = settings
        self._without_attachments: set[uuid.UUID] = set()  # read with the message

    async def target(self, message_id: uuid.UUID) -> SendTarget | None:
        """The queued message's channel and recipient; None if nothing is to be sent."""
        row = (await self.session.execute(_TARGET, {"p_message_id": message_id})).one_or_none()
        if row is None:
            return None
        (mid, tenant_id, status, retry_count, attempts, type_, channel_id, kind, recipient) = row
        logs.bind(tenant_id=tenant_id)  # the send job's lines name its tenant
        if status is not MessageStatus.QUEUED:
            return None
        return SendTarget(
            message_id=mid,
            channel_id=channel_id,
            channel_kind=kind,
            recipient=recipient,
            holder=f"{mid}:{retry_count}:{attempts}",
            message_type=type_,
        )

    async def claim(self, message_id: uuid.UUID) -> SendPlan | None:
        """Move a queued message to `sending` and say how to send it; None if nothing to do."""
        row = await self._load(message_id)
        if row is None:
            return None
        message, conversation, contact, channel = row
        if message.status is not MessageStatus.QUEUED:
            return None
        if channel.status is not ChannelStatus.ACTIVE:
            await self._fail(
                message, "channel_inactive", f"The channel is {channel.status.value}; reconnect it."
            )
            return None
        decision = decide(
            channel.kind,
            conversation.last_inbound_at,
            datetime.now(UTC),
            intent_of(message, await self._template_status(message)),
        )
        if not decision.allowed:
            assert decision.reason is not None
            await self._fail(message, decision.reason.value, decision.detail or "Not allowed.")
            return None
        try:
            token = open_token(self.box, channel)
        except (DecryptionError, AppError):
            await self._fail(
                message, "channel_needs_reauth", "The channel's token cannot be used; reconnect it."
            )
            return None
        attachment = await self._attachment(message) if message.type in ATTACHMENT_TYPES else None
        if message.type in ATTACHMENT_TYPES and attachment is None:
            await self._fail(
                message, "upload_missing", "The message's file is gone; send it again."
            )
            return None
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.tag = decision.tag
        await self._emit(message)
        return SendPlan(
            message_id=message.id,
            channel_kind=channel.kind,
            channel_external_id=channel.external_id,
            token=token,
            outbound=_outbound(message, contact, decision)
            if attachment is None
            else _outbound_media(message, contact, decision, attachment),
        )

    async def record_media_id(self, attachment_id: uuid.UUID, uploaded: UploadedMedia) -> None:
        """Keep Meta's id for an uploaded file, so a later attempt sends it without
        uploading it again (until it expires)."""
        attachment = await self.session.get(Attachment, attachment_id, with_for_update=True)
        if attachment is not None:
            attachment.source_media_id = uploaded.media_id
            attachment.media_id_expires_at = uploaded.expires_at

    async def fail(self, message_id: uuid.UUID, code: str, reason: str) -> None:
        """Mark a message being sent `failed` for a reason found outside the Graph call."""
        row = await self._load(message_id)
        if row is not None and row[0].status is MessageStatus.SENDING:
            await self._fail(row[0], code, reason)

    async def _attachment(self, message: Message) -> Attachment | None:
        """The stored file an attachment message sends."""
        found = await self.session.execute(
            select(Attachment)
            .where(Attachment.message_id == message.id, Attachment.storage_key.is_not(None))
            .order_by(Attachment.position)
            .limit(1)
        )
        return found.scalar_one_or_none()

    async def mark_sent(self, message_id: uuid.UUID, result: SendResult) -> None:
        """Record the accepted send: one `UPDATE ... RETURNING` (see _MARK_SENT)."""
        params = {
            "p_message_id": message_id,
            "p_external_id": result.external_id or None,
            "p_now": datetime.now(UTC),
        }
        row = (await self.session.execute(_MARK_SENT, params)).one_or_none()
        if row is None:
            return
        message, has_attachments, kind, recipient, has_pending = row
        logs.bind(tenant_id=message.tenant_id)  # the send job's lines name its tenant
        if not has_attachments:
            self._without_attachments.add(message.id)
        wa_id = result.recipient_id
        if kind is ChannelKind.WHATSAPP and wa_id and wa_id != recipient:
            contact = await self._contact_of(message)
            if contact is not None:
                await self._adopt_wa_id(contact, wa_id)
        if has_pending:
            await StatusApplier(self.session).apply_pending(message)
        await self._emit(message)

    async def _contact_of(self, message: Message) -> Contact | None:
        found = await self.session.execute(
            select(Contact)
            .join(Conversation, Conversation.contact_id == Contact.id)
            .where(Conversation.id == message.conversation_id)
        )
        return found.scalar_one_or_none()

    async def record_error(self, message_id: uuid.UUID, error: GraphError) -> ErrorOutcome:
        """Record a failed attempt; whether (and after how many attempts) to retry."""
        row = await self._load(message_id)
        if row is None:
            return ErrorOutcome(retry=False, attempts=0)
        message, _, _, channel = row
        retryable = error.action is ErrorAction.RETRY
        retry = retryable and message.attempts < self.settings.max_attempts
        if error.action is ErrorAction.REAUTH:
            channel.status = ChannelStatus.NEEDS_REAUTH
        if retry:
            message.status = MessageStatus.QUEUED
            message.error_code, message.error_reason = error.error_code, error.reason
            await self._emit(message)
        else:
            reason = error.reason
            if retryable:
                reason = f"{reason} Gave up after {message.attempts} attempts; retry later."
            await self._fail(message, error.error_code, reason)
        return ErrorOutcome(retry=retry, attempts=message.attempts)

    async def _adopt_wa_id(self, contact: Contact, wa_id: str) -> None:
        """WhatsApp answered with the user's canonical id (country-specific digit rules can
        make it differ from the number typed): key the contact by it, so the customer's
        answers land in the same conversation. Left alone if another contact has it."""
        if contact.external_id == wa_id:
            return
        taken = await self.session.execute(
            select(Contact.id).where(
                Contact.channel_id == contact.channel_id, Contact.external_id == wa_id
            )
        )
        if taken.first() is None:
            contact.external_id = wa_id

    async def _template_status(self, message: Message) -> str | None:
        if message.type != "template":
            return None
        template_id = (message.content.get("template") or {}).get("id")
        try:
            template = await template_by_id(self.session, uuid.UUID(str(template_id)))
        except ValueError:
            return None
        if template is None or template.tenant_id != message.tenant_id:
            return None
        return template.status

    async def _fail(self, message: Message, code: str, reason: str) -> None:
        message.status = MessageStatus.FAILED
        message.error_code = code
        message.error_reason = reason
        await self._emit(message)

    async def _emit(self, message: Message) -> None:
        known: list[Attachment] | None = None
        if message.id in self._without_attachments:
            known = []  # the same payload, without querying for attachments it has not
        await emit_message(self.session, message, attachments=known)

    async def _load(
        self, message_id: uuid.UUID
    ) -> tuple[Message, Conversation, Contact, Channel] | None:
        row = (await self.session.execute(_LOAD, {"p_message_id": message_id})).one_or_none()
        if row is None:
            return None
        logs.bind(tenant_id=row[0].tenant_id)  # the send job's lines name its tenant
        if not row[4]:
            self._without_attachments.add(row[0].id)
        return row[0], row[1], row[2], row[3]


def _outbound_media(
    message: Message, contact: Contact, decision: SendDecision, attachment: Attachment
) -> OutboundMedia:
    usable = (
        attachment.source_media_id
        and attachment.media_id_expires_at is not None
        and attachment.media_id_expires_at > datetime.now(UTC)
    )
    assert attachment.storage_key is not None
    return OutboundMedia(
        recipient=contact.external_id,
        message_type=message.type,
        attachment_id=attachment.id,
        storage_key=attachment.storage_key,
        mime_type=attachment.mime_type or "application/octet-stream",
        filename=attachment.filename or "file",
        size=attachment.size or 0,
        caption=message.text,
        media_id=attachment.source_media_id if usable else None,
        messaging_type=decision.messaging_type or "RESPONSE",
        tag=decision.tag,
        reference=str(message.id),
        reply_to=message.reply_to_external_id,
    )


def _outbound(message: Message, contact: Contact, decision: SendDecision) -> Outbound:
    reference = str(message.id)
    if message.type == "template":
        template: dict[str, Any] = message.content.get("template") or {}
        return OutboundTemplate(
            recipient=contact.external_id,
            name=str(template.get("name") or ""),
            language=str(template.get("language") or ""),
            components=list(message.content.get("components") or []),
            reference=reference,
            reply_to=message.reply_to_external_id,
        )
    return OutboundText(
        recipient=contact.external_id,
        text=message.text or "",
        messaging_type=decision.messaging_type or "RESPONSE",
        tag=decision.tag,
        reference=reference,
        reply_to=message.reply_to_external_id,
    )
