"""Turning a customer's message into contact, conversation and message rows.

Idempotent by construction: contacts and conversations are upserted on their natural
keys, and a message lands once per (channel, provider id). Concurrent workers handling
the same customer never collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, literal, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import Label

from api import events, jobs
from api.channels.events import InboundMessage
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
        contact_id, contact_is_new = await self._contact(channel, item)
        conversation_id = await self._conversation(channel, contact_id, item.sent_at)
        message = await self._insert_message(channel, conversation_id, item)
        if message is None:
            return None
        conversation = await self._bump_conversation(conversation_id, item)
        channel.last_event_at = datetime.now(UTC)
        if contact_is_new and item.contact_name is None:
            jobs.enqueue_job(
                self.session, FETCH_PROFILE_JOB, str(contact_id), job_id=f"profile:{contact_id}"
            )
        self._emit(channel, message, conversation)
        return Recorded(message, conversation)

    async def _contact(self, channel: Channel, item: InboundMessage) -> tuple[object, bool]:
        external_id = item.contact_external_id
        statement = insert(Contact).values(
            tenant_id=channel.tenant_id,
            channel_id=channel.id,
            external_id=external_id,
            name=item.contact_name,
        )
        if item.contact_name:  # the channel told us the name: keep it current
            statement = statement.on_conflict_do_update(
                index_elements=["channel_id", "external_id"], set_={"name": item.contact_name}
            )
        else:
            statement = statement.on_conflict_do_nothing(
                index_elements=["channel_id", "external_id"]
            )
        # xmax = 0 only on a freshly inserted row (PostgreSQL), i.e. a contact seen first now.
        is_new: Label[bool] = literal_column("xmax = 0").label("inserted")
        row = (await self.session.execute(statement.returning(Contact.id, is_new))).one_or_none()
        if row is not None:
            return row[0], bool(row[1])
        return await self._existing_contact(channel, external_id), False

    async def _existing_contact(self, channel: Channel, external_id: str) -> object:
        existing = await self.session.execute(
            select(Contact.id).where(
                Contact.channel_id == channel.id, Contact.external_id == external_id
            )
        )
        return existing.scalar_one()

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
        return await self._load(conversation_id)

    async def _load(self, conversation_id: object) -> Conversation:
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


@dataclass(frozen=True, slots=True)
class HistoricMessage:
    external_id: str
    sent_at: datetime
    text: str | None
    outbound: bool


class HistoryRecorder(InboundRecorder):
    """Imported history: the same idempotent upserts, but no unread counts and one event per
    conversation instead of one per message."""

    async def import_thread(
        self, channel: Channel, contact: InboundMessage, messages: list[HistoricMessage]
    ) -> int:
        """Store a thread's messages (duplicates skipped). Returns how many were new."""
        if not messages:
            return 0
        contact_id, _ = await self._contact(channel, contact)
        first = min(m.sent_at for m in messages)
        conversation_id = await self._conversation(channel, contact_id, first)
        new = 0
        for item in sorted(messages, key=lambda m: m.sent_at):
            new += await self._insert_historic(channel, conversation_id, item)
        await self._catch_up(conversation_id, messages)
        conversation = await self._load(conversation_id)
        events.emit(
            self.session,
            channel.tenant_id,
            "conversation:updated",
            {
                "conversation": conversation_out(conversation, datetime.now(UTC)).model_dump(
                    mode="json"
                )
            },
        )
        return new

    async def _insert_historic(
        self, channel: Channel, conversation_id: object, item: HistoricMessage
    ) -> int:
        inserted = await self.session.execute(
            insert(Message)
            .values(
                tenant_id=channel.tenant_id,
                conversation_id=conversation_id,
                channel_id=channel.id,
                direction=MessageDirection.OUTBOUND if item.outbound else MessageDirection.INBOUND,
                type="text" if item.text is not None else "unsupported",
                text=item.text,
                content={"imported": True},
                external_id=item.external_id,
                status=MessageStatus.SENT if item.outbound else MessageStatus.RECEIVED,
                provider_timestamp=item.sent_at,
                sort_at=item.sent_at,
                sent_at=item.sent_at if item.outbound else None,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
            .returning(Message.id)
        )
        return 1 if inserted.scalar_one_or_none() is not None else 0

    async def _catch_up(self, conversation_id: object, messages: list[HistoricMessage]) -> None:
        latest = max(messages, key=lambda m: m.sent_at)
        inbound = [m.sent_at for m in messages if not m.outbound]
        values: dict[str, object] = {
            "last_message_at": func.greatest(Conversation.last_message_at, latest.sent_at),
            "last_message_preview": case(
                (
                    Conversation.last_message_at <= latest.sent_at,
                    (latest.text or "[attachment]")[:PREVIEW_LENGTH],
                ),
                else_=Conversation.last_message_preview,
            ),
        }
        if inbound:
            values["last_inbound_at"] = func.greatest(
                func.coalesce(Conversation.last_inbound_at, max(inbound)), max(inbound)
            )
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
