"""Turning a customer's message into contact, conversation and message rows.

Idempotent by construction: contacts and conversations are upserted on their natural
keys, and a message lands once per (channel, provider id). Concurrent workers handling
the same customer never collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from api import events, jobs
from api.channels.adapters import InboundMessage
from api.inbox.schemas import conversation_out, message_out
from api.models import (
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    Message,
    MessageDirection,
    MessageStatus,
)

PREVIEW_LENGTH = 280
FETCH_PROFILE_JOB = "contacts.fetch_profile"


@dataclass(frozen=True, slots=True)
class Recorded:
    message: Message
    conversation: Conversation


def preview_of(item: InboundMessage) -> str:
    return (item.text or f"[{item.type}]")[:PREVIEW_LENGTH]


class InboundRecorder:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, channel: Channel, item: InboundMessage) -> Recorded | None:
        """Store one inbound message; None when it was already stored."""
        contact_id, contact_is_new = await self._contact(channel, item.contact_external_id)
        conversation_id = await self._conversation(channel, contact_id, item.sent_at)
        message = await self._insert_message(channel, conversation_id, item)
        if message is None:
            return None
        conversation = await self._bump_conversation(conversation_id, item)
        channel.last_event_at = datetime.now(UTC)
        if contact_is_new:
            jobs.enqueue_job(
                self.session, FETCH_PROFILE_JOB, str(contact_id), job_id=f"profile:{contact_id}"
            )
        self._emit(channel, message, conversation)
        return Recorded(message, conversation)

    async def _contact(self, channel: Channel, external_id: str) -> tuple[object, bool]:
        inserted = await self.session.execute(
            insert(Contact)
            .values(tenant_id=channel.tenant_id, channel_id=channel.id, external_id=external_id)
            .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
            .returning(Contact.id)
        )
        new_id = inserted.scalar_one_or_none()
        if new_id is not None:
            return new_id, True
        existing = await self.session.execute(
            select(Contact.id).where(
                Contact.channel_id == channel.id, Contact.external_id == external_id
            )
        )
        return existing.scalar_one(), False

    async def _conversation(
        self, channel: Channel, contact_id: object, first_at: datetime
    ) -> object:
        await self.session.execute(
            insert(Conversation)
            .values(
                tenant_id=channel.tenant_id,
                channel_id=channel.id,
                contact_id=contact_id,
                last_message_at=first_at,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "contact_id"])
        )
        found = await self.session.execute(
            select(Conversation.id).where(
                Conversation.channel_id == channel.id, Conversation.contact_id == contact_id
            )
        )
        return found.scalar_one()

    async def _insert_message(
        self, channel: Channel, conversation_id: object, item: InboundMessage
    ) -> Message | None:
        inserted = await self.session.execute(
            insert(Message)
            .values(
                tenant_id=channel.tenant_id,
                conversation_id=conversation_id,
                channel_id=channel.id,
                direction=MessageDirection.INBOUND,
                type=item.type,
                text=item.text,
                content=item.content,
                external_id=item.external_id,
                status=MessageStatus.RECEIVED,
                provider_timestamp=item.sent_at,
                sort_at=item.sent_at,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
            .returning(Message)
        )
        return inserted.scalar_one_or_none()

    async def _bump_conversation(
        self, conversation_id: object, item: InboundMessage
    ) -> Conversation:
        """Atomically: newer activity wins, unread grows, a new message reopens the thread."""
        is_newest = Conversation.last_message_at <= item.sent_at
        reopen = Conversation.status.in_([ConversationStatus.RESOLVED, ConversationStatus.SNOOZED])
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(
                unread_count=Conversation.unread_count + 1,
                last_message_at=func.greatest(Conversation.last_message_at, item.sent_at),
                last_inbound_at=func.greatest(
                    func.coalesce(Conversation.last_inbound_at, item.sent_at), item.sent_at
                ),
                last_message_preview=case(
                    (is_newest, preview_of(item)), else_=Conversation.last_message_preview
                ),
                status=case(
                    (reopen, literal(ConversationStatus.OPEN, Conversation.status.type)),
                    else_=Conversation.status,
                ),
                snoozed_until=case((reopen, None), else_=Conversation.snoozed_until),
            )
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(
            select(Conversation)
            .options(joinedload(Conversation.contact), joinedload(Conversation.channel))
            .where(Conversation.id == conversation_id)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one()

    def _emit(self, channel: Channel, message: Message, conversation: Conversation) -> None:
        now = datetime.now(UTC)
        events.emit(
            self.session,
            channel.tenant_id,
            "message:new",
            {"message": message_out(message).model_dump(mode="json")},
        )
        events.emit(
            self.session,
            channel.tenant_id,
            "conversation:updated",
            {"conversation": conversation_out(conversation, now).model_dump(mode="json")},
        )
