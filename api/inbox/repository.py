from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from api.models import Conversation, Message, SavedReply
from api.pagination import beyond
from api.tenancy import ScopedRepository


class ConversationRepository(ScopedRepository[Conversation]):
    """The tenant's conversations in use. One in the trash (soft-deleted, `api.data.trash`)
    is not found here, so reading it, its messages, sending to it, changing it or joining
    its socket room all answer 404 until it is restored."""

    model = Conversation

    def scoped(self) -> Select[Conversation]:
        return super().scoped().where(Conversation.deleted_at.is_(None))

    def _with_relations(self) -> Select[Conversation]:
        return self.scoped().options(
            joinedload(Conversation.contact), joinedload(Conversation.channel)
        )

    async def get_full(
        self, conversation_id: uuid.UUID, *, for_update: bool = False
    ) -> Conversation | None:
        statement = self._with_relations().where(Conversation.id == conversation_id)
        if for_update:
            statement = statement.with_for_update(of=Conversation)
        return (await self.session.execute(statement)).scalar_one_or_none()


class MessageRepository(ScopedRepository[Message]):
    model = Message

    async def list_page(
        self, conversation_id: uuid.UUID, *, limit: int, before: tuple[datetime, uuid.UUID] | None
    ) -> list[Message]:
        """Newest first (the caller reverses for display); keyset on (sort_at, id)."""
        statement = self.scoped().where(Message.conversation_id == conversation_id)
        if before is not None:
            statement = statement.where(
                beyond(Message.sort_at, Message.id, before, descending=True)
            )
        statement = statement.order_by(Message.sort_at.desc(), Message.id.desc()).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def get_by_idempotency_key(self, key: str) -> Message | None:
        statement = self.scoped().where(Message.idempotency_key == key)
        return (await self.session.execute(statement)).scalar_one_or_none()


class SavedReplyRepository(ScopedRepository[SavedReply]):
    model = SavedReply

    async def list_page(
        self, *, prefix: str | None, after: str | None, limit: int
    ) -> list[SavedReply]:
        """By shortcut; `prefix` keeps those starting with it (LIKE wildcards escaped)."""
        statement = self.scoped()
        if prefix:
            statement = statement.where(SavedReply.shortcut.startswith(prefix, autoescape=True))
        if after is not None:
            statement = statement.where(SavedReply.shortcut > after)
        statement = statement.order_by(SavedReply.shortcut).limit(limit)
        return list((await self.session.execute(statement)).scalars())


def unscoped_message(message_id: uuid.UUID) -> Select[Message]:
    """For jobs, which carry a message id and learn the tenant from the row itself."""
    return select(Message).where(Message.id == message_id)
