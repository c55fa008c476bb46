"""The agent's inbox: listing, reading and replying, always inside the caller's tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import events, jobs
from api.errors import AppError, Conflict, NotFound
from api.inbox.policy import decide_free_form
from api.inbox.repository import ConversationRepository, MessageRepository
from api.inbox.schemas import ConversationOut, MessageOut, conversation_out, message_out
from api.inbox.sending import send_job_id
from api.inbox.views import messages_out
from api.models import Conversation, Message, MessageDirection, MessageStatus
from api.pagination import Page, decode_cursor, encode_cursor
from api.tenancy import TenantScope

SEND_JOB = "inbox.send_message"
PREVIEW_LENGTH = 280


class WindowClosed(AppError):
    status_code = 409
    code = "window_closed"


class InboxService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.conversations = ConversationRepository(session, scope)
        self.messages = MessageRepository(session, scope)

    async def list_conversations(self, *, cursor: str | None, limit: int) -> Page[ConversationOut]:
        after = decode_cursor(cursor) if cursor else None
        rows = await self.conversations.list_page(limit=limit + 1, after=after)
        now = datetime.now(UTC)
        items = [conversation_out(c, now) for c in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(last.last_message_at, last.id)
        return Page(items=items, next_cursor=next_cursor)

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

    async def send_text(
        self, conversation_id: uuid.UUID, text: str, *, idempotency_key: str | None
    ) -> MessageOut:
        """Queue a human-written reply. The same idempotency key gives back the same message."""
        conversation = await self._conversation(conversation_id, for_update=True)
        if idempotency_key:
            existing = await self.messages.get_by_idempotency_key(idempotency_key)
            if existing is not None:
                return self._replay(existing, conversation_id)
        now = datetime.now(UTC)
        decision = decide_free_form(
            conversation.channel.kind, conversation.last_inbound_at, now, human_written=True
        )
        if not decision.allowed:
            raise WindowClosed(
                decision.detail or "Sending is not allowed now.", code=decision.reason
            )
        message = Message(
            id=uuid.uuid4(),
            tenant_id=self.scope.tenant_id,
            conversation_id=conversation.id,
            channel_id=conversation.channel_id,
            direction=MessageDirection.OUTBOUND,
            type="text",
            text=text,
            content={},
            status=MessageStatus.QUEUED,
            author_user_id=self.scope.user_id,
            idempotency_key=idempotency_key,
            sort_at=now,
            created_at=now,
        )
        if not await self._insert_once(message):
            assert idempotency_key is not None
            existing = await self.messages.get_by_idempotency_key(idempotency_key)
            assert existing is not None
            return self._replay(existing, conversation_id)
        conversation.last_message_at = now
        conversation.last_message_preview = text[:PREVIEW_LENGTH]
        await self.session.flush()
        jobs.enqueue_job(self.session, SEND_JOB, str(message.id), job_id=send_job_id(message.id))
        out = message_out(message)
        events.emit(
            self.session,
            self.scope.tenant_id,
            "message:new",
            {"message": out.model_dump(mode="json")},
        )
        await self._emit_conversation(conversation)
        return out

    async def mark_read(self, conversation_id: uuid.UUID) -> ConversationOut:
        conversation = await self._conversation(conversation_id, for_update=True)
        if conversation.unread_count:
            conversation.unread_count = 0
            await self.session.flush()
            await self._emit_conversation(conversation)
        return conversation_out(conversation, datetime.now(UTC))

    async def _insert_once(self, message: Message) -> bool:
        """Insert inside a savepoint; False when a concurrent request used the same key."""
        try:
            async with self.session.begin_nested():
                self.session.add(message)
                await self.session.flush()
        except IntegrityError:
            if message.idempotency_key is None:
                raise
            return False
        return True

    def _replay(self, existing: Message, conversation_id: uuid.UUID) -> MessageOut:
        if existing.conversation_id != conversation_id:
            raise Conflict(
                "This Idempotency-Key was already used for another conversation.",
                code="idempotency_key_reused",
            )
        return message_out(existing)

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
