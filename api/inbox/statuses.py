"""Delivery statuses of the business's messages: they only ever move forward.

sent < delivered < read; `failed` only before delivered (a later delivered/read proves
the message got through after all). A status for a provider id we do not know yet is kept
in `pending_statuses` and applied when the message gets that id (DESIGN invariant 3).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.events import StatusUpdate
from api.models import (
    Attachment,
    Channel,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    PendingStatus,
)

SEND_UNCONFIRMED = "send_unconfirmed"  # error code of a send that may or may not have left

RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}

# Whether the message has attachments, read with it: a status event's payload then needs
# no query for them when it has none (most replies).
_HAS_ATTACHMENTS = exists().where(Attachment.message_id == Message.id).label("has_attachments")
_BY_EXTERNAL_ID = (
    select(Message, _HAS_ATTACHMENTS)
    .where(
        Message.channel_id == bindparam("p_channel_id", type_=Message.__table__.c.channel_id.type),
        Message.external_id
        == bindparam("p_external_id", type_=Message.__table__.c.external_id.type),
        Message.direction == MessageDirection.OUTBOUND,
    )
    .with_for_update(of=Message)
)


def advances(current: MessageStatus, new: MessageStatus) -> bool:
    """Would moving from `current` to `new` go forward?"""
    if current is MessageStatus.RECEIVED or new in (MessageStatus.QUEUED, MessageStatus.SENDING):
        return False
    if new is MessageStatus.FAILED:
        return current in (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)
    if current is MessageStatus.FAILED:
        return new in (MessageStatus.DELIVERED, MessageStatus.READ)
    return RANK[new] > RANK[current]


def apply_to_message(
    message: Message,
    status: MessageStatus,
    at: datetime,
    *,
    error_code: str | None = None,
    error_reason: str | None = None,
    details: dict[str, object] | None = None,
) -> bool:
    """Move the message forward if `status` advances it. Returns whether it changed."""
    if details:
        message.status_details = {**(message.status_details or {}), **details}
    # A send whose outcome was unknown (the sender died mid-send: api.inbox.redrive) is
    # proven sent by any later word from Meta, an echo or a `sent` status included.
    unconfirmed = message.status is MessageStatus.FAILED and message.error_code == SEND_UNCONFIRMED
    if not (advances(message.status, status) or (unconfirmed and status is MessageStatus.SENT)):
        return False
    message.status = status
    message.status_at = at
    if status is MessageStatus.FAILED:
        message.error_code, message.error_reason = (
            error_code or "failed",
            error_reason or "Delivery failed.",
        )
    elif message.error_code is not None and (
        status in (MessageStatus.DELIVERED, MessageStatus.READ) or unconfirmed
    ):
        message.error_code = message.error_reason = None
    return True


class StatusApplier:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Messages read here that have no attachments (their events need not look).
        self.without_attachments: set[uuid.UUID] = set()

    async def apply(self, channel: Channel, update: StatusUpdate) -> list[Message]:
        """Apply one update; returns the messages that changed (for events)."""
        status = MessageStatus(update.status)
        changed: list[Message] = []
        for external_id in update.external_ids:
            message = await self._by_external_id(channel, external_id)
            if message is None:
                await self._park(channel, external_id, update)
            elif self._apply(message, status, update):
                changed.append(message)
        if update.watermark is not None and update.contact_external_id:
            for message in await self._up_to_watermark(
                channel, update.contact_external_id, update.watermark
            ):
                if self._apply(message, status, update) and message not in changed:
                    changed.append(message)
        return changed

    async def apply_pending(self, message: Message) -> bool:
        """Apply statuses that arrived before this message had its provider id."""
        if message.external_id is None:
            return False
        where = and_(
            PendingStatus.channel_id == message.channel_id,
            PendingStatus.external_id == message.external_id,
        )
        pending = (await self.session.execute(select(PendingStatus).where(where))).scalars().all()
        changed = False
        for row in sorted(pending, key=lambda p: p.at):
            changed |= apply_to_message(
                message,
                MessageStatus(row.status),
                row.at,
                error_code=row.error_code,
                error_reason=row.error_reason,
                details=row.details,
            )
        if pending:
            await self.session.execute(delete(PendingStatus).where(where))
        return changed

    @staticmethod
    def _apply(message: Message, status: MessageStatus, update: StatusUpdate) -> bool:
        return apply_to_message(
            message,
            status,
            update.at,
            error_code=update.error_code,
            error_reason=update.error_reason,
            details=update.details or None,
        )

    async def _by_external_id(self, channel: Channel, external_id: str) -> Message | None:
        params = {"p_channel_id": channel.id, "p_external_id": external_id}
        row = (await self.session.execute(_BY_EXTERNAL_ID, params)).one_or_none()
        if row is None:
            return None
        message, has_attachments = row
        if not has_attachments:
            self.without_attachments.add(message.id)
        return message

    async def _park(self, channel: Channel, external_id: str, update: StatusUpdate) -> None:
        await self.session.execute(
            insert(PendingStatus)
            .values(
                channel_id=channel.id,
                external_id=external_id,
                status=update.status,
                at=update.at,
                error_code=update.error_code,
                error_reason=update.error_reason,
                details=update.details,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "external_id", "status"])
        )

    async def _up_to_watermark(
        self, channel: Channel, contact_external_id: str, watermark: datetime
    ) -> list[Message]:
        """Messenger: everything we sent this person up to the watermark."""
        statement = (
            select(Message, _HAS_ATTACHMENTS)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(
                Message.channel_id == channel.id,
                Contact.external_id == contact_external_id,
                Message.direction == MessageDirection.OUTBOUND,
                Message.status.in_([MessageStatus.SENT, MessageStatus.DELIVERED]),
                Message.sent_at <= watermark,
            )
            .with_for_update(of=Message)
        )
        messages = []
        for message, has_attachments in await self.session.execute(statement):
            if not has_attachments:
                self.without_attachments.add(message.id)
            messages.append(message)
        return messages
