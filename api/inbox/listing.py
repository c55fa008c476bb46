"""The conversation list's SQL: folders, filters, message search and counts, each query
starting from the caller's tenant. Every filter has an index behind it (migration 0006)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import joinedload
from sqlalchemy.types import Uuid

from api.inbox.filters import EXPIRING_WITHIN, ConversationQuery, Folder, WindowFilter
from api.inbox.policy import HUMAN_AGENT_WINDOW, STANDARD_WINDOW
from api.models import (
    Channel,
    ChannelKind,
    Conversation,
    ConversationStatus,
    Message,
    User,
)
from api.tenancy import ScopedRepository

# The configuration `messages.search_vector` is built with (api.models.message).
SEARCH_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
SNIPPET_OPTIONS: ColumnElement[Any] = literal_column(
    '\'StartSel="", StopSel="", MaxWords=24, MinWords=8\''
)
# The partial label index's predicate, repeated so the planner can use it.
LABELLED = func.cardinality(Conversation.labels) > literal_column("0")

Keyset = tuple[datetime, uuid.UUID]


@dataclass(frozen=True, slots=True)
class Match:
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    at: datetime
    snippet: str


@dataclass(frozen=True, slots=True)
class OpenCounts:
    channel_id: uuid.UUID
    all: int
    mine: int
    unassigned: int


def tsquery(query_text: str) -> ColumnElement[Any]:
    return func.to_tsquery(SEARCH_CONFIG, query_text)


def matches(query: ColumnElement[Any]) -> ColumnElement[bool]:
    return Message.search_vector.bool_op("@@")(query)


class ConversationListing(ScopedRepository[Conversation]):
    """Lists, counts and labels of the conversations in use (the trash left out; deleted
    rows are rare, so the filter rides along the same index scans)."""

    model = Conversation

    def scoped(self) -> Select[Conversation]:
        return super().scoped().where(Conversation.deleted_at.is_(None))

    async def page(
        self,
        query: ConversationQuery,
        *,
        search: str | None,
        now: datetime,
        after: Keyset | None,
        limit: int,
    ) -> list[Conversation]:
        """Newest activity first; keyset pagination on (last_message_at, id). The page's ids
        are picked first (materialized: computed once, whatever the planner's estimates),
        then only those rows are joined to their contact and channel."""
        newest_first = (Conversation.last_message_at.desc(), Conversation.id.desc())
        picked = self.scoped().with_only_columns(Conversation.id).where(*self._filters(query, now))
        if search is not None:
            picked = picked.where(Conversation.id.in_(self._matching(search)))
        if after is not None:
            at, id_ = after
            picked = picked.where(
                or_(
                    Conversation.last_message_at < at,
                    and_(Conversation.last_message_at == at, Conversation.id < id_),
                )
            )
        page = picked.order_by(*newest_first).limit(limit).cte("page").prefix_with("MATERIALIZED")
        statement = (
            self.scoped()
            .join(page, page.c.id == Conversation.id)
            .options(joinedload(Conversation.contact), joinedload(Conversation.channel))
            .order_by(*newest_first)
        )
        return list((await self.session.execute(statement)).scalars())

    async def open_counts(self) -> list[OpenCounts]:
        """Open conversations per channel: all, mine, unassigned (one grouped query)."""
        mine = (
            Conversation.assignee_id == self.scope.user_id
            if self.scope.user_id is not None
            else false()
        )
        statement = (
            self.scoped()
            .with_only_columns(
                Conversation.channel_id,
                func.count(),
                func.count().filter(mine),
                func.count().filter(Conversation.assignee_id.is_(None)),
            )
            .where(Conversation.status == ConversationStatus.OPEN)
            .group_by(Conversation.channel_id)
        )
        rows = await self.session.execute(statement)
        return [OpenCounts(*row) for row in rows]

    async def label_counts(self, limit: int) -> list[tuple[str, int]]:
        """The labels in use and on how many conversations, most used first."""
        name = func.unnest(Conversation.labels).label("name")
        statement = (
            self.scoped()
            .with_only_columns(name, func.count())
            .where(LABELLED)
            .group_by(name)
            .order_by(func.count().desc(), name)
            .limit(limit)
        )
        return [(str(n), int(c)) for n, c in await self.session.execute(statement)]

    def _matching(self, search: str) -> Select[tuple[uuid.UUID]]:
        # The tenant's conversations with a matching message, through a SQL function
        # (migration 0011) so the search index still works under row-level security.
        found = func.parley_message_search(tsquery(search), self.scope.tenant_id, type_=Uuid())
        return select(found.column_valued("conversation_id"))

    def _filters(self, query: ConversationQuery, now: datetime) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if query.folder is Folder.MINE:
            user = self.scope.user_id
            where.append(Conversation.assignee_id == user if user is not None else false())
        elif query.folder is Folder.UNASSIGNED:
            where.append(Conversation.assignee_id.is_(None))
        if query.channel_id is not None:
            where.append(Conversation.channel_id == query.channel_id)
        if query.status:
            where.append(Conversation.status.in_(query.status))
        if query.assignee_id is not None:
            where.append(Conversation.assignee_id == query.assignee_id)
        if query.label is not None:
            where += [LABELLED, Conversation.labels.contains([query.label])]
        if query.unread is not None:
            unread = Conversation.unread_count > 0
            where.append(unread if query.unread else ~unread)
        if query.window is not None:
            where.append(self._window(query.window, now))
        return where

    def _window(self, window: WindowFilter, now: datetime) -> ColumnElement[bool]:
        """The same boundaries as `api.inbox.policy.window_for`, as SQL ranges."""
        inbound = Conversation.last_inbound_at
        standard_from, human_from = now - STANDARD_WINDOW, now - HUMAN_AGENT_WINDOW
        messenger = Conversation.channel_id.in_(self._channels(ChannelKind.MESSENGER))
        if window is WindowFilter.OPEN:
            return inbound > standard_from
        if window is WindowFilter.EXPIRING:
            return or_(
                and_(inbound > standard_from, inbound <= standard_from + EXPIRING_WITHIN),
                and_(messenger, inbound > human_from, inbound <= human_from + EXPIRING_WITHIN),
            )
        if window is WindowFilter.HUMAN_AGENT:
            return and_(messenger, inbound <= standard_from, inbound > human_from)
        whatsapp = Conversation.channel_id.in_(self._channels(ChannelKind.WHATSAPP))
        return or_(
            inbound.is_(None),
            and_(whatsapp, inbound <= standard_from),
            and_(messenger, inbound <= human_from),
        )

    def _channels(self, kind: ChannelKind) -> Select[uuid.UUID]:
        return select(Channel.id).where(
            Channel.tenant_id == self.scope.tenant_id, Channel.kind == kind
        )


class MessageSearch(ScopedRepository[Message]):
    model = Message

    async def newest_matches(self, conversation_ids: list[uuid.UUID], search: str) -> list[Match]:
        """Per conversation, its newest message matching `search`, with a plain-text snippet
        (the snippet is computed for those few rows only)."""
        if not conversation_ids:
            return []
        query = tsquery(search)
        # Walks each conversation's messages newest first and stops at the first match.
        newest = (
            self.scoped()
            .with_only_columns(Message.id, Message.sort_at, Message.text)
            .where(Message.conversation_id == Conversation.id, matches(query))
            .order_by(Message.sort_at.desc(), Message.id.desc())
            .limit(1)
            .lateral("newest")
        )
        statement = (
            select(
                Conversation.id,
                newest.c.id,
                newest.c.sort_at,
                func.ts_headline(SEARCH_CONFIG, newest.c.text, query, SNIPPET_OPTIONS),
            )
            .join(newest, true())
            .where(
                Conversation.tenant_id == self.scope.tenant_id,
                Conversation.id.in_(conversation_ids),
            )
        )
        return [Match(*row) for row in await self.session.execute(statement)]


class TeamRepository(ScopedRepository[User]):
    """The caller's teammates (assignees must be one of them)."""

    model = User
