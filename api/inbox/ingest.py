"""Recording what arrives from Meta: customers' messages, the business's echoes, reactions
and imported history, as contact, conversation, message and attachment rows.

Idempotent by construction: contacts and conversations are upserted on their natural
keys, and a message lands once per (channel, provider id); concurrent workers handling
the same customer never collide. Events are emitted after the commit. A new message in a
conversation that is in the trash restores it (api.data.revive says why).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import Label

from api import events, jobs
from api.channels.events import InboundMessage, MediaRef, OutboundEcho, Reaction
from api.data.revive import revive
from api.inbox.schemas import conversation_out
from api.inbox.statuses import StatusApplier, apply_to_message
from api.inbox.views import emit_message, message_payload
from api.models import (
    Attachment,
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
FETCH_MEDIA_JOB = "media.fetch"

MEDIA_LABELS = {
    "image": "📷 Photo",
    "video": "🎬 Video",
    "audio": "🎤 Audio",
    "file": "📄 File",
    "sticker": "Sticker",
    "location": "📍 Location",
    "contacts": "👤 Contact",
    "order": "🛒 Order",
}


# `channels.last_event_at` is shown as "last event" in the UI: minute resolution is plenty,
# and writing the channel row on every message would serialise all of a channel's
# concurrent deliveries on that one row lock.
LAST_EVENT_RESOLUTION = timedelta(minutes=1)


def touch_channel(channel: Channel) -> None:
    now = datetime.now(UTC)
    if channel.last_event_at is None or now - channel.last_event_at >= LAST_EVENT_RESOLUTION:
        channel.last_event_at = now


@dataclass(frozen=True, slots=True)
class Recorded:
    message: Message
    conversation: Conversation


@dataclass(frozen=True, slots=True)
class ContactInfo:
    external_id: str
    name: str | None = None
    username: str | None = None
    business_user_id: str | None = None


def preview_of(kind: str, text: str | None) -> str:
    return (text or MEDIA_LABELS.get(kind) or f"[{kind}]")[:PREVIEW_LENGTH]


def inbound_content(item: InboundMessage) -> dict[str, Any]:
    content = dict(item.content)
    if any(ref.voice for ref in item.media):
        content["voice"] = True
    if any(ref.animated for ref in item.media):
        content["animated"] = True
    if item.referral:
        content["referral"] = item.referral
    if item.standby:
        content["standby"] = True
    return content


class InboundRecorder:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- customers' messages -----------------------------------------------------

    async def record(self, channel: Channel, item: InboundMessage) -> Recorded | None:
        """Store one inbound message; None when it was already stored."""
        info = ContactInfo(
            item.contact_external_id, item.contact_name, item.username, item.business_user_id
        )
        contact, contact_is_new = await self._contact(channel, info)
        conversation_id = await self._conversation(channel, contact.id, item.sent_at)
        message = await self._insert(
            channel,
            conversation_id,
            direction=MessageDirection.INBOUND,
            status=MessageStatus.RECEIVED,
            external_id=item.external_id,
            at=item.sent_at,
            kind=item.type,
            text=item.text,
            content=inbound_content(item),
            reply_to=item.reply_to_external_id,
        )
        if message is None:
            return None
        attachments = await self._attach(message, item.media)
        conversation = await self._bump(
            conversation_id, item.type, item.text, item.sent_at, inbound=True
        )
        await revive(self.session, None, conversation, contact, reason="customer_wrote")
        touch_channel(channel)
        if contact_is_new and item.contact_name is None:
            jobs.enqueue_job(
                self.session, FETCH_PROFILE_JOB, str(contact.id), job_id=f"profile:{contact.id}"
            )
        await self._emit(channel, contact, message, conversation, attachments)
        return Recorded(message, conversation)

    # --- the business's own messages seen as echoes ------------------------------

    async def record_echo(self, channel: Channel, echo: OutboundEcho, our_app_id: str) -> str:
        """Match an echo to the message we sent, or record one written elsewhere."""
        ours = await self._our_message(channel, echo) if echo.app_id == our_app_id else None
        if ours is not None:
            return await self._confirm_ours(ours, echo)
        contact, _ = await self._contact(channel, ContactInfo(echo.contact_external_id))
        conversation_id = await self._conversation(channel, contact.id, echo.sent_at)
        message = await self._insert(
            channel,
            conversation_id,
            direction=MessageDirection.OUTBOUND,
            status=MessageStatus.SENT,
            external_id=echo.external_id,
            at=echo.sent_at,
            kind=echo.type,
            text=echo.text,
            content=dict(echo.content),
            written_elsewhere=echo.app_id != our_app_id,
        )
        if message is None:
            return "duplicate echo"
        attachments = await self._attach(message, echo.media)
        conversation = await self._bump(
            conversation_id, echo.type, echo.text, echo.sent_at, inbound=False
        )
        await revive(self.session, None, conversation, contact, reason="business_wrote_elsewhere")
        await StatusApplier(self.session).apply_pending(message)
        await self._emit(channel, contact, message, conversation, attachments)
        return "echo written elsewhere" if message.written_elsewhere else "echo recorded"

    async def _our_message(self, channel: Channel, echo: OutboundEcho) -> Message | None:
        clauses = [Message.external_id == echo.external_id]
        if echo.metadata:
            with contextlib.suppress(ValueError):  # not ours if it is not our message id
                clauses.append(Message.id == uuid.UUID(echo.metadata))
        for clause in clauses:
            statement = (
                select(Message).where(Message.channel_id == channel.id, clause).with_for_update()
            )
            found = (await self.session.execute(statement)).scalar_one_or_none()
            if found is not None:
                return found
        return None

    async def _confirm_ours(self, message: Message, echo: OutboundEcho) -> str:
        """Our send echoed back: it is on Meta's side. The echo may beat the send job."""
        changed = False
        if message.external_id is None:
            message.external_id = echo.external_id
            changed = True
        changed |= apply_to_message(message, MessageStatus.SENT, echo.sent_at)
        # Meta's timestamp, not ours: delivery/read watermarks are on Meta's clock.
        message.sent_at = echo.sent_at
        changed |= await StatusApplier(self.session).apply_pending(message)
        if changed:
            await emit_message(self.session, message)
        return "echo matched"

    # --- reactions ---------------------------------------------------------------

    async def react(self, channel: Channel, reaction: Reaction) -> str:
        statement = select(Message).where(
            Message.channel_id == channel.id, Message.external_id == reaction.target_external_id
        )
        message = (await self.session.execute(statement.with_for_update())).scalar_one_or_none()
        if message is None:
            return "reaction to an unknown message"
        side = "business" if reaction.by_business else "contact"
        kept = [r for r in message.reactions or [] if r.get("by") != side]
        if reaction.emoji:
            kept.append({"emoji": reaction.emoji, "by": side, "at": reaction.at.isoformat()})
        message.reactions = kept
        await emit_message(self.session, message)
        return "reaction" if reaction.emoji else "reaction removed"

    # --- shared pieces -----------------------------------------------------------

    async def _contact(self, channel: Channel, info: ContactInfo) -> tuple[Contact, bool]:
        """The contact, and whether it was seen first now. Reads first: a returning
        customer whose name has not changed costs one query and no write."""
        updates = {
            key: value
            for key, value in (
                ("name", info.name),
                ("username", info.username),
                ("business_user_id", info.business_user_id),
            )
            if value
        }
        where = (Contact.channel_id == channel.id, Contact.external_id == info.external_id)
        contact = (await self.session.execute(select(Contact).where(*where))).scalar()
        if contact is not None:
            for key, value in updates.items():  # the channel told us who this is
                if getattr(contact, key) != value:
                    setattr(contact, key, value)
            return contact, False
        statement = insert(Contact).values(
            tenant_id=channel.tenant_id,
            channel_id=channel.id,
            external_id=info.external_id,
            **updates,
        )
        if updates:
            statement = statement.on_conflict_do_update(
                index_elements=["channel_id", "external_id"], set_=updates
            )
        else:
            statement = statement.on_conflict_do_nothing(
                index_elements=["channel_id", "external_id"]
            )
        # xmax = 0 only on a freshly inserted row (PostgreSQL): a concurrent worker may
        # have created the contact since we looked.
        is_new: Label[bool] = literal_column("xmax = 0").label("inserted")
        row = (await self.session.execute(statement.returning(Contact.id, is_new))).one_or_none()
        contact = (await self.session.execute(select(Contact).where(*where))).scalar_one()
        return contact, row is not None and bool(row[1])

    async def _conversation(
        self, channel: Channel, contact_id: uuid.UUID, first_at: datetime
    ) -> uuid.UUID:
        where = (Conversation.channel_id == channel.id, Conversation.contact_id == contact_id)
        found = (await self.session.execute(select(Conversation.id).where(*where))).scalar()
        if found is not None:
            return found
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
        return (await self.session.execute(select(Conversation.id).where(*where))).scalar_one()

    async def _insert(
        self,
        channel: Channel,
        conversation_id: uuid.UUID,
        *,
        direction: MessageDirection,
        status: MessageStatus,
        external_id: str,
        at: datetime,
        kind: str,
        text: str | None,
        content: dict[str, Any],
        reply_to: str | None = None,
        written_elsewhere: bool = False,
    ) -> Message | None:
        inserted = await self.session.execute(
            insert(Message)
            .values(
                tenant_id=channel.tenant_id,
                conversation_id=conversation_id,
                channel_id=channel.id,
                direction=direction,
                type=kind[:32],
                text=text,
                content=content,
                external_id=external_id,
                status=status,
                provider_timestamp=at,
                sort_at=at,
                sent_at=at if direction is MessageDirection.OUTBOUND else None,
                reply_to_external_id=reply_to,
                written_elsewhere=written_elsewhere,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
            .returning(Message)
        )
        return inserted.scalar_one_or_none()

    async def _attach(self, message: Message, media: tuple[MediaRef, ...]) -> list[Attachment]:
        """Attachments start `pending`; each is fetched into storage by its own job."""
        attachments: list[Attachment] = []
        for position, ref in enumerate(media):
            attachment = Attachment(
                id=uuid.uuid4(),
                tenant_id=message.tenant_id,
                message_id=message.id,
                kind=ref.kind,
                mime_type=ref.mime_type,
                filename=ref.filename,
                sha256=ref.sha256,
                source_url=ref.url,
                source_media_id=ref.media_id,
                position=position,
            )
            self.session.add(attachment)
            attachments.append(attachment)
            jobs.enqueue_job(
                self.session, FETCH_MEDIA_JOB, str(attachment.id), job_id=f"media:{attachment.id}"
            )
        if media:
            await self.session.flush()
        return attachments

    async def _bump(
        self,
        conversation_id: uuid.UUID,
        kind: str,
        text: str | None,
        at: datetime,
        *,
        inbound: bool,
    ) -> Conversation:
        """Atomically: newer activity wins; a customer message counts as unread, moves the
        messaging window and reopens a resolved or snoozed thread."""
        is_newest = Conversation.last_message_at <= at
        values: dict[str, Any] = {
            "last_message_at": func.greatest(Conversation.last_message_at, at),
            "last_message_preview": case(
                (is_newest, preview_of(kind, text)), else_=Conversation.last_message_preview
            ),
        }
        if inbound:
            reopen = Conversation.status.in_(
                [ConversationStatus.RESOLVED, ConversationStatus.SNOOZED]
            )
            values |= {
                "unread_count": Conversation.unread_count + 1,
                "last_inbound_at": func.greatest(
                    func.coalesce(Conversation.last_inbound_at, at), at
                ),
                "status": case(
                    (reopen, literal(ConversationStatus.OPEN, Conversation.status.type)),
                    else_=Conversation.status,
                ),
                "snoozed_until": case((reopen, None), else_=Conversation.snoozed_until),
            }
        bumped = await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values)
            .returning(Conversation)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return bumped.scalar_one()

    async def _load(self, conversation_id: uuid.UUID) -> Conversation:
        result = await self.session.execute(
            select(Conversation)
            .options(joinedload(Conversation.contact), joinedload(Conversation.channel))
            .where(Conversation.id == conversation_id)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one()

    async def _emit(
        self,
        channel: Channel,
        contact: Contact,
        message: Message,
        conversation: Conversation,
        attachments: list[Attachment],
    ) -> None:
        events.emit(
            self.session,
            channel.tenant_id,
            "message:new",
            await message_payload(self.session, message, attachments),
        )
        self.emit_conversation(conversation, contact=contact, channel=channel)

    def emit_conversation(
        self,
        conversation: Conversation,
        *,
        contact: Contact | None = None,
        channel: Channel | None = None,
    ) -> None:
        """`contact` and `channel` may be passed when the conversation was loaded without
        them (a bumped row): they are then not loaded again."""
        out = conversation_out(conversation, datetime.now(UTC), contact=contact, channel=channel)
        payload = {"conversation": out.model_dump(mode="json")}
        events.emit(self.session, conversation.tenant_id, "conversation:updated", payload)


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
        self, channel: Channel, contact: ContactInfo, messages: list[HistoricMessage]
    ) -> int:
        """Store a thread's messages (duplicates skipped). Returns how many were new."""
        if not messages:
            return 0
        known, _ = await self._contact(channel, contact)
        conversation_id = await self._conversation(
            channel, known.id, min(m.sent_at for m in messages)
        )
        new = 0
        for item in sorted(messages, key=lambda m: m.sent_at):
            stored = await self._insert(
                channel,
                conversation_id,
                direction=MessageDirection.OUTBOUND if item.outbound else MessageDirection.INBOUND,
                status=MessageStatus.SENT if item.outbound else MessageStatus.RECEIVED,
                external_id=item.external_id,
                at=item.sent_at,
                kind="text" if item.text is not None else "unsupported",
                text=item.text,
                content={"imported": True},
            )
            new += stored is not None
        await self._catch_up(conversation_id, messages)
        conversation = await self._load(conversation_id)
        if conversation.deleted_at is None:  # one in the trash stays out of the lists
            self.emit_conversation(conversation)
        return new

    async def _catch_up(self, conversation_id: uuid.UUID, messages: list[HistoricMessage]) -> None:
        latest = max(messages, key=lambda m: m.sent_at)
        inbound = [m.sent_at for m in messages if not m.outbound]
        values: dict[str, Any] = {
            "last_message_at": func.greatest(Conversation.last_message_at, latest.sent_at),
            "last_message_preview": case(
                (Conversation.last_message_at <= latest.sent_at, preview_of("text", latest.text)),
                else_=Conversation.last_message_preview,
            ),
        }
        if inbound:
            newest = max(inbound)
            values["last_inbound_at"] = func.greatest(
                func.coalesce(Conversation.last_inbound_at, newest), newest
            )
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
