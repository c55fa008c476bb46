"""SQL of the send path, scoped to the caller's tenant: idempotency lookups, the outbound
message a retry names, the message a reaction or a read receipt names, and finding or
creating the contact and conversation a business-initiated WhatsApp conversation starts
from."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload

from api.models import Channel, Contact, Conversation, Message, MessageDirection
from api.tenancy import ScopedRepository


class OutboxRepository(ScopedRepository[Message]):
    model = Message

    async def by_idempotency_key(
        self, author_user_id: uuid.UUID | None, key: str
    ) -> Message | None:
        """The message made with this key by this author (NULL authors share one space)."""
        statement = self.scoped().where(
            Message.idempotency_key == key,
            Message.author_user_id.is_not_distinct_from(author_user_id),
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def outbound_for_update(self, message_id: uuid.UUID) -> Message | None:
        statement = self.scoped().where(
            Message.id == message_id, Message.direction == MessageDirection.OUTBOUND
        )
        return (await self.session.execute(statement.with_for_update())).scalar_one_or_none()

    async def for_update(self, message_id: uuid.UUID) -> Message | None:
        """Any message of the tenant, locked (the target of a reaction)."""
        statement = self.scoped().where(Message.id == message_id).with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def latest_inbound(self, conversation_id: uuid.UUID) -> Message | None:
        """The customer's newest message in the conversation (what a read receipt names)."""
        statement = (
            self.scoped()
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == MessageDirection.INBOUND,
            )
            .order_by(Message.sort_at.desc(), Message.id.desc())
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()


class ConversationStarts(ScopedRepository[Conversation]):
    """Find or create (contact, conversation) on a channel for a number the business
    writes to first; concurrent starts meet on the unique constraints."""

    model = Conversation

    async def contact(self, channel: Channel, external_id: str) -> uuid.UUID:
        await self.session.execute(
            insert(Contact)
            .values(tenant_id=self.scope.tenant_id, channel_id=channel.id, external_id=external_id)
            .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
        )
        contacts = _Contacts(self.session, self.scope).scoped()
        found = await self.session.execute(
            contacts.where(Contact.channel_id == channel.id, Contact.external_id == external_id)
        )
        return found.scalar_one().id

    async def conversation(
        self, channel: Channel, contact_id: uuid.UUID, now: datetime
    ) -> Conversation:
        await self.session.execute(
            insert(Conversation)
            .values(
                tenant_id=self.scope.tenant_id,
                channel_id=channel.id,
                contact_id=contact_id,
                last_message_at=now,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "contact_id"])
        )
        statement = (
            self.scoped()
            .where(Conversation.channel_id == channel.id, Conversation.contact_id == contact_id)
            .options(joinedload(Conversation.contact), joinedload(Conversation.channel))
            .with_for_update(of=Conversation)
        )
        return (await self.session.execute(statement)).scalar_one()


class _Contacts(ScopedRepository[Contact]):
    model = Contact
