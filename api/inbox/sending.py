"""Sending a queued reply through the channel's adapter, in three steps that each commit:
claim (queued → sending), call Meta outside any transaction, record the outcome.

A message is only ever claimed from `queued`, so a job that runs twice sends once.
Retryable Graph errors put it back to `queued` for a later attempt; permanent ones mark it
`failed` with a readable reason; a dead token also marks the channel `needs_reauth`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.adapters import OutboundText
from api.crypto import DecryptionError, SecretBox
from api.errors import AppError
from api.inbox.policy import decide_free_form
from api.inbox.statuses import StatusApplier
from api.inbox.views import emit_message
from api.meta.errors import ErrorAction, GraphError
from api.models import (
    Channel,
    ChannelKind,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MessageStatus,
)
from api.vault import open_token

MAX_SEND_ATTEMPTS = 5


def send_job_id(message_id: uuid.UUID) -> str:
    """The arq job id of a message's send: one live job per message, however often enqueued."""
    return f"send:{message_id}"


@dataclass(frozen=True, slots=True)
class SendPlan:
    message_id: uuid.UUID
    channel_kind: ChannelKind
    channel_external_id: str
    token: str
    outbound: OutboundText


class MessageSender:
    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self.session = session
        self.box = box

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
        decision = decide_free_form(
            channel.kind, conversation.last_inbound_at, datetime.now(UTC), human_written=True
        )
        if not decision.allowed:
            await self._fail(
                message,
                decision.reason or "window_closed",
                decision.detail or "Sending not allowed.",
            )
            return None
        try:
            token = open_token(self.box, channel)
        except (DecryptionError, AppError):
            await self._fail(
                message, "channel_needs_reauth", "The channel's token cannot be used; reconnect it."
            )
            return None
        message.status = MessageStatus.SENDING
        message.attempts += 1
        await self._emit(message)
        return SendPlan(
            message_id=message.id,
            channel_kind=channel.kind,
            channel_external_id=channel.external_id,
            token=token,
            outbound=OutboundText(
                recipient=contact.external_id,
                text=message.text or "",
                messaging_type=decision.messaging_type or "RESPONSE",
                tag=decision.tag,
                reference=str(message.id),
            ),
        )

    async def mark_sent(self, message_id: uuid.UUID, external_id: str) -> None:
        row = await self._load(message_id)
        if row is None:
            return
        message = row[0]
        now = datetime.now(UTC)
        # The echo or a status may have landed first (then this changes nothing backwards).
        message.external_id = message.external_id or external_id or None
        if message.status is MessageStatus.SENDING:
            message.status, message.status_at = MessageStatus.SENT, now
            message.error_code = message.error_reason = None
        message.sent_at = message.sent_at or now
        await StatusApplier(self.session).apply_pending(message)
        await self._emit(message)

    async def record_error(self, message_id: uuid.UUID, error: GraphError) -> bool:
        """Record a failed attempt. True when the caller should retry later."""
        row = await self._load(message_id)
        if row is None:
            return False
        message, _, _, channel = row
        retry = error.action is ErrorAction.RETRY and message.attempts < MAX_SEND_ATTEMPTS
        if error.action is ErrorAction.REAUTH:
            channel.status = ChannelStatus.NEEDS_REAUTH
        if retry:
            message.status = MessageStatus.QUEUED
            message.error_code, message.error_reason = error.error_code, error.reason
            await self._emit(message)
        else:
            await self._fail(message, error.error_code, error.reason)
        return retry

    async def _fail(self, message: Message, code: str, reason: str) -> None:
        message.status = MessageStatus.FAILED
        message.error_code = code
        message.error_reason = reason
        await self._emit(message)

    async def _emit(self, message: Message) -> None:
        await emit_message(self.session, message)

    async def _load(
        self, message_id: uuid.UUID
    ) -> tuple[Message, Conversation, Contact, Channel] | None:
        result = await self.session.execute(
            select(Message, Conversation, Contact, Channel)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .join(Channel, Channel.id == Message.channel_id)
            .where(Message.id == message_id)
            .with_for_update(of=Message)
        )
        row = result.one_or_none()
        return None if row is None else (row[0], row[1], row[2], row[3])
