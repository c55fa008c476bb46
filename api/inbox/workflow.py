"""Working the inbox: finding conversations (folders, filters, search, counts), moving them
through open → pending → resolved / snoozed, assigning and labelling them, private notes,
and read state.

Every change is announced once the unit of work commits: `conversation:updated` with the
conversation as the API shows it, `message:new` for a note.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api import events
from api.errors import AppError, NotFound
from api.inbox.filters import ConversationQuery, search_query
from api.inbox.listing import ConversationListing, MessageSearch, TeamRepository
from api.inbox.receipts import queue_read_receipt
from api.inbox.repository import ConversationRepository
from api.inbox.schemas import (
    ChannelCount,
    ConversationCounts,
    ConversationListItem,
    ConversationOut,
    ConversationUpdate,
    LabelUsage,
    MessageOut,
    SearchMatch,
    conversation_out,
    message_out,
)
from api.models import (
    Conversation,
    ConversationStatus,
    Message,
    MessageDirection,
    MessageStatus,
    Role,
)
from api.pagination import Page, decode_cursor, encode_cursor
from api.tenancy import TenantScope

MAX_LABELS_LISTED = 200


class InvalidAssignee(AppError):
    status_code = 422
    code = "invalid_assignee"


class ConversationWorkflow:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.conversations = ConversationRepository(session, scope)
        self.listing = ConversationListing(session, scope)

    # --- finding -------------------------------------------------------------------

    async def find(self, query: ConversationQuery) -> Page[ConversationListItem]:
        """A page of conversations, newest activity first, narrowed by `query`; with `q`,
        only those with a matching message, each with its newest match."""
        after = decode_cursor(query.cursor) if query.cursor else None
        search = search_query(query.q) if query.q else None
        now = datetime.now(UTC)
        rows = await self.listing.page(
            query, search=search, now=now, after=after, limit=query.limit + 1
        )
        page = rows[: query.limit]
        matches = {}
        if search is not None:
            found = await MessageSearch(self.session, self.scope).newest_matches(
                [c.id for c in page], search
            )
            matches = {m.conversation_id: m for m in found}
        items = []
        for conversation in page:
            found_match = matches.get(conversation.id)
            match = None
            if found_match is not None:
                match = SearchMatch(
                    message_id=found_match.message_id,
                    at=found_match.at,
                    snippet=found_match.snippet,
                )
            out = conversation_out(conversation, now)
            items.append(ConversationListItem(**dict(out), match=match))
        next_cursor = None
        if len(rows) > query.limit:
            next_cursor = encode_cursor(page[-1].last_message_at, page[-1].id)
        return Page(items=items, next_cursor=next_cursor)

    async def counts(self) -> ConversationCounts:
        """Open conversations in each folder (mine, unassigned, all) and each channel."""
        rows = await self.listing.open_counts()
        return ConversationCounts(
            mine=sum(r.mine for r in rows),
            unassigned=sum(r.unassigned for r in rows),
            all=sum(r.all for r in rows),
            channels=[ChannelCount(channel_id=r.channel_id, open=r.all) for r in rows],
        )

    async def labels(self) -> Page[LabelUsage]:
        """The labels in use, most used first (for filters and the label picker)."""
        rows = await self.listing.label_counts(MAX_LABELS_LISTED)
        return Page(items=[LabelUsage(name=n, conversations=c) for n, c in rows])

    # --- changing ------------------------------------------------------------------

    async def change(
        self, conversation_id: uuid.UUID, change: ConversationUpdate
    ) -> ConversationOut:
        """Apply the fields given; nothing is announced when nothing actually changed."""
        conversation = await self._conversation(conversation_id, for_update=True)
        changed = False
        if "assignee_id" in change.model_fields_set:
            changed |= await self._assign(conversation, change.assignee_id)
        if change.status is not None:
            changed |= _set_status(conversation, change.status, change.snoozed_until)
        if change.labels is not None and change.labels != list(conversation.labels or []):
            conversation.labels = change.labels
            changed = True
        if changed:
            await self._announce(conversation)
        return conversation_out(conversation, datetime.now(UTC))

    async def add_note(self, conversation_id: uuid.UUID, text: str) -> MessageOut:
        """A private note in the thread: a message with direction `note`, seen by the team
        only. It has no provider id and stays `received`; the database refuses any other
        state for a note (ck_messages_note_never_sent), so no send path can pick it up. It
        does not count as activity: the conversation's order and preview stay as they are."""
        conversation = await self._conversation(conversation_id)
        now = datetime.now(UTC)
        note = Message(
            id=uuid.uuid4(),
            tenant_id=self.scope.tenant_id,
            conversation_id=conversation.id,
            channel_id=conversation.channel_id,
            direction=MessageDirection.NOTE,
            type="note",
            text=text,
            content={},
            status=MessageStatus.RECEIVED,
            author_user_id=self.scope.user_id,
            sort_at=now,
            created_at=now,
        )
        self.session.add(note)
        await self.session.flush()
        out = message_out(note)
        events.emit(
            self.session,
            self.scope.tenant_id,
            "message:new",
            {"message": out.model_dump(mode="json")},
        )
        return out

    async def mark_read(self, conversation_id: uuid.UUID) -> ConversationOut:
        """The team has read the conversation: its unread count goes to zero. When the
        channel's `send_read_receipts` is on, Meta is told too, after the commit
        (api.inbox.receipts: WhatsApp read receipt for the newest inbound message,
        Messenger `mark_seen`); only when there was something unread, so reading a thread
        again calls no one."""
        conversation = await self._conversation(conversation_id, for_update=True)
        if conversation.unread_count:
            conversation.unread_count = 0
            await self._announce(conversation)
            if conversation.channel.send_read_receipts:
                await queue_read_receipt(self.session, self.scope, conversation)
        return conversation_out(conversation, datetime.now(UTC))

    async def mark_unread(self, conversation_id: uuid.UUID) -> ConversationOut:
        """Flag the conversation for the team again (unread count at least one). Meta is
        never told: a customer cannot see a message become unread."""
        conversation = await self._conversation(conversation_id, for_update=True)
        if not conversation.unread_count:
            conversation.unread_count = 1
            await self._announce(conversation)
        return conversation_out(conversation, datetime.now(UTC))

    # --- pieces --------------------------------------------------------------------

    async def _assign(self, conversation: Conversation, assignee_id: uuid.UUID | None) -> bool:
        if assignee_id is not None:
            user = await TeamRepository(self.session, self.scope).get(assignee_id)
            if user is None:
                raise InvalidAssignee("assignee_id: there is no teammate with this id.")
            if user.role is Role.VIEWER:
                raise InvalidAssignee(
                    "assignee_id: this teammate is a viewer (read-only) and cannot be assigned."
                )
        if conversation.assignee_id == assignee_id:
            return False
        conversation.assignee_id = assignee_id
        return True

    async def _conversation(
        self, conversation_id: uuid.UUID, *, for_update: bool = False
    ) -> Conversation:
        conversation = await self.conversations.get_full(conversation_id, for_update=for_update)
        if conversation is None:
            raise NotFound("Conversation not found.")
        return conversation

    async def _announce(self, conversation: Conversation) -> None:
        await self.session.flush()
        out = conversation_out(conversation, datetime.now(UTC))
        events.emit(
            self.session,
            conversation.tenant_id,
            "conversation:updated",
            {"conversation": out.model_dump(mode="json")},
        )


def _set_status(
    conversation: Conversation, status: ConversationStatus, until: datetime | None
) -> bool:
    """`until` is set only with `snoozed` (the request is validated so), so leaving
    `snoozed` forgets the snooze time. True when something changed."""
    if conversation.status is status and conversation.snoozed_until == until:
        return False
    conversation.status, conversation.snoozed_until = status, until
    return True
