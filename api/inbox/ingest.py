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

from sqlalchemy import (
    Column,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.elements import BindParameter, Label

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


# --- the hot path's statements, built once ----------------------------------------------
# Every delivery runs the same few statements: built once with bound parameters, each is
# compiled once and its cache key computed once per process, instead of both per call
# (about a third of the worker's CPU per message went to building and keying them).


def _param(column: Any) -> BindParameter[Any]:
    """A bound parameter named and typed after `column` (`p_` keeps SET/VALUES names free)."""
    table_column: Column[Any] = column.expression
    return bindparam(f"p_{table_column.key}", type_=table_column.type)


# A returning customer costs one query: the contact and their conversation's id at once.
_CONTACT_AND_CONVERSATION = (
    select(Contact, Conversation.id)
    .outerjoin(
        Conversation,
        and_(Conversation.channel_id == Contact.channel_id, Conversation.contact_id == Contact.id),
    )
    .where(Contact.channel_id == _param(Contact.channel_id))
    .where(Contact.external_id == _param(Contact.external_id))
)
_CONTACT = select(Contact).where(
    Contact.channel_id == _param(Contact.channel_id),
    Contact.external_id == _param(Contact.external_id),
)
_CONVERSATION_ID = select(Conversation.id).where(
    Conversation.channel_id == _param(Conversation.channel_id),
    Conversation.contact_id == _param(Conversation.contact_id),
)
_NEW_CONVERSATION = (
    insert(Conversation)
    .values(
        tenant_id=_param(Conversation.tenant_id),
        channel_id=_param(Conversation.channel_id),
        contact_id=_param(Conversation.contact_id),
        last_message_at=_param(Conversation.last_message_at),
    )
    .on_conflict_do_nothing(index_elements=["channel_id", "contact_id"])
    .returning(Conversation.id)
)
_MESSAGE_COLUMNS = (
    Message.id,
    Message.tenant_id,
    Message.conversation_id,
    Message.channel_id,
    Message.direction,
    Message.type,
    Message.text,
    Message.content,
    Message.external_id,
    Message.status,
    Message.provider_timestamp,
    Message.sort_at,
    Message.sent_at,
    Message.reply_to_external_id,
    Message.written_elsewhere,
)
# Every column with a Python-side default is given here: an INSERT inside a CTE
# (`_record_statement`) gets none of them filled in by SQLAlchemy.
_MESSAGE_VALUES: dict[str, Any] = {column.key: _param(column) for column in _MESSAGE_COLUMNS} | {
    "automated": False,
    "retry_count": 0,
    "attempts": 0,
    "reactions": [],
    "status_details": {},
}
_NEW_MESSAGE = (
    insert(Message)
    .values(_MESSAGE_VALUES)
    .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
    .returning(Message)
)


def _bump_values(*, inbound: bool) -> dict[str, Any]:
    """Atomically: newer activity wins; a customer message counts as unread, moves the
    messaging window and reopens a resolved or snoozed thread."""
    at = _param(Conversation.last_message_at)
    is_newest = Conversation.last_message_at <= at
    values: dict[str, Any] = {
        "last_message_at": func.greatest(Conversation.last_message_at, at),
        "last_message_preview": case(
            (is_newest, _param(Conversation.last_message_preview)),
            else_=Conversation.last_message_preview,
        ),
    }
    if inbound:
        reopen = Conversation.status.in_([ConversationStatus.RESOLVED, ConversationStatus.SNOOZED])
        values |= {
            "unread_count": Conversation.unread_count + 1,
            "last_inbound_at": func.greatest(func.coalesce(Conversation.last_inbound_at, at), at),
            "status": case(
                (reopen, literal(ConversationStatus.OPEN, Conversation.status.type)),
                else_=Conversation.status,
            ),
            "snoozed_until": case((reopen, None), else_=Conversation.snoozed_until),
        }
    return values


def _record_statement(*, inbound: bool) -> Any:
    """One round trip for a new message: insert it (nothing on a duplicate provider id)
    and, only if it was inserted, bump its conversation (`_bump_values`); returns both as
    ORM rows, or no row for a duplicate."""
    message_columns = [c for c in Message.__table__.c if c.key != "search_vector"]
    inserted = (
        insert(Message)
        .values(_MESSAGE_VALUES)
        .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
        .returning(*message_columns)
        .cte("inserted")
    )
    bumped = (
        update(Conversation)
        .where(
            Conversation.id == _param(Message.conversation_id),
            exists(select(inserted.c.id)),
        )
        .values(**_bump_values(inbound=inbound))
        .returning(*Conversation.__table__.c)
        .cte("bumped")
    )
    return (
        select(aliased(Message, inserted), aliased(Conversation, bumped))
        .select_from(inserted)
        .outerjoin(bumped, true())
        .execution_options(populate_existing=True)
    )


_RECORD = {inbound: _record_statement(inbound=inbound) for inbound in (True, False)}


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


def _contact_updates(info: ContactInfo) -> dict[str, str]:
    """What the channel told us about who this is (only what it did tell)."""
    return {
        key: value
        for key, value in (
            ("name", info.name),
            ("username", info.username),
            ("business_user_id", info.business_user_id),
        )
        if value
    }


def _update_contact(contact: Contact, info: ContactInfo) -> None:
    for key, value in _contact_updates(info).items():
        if getattr(contact, key) != value:
            setattr(contact, key, value)


def _message_params(
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
) -> dict[str, Any]:
    """The parameters of `_NEW_MESSAGE` / `_RECORD`."""
    return {
        "p_id": uuid.uuid4(),
        "p_tenant_id": channel.tenant_id,
        "p_conversation_id": conversation_id,
        "p_channel_id": channel.id,
        "p_direction": direction,
        "p_type": kind[:32],
        "p_text": text,
        "p_content": content,
        "p_external_id": external_id,
        "p_status": status,
        "p_provider_timestamp": at,
        "p_sort_at": at,
        "p_sent_at": at if direction is MessageDirection.OUTBOUND else None,
        "p_reply_to_external_id": reply_to,
        "p_written_elsewhere": written_elsewhere,
    }


class InboundRecorder:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- customers' messages -----------------------------------------------------

    async def record(self, channel: Channel, item: InboundMessage) -> Recorded | None:
        """Store one inbound message; None when it was already stored."""
        info = ContactInfo(
            item.contact_external_id, item.contact_name, item.username, item.business_user_id
        )
        contact, contact_is_new, conversation_id = await self._contact_and_conversation(
            channel, info, item.sent_at
        )
        recorded = await self._record(
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
        if recorded is None:
            return None
        message, conversation = recorded.message, recorded.conversation
        attachments = await self._attach(message, item.media)
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
        contact, _, conversation_id = await self._contact_and_conversation(
            channel, ContactInfo(echo.contact_external_id), echo.sent_at
        )
        recorded = await self._record(
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
        if recorded is None:
            return "duplicate echo"
        message, conversation = recorded.message, recorded.conversation
        attachments = await self._attach(message, echo.media)
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

    async def _contact_and_conversation(
        self, channel: Channel, info: ContactInfo, first_at: datetime
    ) -> tuple[Contact, bool, uuid.UUID]:
        """The contact, whether it was seen first now, and its conversation's id (created
        if needed). A returning customer costs one query and no write."""
        row = (
            await self.session.execute(
                _CONTACT_AND_CONVERSATION,
                {"p_channel_id": channel.id, "p_external_id": info.external_id},
            )
        ).first()
        if row is None:
            contact, is_new = await self._new_contact(channel, info)
            conversation_id = None
        else:
            contact, conversation_id = row
            _update_contact(contact, info)
            is_new = False
        if conversation_id is None:
            conversation_id = await self._conversation(channel, contact.id, first_at)
        return contact, is_new, conversation_id

    async def _new_contact(self, channel: Channel, info: ContactInfo) -> tuple[Contact, bool]:
        """Insert the contact (one statement), unless a concurrent worker just did."""
        updates = _contact_updates(info)
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
        row = (await self.session.execute(statement.returning(Contact, is_new))).one_or_none()
        if row is not None:
            return row[0], bool(row[1])
        params = {"p_channel_id": channel.id, "p_external_id": info.external_id}
        return (await self.session.execute(_CONTACT, params)).scalar_one(), False

    async def _conversation(
        self, channel: Channel, contact_id: uuid.UUID, first_at: datetime
    ) -> uuid.UUID:
        """The id of the contact's conversation, created if it has none (the caller found
        none: one statement, unless a concurrent worker just created it)."""
        where = {"p_channel_id": channel.id, "p_contact_id": contact_id}
        created = await self.session.execute(
            _NEW_CONVERSATION,
            {**where, "p_tenant_id": channel.tenant_id, "p_last_message_at": first_at},
        )
        found = created.scalar_one_or_none()
        if found is not None:
            return found
        return (await self.session.execute(_CONVERSATION_ID, where)).scalar_one()

    async def _insert(
        self, channel: Channel, conversation_id: uuid.UUID, **fields: Any
    ) -> Message | None:
        """Store a message unless its provider id is known (then None); the conversation
        is left as it is (history import)."""
        params = _message_params(channel, conversation_id, **fields)
        return (await self.session.execute(_NEW_MESSAGE, params)).scalar_one_or_none()

    async def _record(
        self, channel: Channel, conversation_id: uuid.UUID, **fields: Any
    ) -> Recorded | None:
        """Store a message and bump its conversation (`_record_statement`); None when the
        provider id was known."""
        params = _message_params(channel, conversation_id, **fields)
        params["p_last_message_at"] = params["p_sort_at"]
        params["p_last_message_preview"] = preview_of(params["p_type"], params["p_text"])
        inbound = fields["direction"] is MessageDirection.INBOUND
        row = (await self.session.execute(_RECORD[inbound], params)).one_or_none()
        if row is None:
            return None
        message, conversation = row
        if conversation is None:  # the conversation went away under us: retry from scratch
            raise LookupError(f"conversation {conversation_id} vanished while recording")
        return Recorded(message, conversation)

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
        _, _, conversation_id = await self._contact_and_conversation(
            channel, contact, min(m.sent_at for m in messages)
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
