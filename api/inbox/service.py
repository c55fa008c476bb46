"""The agent's inbox: listing, reading and replying, always inside the caller's tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api import events
from api.errors import NotFound
from api.inbox.repository import ConversationRepository, MessageRepository
from api.inbox.schemas import ConversationOut, MessageOut, conversation_out
from api.inbox.views import messages_out
from api.models import Conversation
from api.pagination import Page, decode_cursor, encode_cursor
from api.tenancy import TenantScope

PREVIEW_LENGTH = 280


class InboxService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.conversations = ConversationRepository(session, scope)
        self.messages = MessageRepository(session, scope)

    async def get_conversation(self, conversation_id: uuid.UUID) -> ConversationOut:
        return conversation_out(await self._conversation(conversation_id), datetime.now(UTC))

    async def list_messages(
        self, conversation_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> Page[MessageOut]:
        """The newest `limit` messages before the cursor, oldest first."""
        await self._conversation(conversation_id)
        before = decode_cursor(cursor) if cursor else None
        rows = await self.messages.list_page(conversation_id, limit=limit + 1, before=before)
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1].sort_at, page[-1].id) if len(rows) > limit else None
        return Page(
            items=await messages_out(self.session, list(reversed(page))), next_cursor=next_cursor
        )

    async def _conversation(
        self, conversation_id: uuid.UUID, *, for_update: bool = False
    ) -> Conversation:
        conversation = await self.conversations.get_full(conversation_id, for_update=for_update)
        if conversation is None:
            raise NotFound("Conversation not found.")
        return conversation

    async def _emit_conversation(self, conversation: Conversation) -> None:
        out = conversation_out(conversation, datetime.now(UTC))
        events.emit(
            self.session,
            self.scope.tenant_id,
            "conversation:updated",
            {"conversation": out.model_dump(mode="json")},
        )
