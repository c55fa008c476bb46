"""The one send path (DESIGN invariant 6): every reply, template, business-initiated
WhatsApp conversation and retry — from the UI, the REST API or an automation — goes
through `Outbox`, which

1. answers a repeated `Idempotency-Key` (per tenant and author) with the message the key
   first made, and never queues a second send — a unique constraint settles concurrent
   duplicates; a key reused for another request is refused (`idempotency_key_reused`);
2. applies Meta's rules (api.inbox.policy), refusing with a machine-readable reason;
3. checks a template's parameters before anything is queued (422 with every problem and
   the preview);
4. stores the message `queued` and enqueues its send job after commit; the worker checks
   the rules again when it claims the message (api.inbox.sending).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import events, jobs
from api.channels.repository import ChannelRepository
from api.contacts.phone import PhoneNumber
from api.data.revive import revive
from api.errors import AppError, Conflict, NotFound
from api.inbox.outbox_repository import ConversationStarts, OutboxRepository
from api.inbox.policy import INVALID_REQUEST, SendDecision, SendIntent, decide
from api.inbox.repository import ConversationRepository
from api.inbox.schemas import ConversationOut, MessageOut, SendMessageRequest, conversation_out
from api.inbox.sending import SEND_JOB, intent_of, send_job_id
from api.inbox.views import emit_message, message_payload, messages_out
from api.models import (
    Channel,
    ChannelKind,
    ChannelStatus,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    MessageTemplate,
)
from api.storage import Storage, get_storage
from api.templates.params import Rendered, render
from api.templates.repository import TemplateRepository
from api.templates.schemas import TemplateChoice
from api.tenancy import TenantScope
from api.uploads.attach import AttachmentSends, PreparedAttachment, attachment_preview

PREVIEW_LENGTH = 280
REPLAYED_HEADER = "Idempotent-Replayed"  # "true" on an answer replayed for a repeated key


class SendRefused(AppError):
    """Meta's rules do not allow this send now; `error` says why (api.inbox.policy)."""

    status_code = 409


class TemplateParametersInvalid(AppError):
    status_code = 422
    code = "template_parameters_invalid"


@dataclass(frozen=True, slots=True)
class Draft:
    """What to send: free-form text (optionally asking for a Messenger tag) or a template,
    optionally quoting a message of the conversation (`reply_to`, WhatsApp)."""

    text: str | None = None
    tag: str | None = None
    template: TemplateChoice | None = None
    reply_to: uuid.UUID | None = None
    upload_id: uuid.UUID | None = None  # a file to send (`text` is then its caption)

    @property
    def type(self) -> str:
        return "template" if self.template is not None else "text"

    def fingerprint_data(self) -> dict[str, Any]:
        template = self.template.model_dump(mode="json") if self.template else None
        data: dict[str, Any] = {"text": self.text, "tag": self.tag, "template": template}
        if self.reply_to is not None:  # absent otherwise: earlier fingerprints stay valid
            data["reply_to"] = str(self.reply_to)
        if self.upload_id is not None:
            data["upload_id"] = str(self.upload_id)
        return data


def draft_of(body: SendMessageRequest) -> Draft:
    return Draft(
        text=body.text,
        tag=body.tag,
        template=body.template,
        reply_to=body.reply_to_message_id,
        upload_id=body.attachment.upload_id if body.attachment else None,
    )


class ReplyTargetInvalid(AppError):
    status_code = 422
    code = "reply_target_invalid"


@dataclass(frozen=True, slots=True)
class Sent:
    message: MessageOut
    replayed: bool  # an earlier request with the same Idempotency-Key made it


@dataclass(frozen=True, slots=True)
class Started:
    conversation: ConversationOut
    message: MessageOut
    replayed: bool


def fingerprint(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Outbox:
    def __init__(
        self,
        session: AsyncSession,
        scope: TenantScope,
        *,
        automated: bool | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.session = session
        self.scope = scope
        self._storage = storage  # object storage, for attachments (default: get_storage())
        # A person signed in writes their replies; callers without a user (automations,
        # integrations) are automated unless they say otherwise.
        self.automated = scope.user_id is None if automated is None else automated
        self.messages = OutboxRepository(session, scope)
        self.conversations = ConversationRepository(session, scope)
        self.templates = TemplateRepository(session, scope)

    # --- replies -------------------------------------------------------------------

    async def send(
        self, conversation_id: uuid.UUID, draft: Draft, *, idempotency_key: str | None = None
    ) -> Sent:
        """Queue a reply in a conversation (text, template, or an uploaded file)."""
        conversation = await self.conversations.get_full(conversation_id, for_update=True)
        if conversation is None:
            raise NotFound("Conversation not found.")
        request = fingerprint({"conversation_id": str(conversation_id), **draft.fingerprint_data()})
        if idempotency_key:
            existing = await self.messages.by_idempotency_key(self.scope.user_id, idempotency_key)
            if existing is not None:
                return Sent(await self._replay(existing, request), replayed=True)
        return await self._queue(conversation, draft, idempotency_key, request)

    # --- business-initiated WhatsApp ---------------------------------------------

    async def start_whatsapp(
        self,
        channel_id: uuid.UUID,
        phone: PhoneNumber,
        template: TemplateChoice,
        *,
        idempotency_key: str | None = None,
    ) -> Started:
        """Write first to a WhatsApp number with an approved template: find or create the
        contact and conversation, then send through the same path as any reply."""
        channel = await ChannelRepository(self.session, self.scope).get(channel_id)
        if channel is None:
            raise NotFound("Channel not found.")
        if channel.kind is not ChannelKind.WHATSAPP:
            raise AppError("Conversations are started on WhatsApp numbers.", code="not_whatsapp")
        draft = Draft(template=template)
        request = fingerprint(
            {"channel_id": str(channel_id), "phone": phone.e164, **draft.fingerprint_data()}
        )
        if idempotency_key:
            existing = await self.messages.by_idempotency_key(self.scope.user_id, idempotency_key)
            if existing is not None:
                message = await self._replay(existing, request)
                conversation = await self.conversations.get_full(existing.conversation_id)
                if conversation is None:  # deleted since (in the trash)
                    raise NotFound("Conversation not found.")
                return Started(self._conversation_out(conversation), message, replayed=True)
        starts = ConversationStarts(self.session, self.scope)
        now = datetime.now(UTC)
        contact_id = await starts.contact(channel, phone.digits)
        conversation = await starts.conversation(channel, contact_id, now)
        # Writing to someone whose conversation is in the trash brings it back.
        await revive(self.session, self.scope, conversation, reason="business_wrote")
        sent = await self._queue(conversation, draft, idempotency_key, request)
        return Started(self._conversation_out(conversation), sent.message, sent.replayed)

    # --- retry ---------------------------------------------------------------------

    async def retry(self, message_id: uuid.UUID) -> MessageOut:
        """Send a failed message again: back to `queued` (the rules checked again) under a
        new job id. A message already on its way again is returned as it is."""
        message = await self.messages.outbound_for_update(message_id)
        if message is None:
            raise NotFound("Message not found.")
        if message.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
            return await self._out(message)
        if message.status is not MessageStatus.FAILED:
            raise Conflict("Only a failed message can be sent again.", code="not_failed")
        conversation = await self.conversations.get_full(message.conversation_id)
        if conversation is None:  # its conversation is in the trash
            raise NotFound("Message not found.")
        self._check_channel(conversation.channel)
        template_status = await self._template_status_of(message)
        self._check_decision(
            decide(
                conversation.channel.kind,
                conversation.last_inbound_at,
                datetime.now(UTC),
                intent_of(message, template_status),
            )
        )
        _requeue(message)
        await self.session.flush()
        self._enqueue(message)
        await emit_message(self.session, message)
        return await self._out(message)

    # --- the shared steps ----------------------------------------------------------

    async def _queue(
        self,
        conversation: Conversation,
        draft: Draft,
        idempotency_key: str | None,
        request: str,
    ) -> Sent:
        channel = conversation.channel
        self._check_channel(channel)
        quoted = await self._reply_target(conversation, draft.reply_to)
        template = await self._template(channel, draft.template)
        attachment = await self._attachment(channel, draft)
        intent = SendIntent(
            type="template" if draft.template else "text",
            human_written=not self.automated,
            tag=draft.tag,
            template_status=template.status if template else None,
        )
        self._check_decision(
            decide(channel.kind, conversation.last_inbound_at, datetime.now(UTC), intent)
        )
        if attachment is not None:
            await self._attachments().check_stored(attachment)
        message = self._message(conversation, draft, idempotency_key, request)
        message.reply_to_external_id = quoted
        if attachment is not None:
            message.type = attachment.message_type
        if template is not None and draft.template is not None:
            _fill_template(message, template, self._render(template, draft.template))
        if not await self._insert_once(message):
            assert idempotency_key is not None
            existing = await self.messages.by_idempotency_key(self.scope.user_id, idempotency_key)
            assert existing is not None
            return Sent(await self._replay(existing, request), replayed=True)
        files = [AttachmentSends.attach(message, attachment)] if attachment else []
        self.session.add_all(files)
        conversation.last_message_at = message.created_at
        conversation.last_message_preview = (
            attachment_preview(attachment, message.text) if attachment else message.text or ""
        )[:PREVIEW_LENGTH]
        await self.session.flush()
        self._enqueue(message)
        events.emit(
            self.session,
            self.scope.tenant_id,
            "message:new",
            await message_payload(self.session, message, files),
        )
        out = self._conversation_out(conversation)
        events.emit(
            self.session,
            self.scope.tenant_id,
            "conversation:updated",
            {"conversation": out.model_dump(mode="json")},
        )
        return Sent(await self._out(message), replayed=False)

    def _message(
        self, conversation: Conversation, draft: Draft, key: str | None, request: str
    ) -> Message:
        now = datetime.now(UTC)
        return Message(
            id=uuid.uuid4(),
            tenant_id=self.scope.tenant_id,
            conversation_id=conversation.id,
            channel_id=conversation.channel_id,
            direction=MessageDirection.OUTBOUND,
            type=draft.type,
            text=draft.text,
            content={},
            status=MessageStatus.QUEUED,
            author_user_id=self.scope.user_id,
            automated=self.automated,
            tag=draft.tag,
            idempotency_key=key,
            request_fingerprint=request if key else None,
            sort_at=now,
            created_at=now,
        )

    def _attachments(self) -> AttachmentSends:
        return AttachmentSends(self.session, self.scope, self._storage or get_storage())

    async def _attachment(self, channel: Channel, draft: Draft) -> PreparedAttachment | None:
        """The upload a file send uses, checked against the channel (None without one)."""
        if draft.upload_id is None:
            return None
        return await self._attachments().prepare(channel, draft.upload_id, draft.text)

    async def _reply_target(
        self, conversation: Conversation, message_id: uuid.UUID | None
    ) -> str | None:
        """The provider id of the message a reply quotes (WhatsApp `context.message_id`)."""
        if message_id is None:
            return None
        if conversation.channel.kind is not ChannelKind.WHATSAPP:
            # Messenger's Send API reference lists a `reply_to` parameter without saying
            # what it holds or where it goes; nothing Parley could rely on.
            raise AppError(
                "Replying to a specific message is available on WhatsApp only.",
                status_code=422,
                code="reply_not_supported",
            )
        target = await self.messages.get(message_id)
        if target is None or target.conversation_id != conversation.id:
            raise ReplyTargetInvalid(
                "reply_to_message_id: there is no such message in this conversation."
            )
        if target.direction is MessageDirection.NOTE or not target.external_id:
            raise ReplyTargetInvalid(
                "reply_to_message_id: only a message that reached WhatsApp can be quoted "
                "(a private note, or a reply not sent yet, cannot)."
            )
        return target.external_id

    async def _template(
        self, channel: Channel, choice: TemplateChoice | None
    ) -> MessageTemplate | None:
        """The template chosen, on this number's WABA (None for text, or on Messenger,
        where the policy refuses templates)."""
        if choice is None or channel.kind is not ChannelKind.WHATSAPP:
            return None
        if choice.template_id is not None:
            template = await self.templates.get(choice.template_id)
            if template is None:
                raise NotFound("Template not found.")
        else:
            assert choice.name is not None and choice.language is not None
            template = await self.templates.by_name(
                channel.waba_id or "", choice.name, choice.language
            )
            if template is None:
                raise AppError(
                    f"No template {choice.name!r} in {choice.language} on this number's "
                    "WhatsApp Business Account; sync templates if it is new.",
                    status_code=422,
                    code="template_not_found",
                )
        if template.waba_id != channel.waba_id:
            raise AppError(
                "This template belongs to another WhatsApp Business Account than the number's.",
                status_code=422,
                code="template_wrong_account",
            )
        return template

    @staticmethod
    def _render(template: MessageTemplate, choice: TemplateChoice) -> Rendered:
        rendered = render(list(template.components or []), template.parameter_format, choice)
        if not rendered.valid:
            raise TemplateParametersInvalid(
                "; ".join(f"{p.field}: {p.message}" for p in rendered.problems),
                extra={
                    "fields": [p.model_dump() for p in rendered.problems],
                    "preview": rendered.preview.model_dump(),
                },
            )
        return rendered

    @staticmethod
    def _check_channel(channel: Channel) -> None:
        if channel.status is not ChannelStatus.ACTIVE:
            raise AppError(
                f"The channel is {channel.status.value.replace('_', ' ')}; reconnect it to send.",
                status_code=409,
                code="channel_inactive",
            )

    @staticmethod
    def _check_decision(decision: SendDecision) -> None:
        if decision.allowed:
            return
        assert decision.reason is not None
        raise SendRefused(
            decision.detail or "Sending is not allowed now.",
            code=decision.reason.value,
            status_code=422 if decision.reason in INVALID_REQUEST else 409,
        )

    async def _insert_once(self, message: Message) -> bool:
        """Insert inside a savepoint; False when a concurrent request used the same key
        (the unique constraint decides, not a read-then-write)."""
        try:
            async with self.session.begin_nested():
                self.session.add(message)
                await self.session.flush()
        except IntegrityError:
            if message.idempotency_key is None:
                raise
            return False
        return True

    async def _replay(self, existing: Message, request: str) -> MessageOut:
        if existing.request_fingerprint not in (None, request):
            raise AppError(
                "This Idempotency-Key was already used for a different request; use a new key "
                "for a new message.",
                status_code=422,
                code="idempotency_key_reused",
            )
        return await self._out(existing)

    async def _template_status_of(self, message: Message) -> str | None:
        if message.type != "template":
            return None
        template_id = (message.content.get("template") or {}).get("id")
        try:
            template = await self.templates.get(uuid.UUID(str(template_id)))
        except ValueError:
            return None
        return template.status if template else None

    def _enqueue(self, message: Message) -> None:
        jobs.enqueue_job(
            self.session,
            SEND_JOB,
            str(message.id),
            job_id=send_job_id(message.id, message.retry_count or 0),
        )

    async def _out(self, message: Message) -> MessageOut:
        (out,) = await messages_out(self.session, [message])
        return out

    @staticmethod
    def _conversation_out(conversation: Conversation) -> ConversationOut:
        return conversation_out(conversation, datetime.now(UTC))


def _fill_template(message: Message, template: MessageTemplate, rendered: Rendered) -> None:
    message.text = rendered.preview.text
    message.content = {
        "template": {
            "id": str(template.id),
            "name": template.name,
            "language": template.language,
            "category": template.category,
        },
        "components": rendered.components,
        "preview": rendered.preview.model_dump(),
    }


def _requeue(message: Message) -> None:
    message.status = MessageStatus.QUEUED
    message.retry_count = (message.retry_count or 0) + 1
    message.attempts = 0
    message.error_code = message.error_reason = None
    # A new send gets a new provider id; statuses of the failed one must not land on it.
    message.external_id = None
    message.sent_at = message.status_at = None
    message.status_details = {}
