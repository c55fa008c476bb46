"""The conversation list's SQL: folders, filters, message search and counts, each query
starting from the caller's tenant. Every filter has an index behind it (migration 0006)."""

from __future__ import annotations

import math
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
from api.pagination import beyond
from api.tenancy import ScopedRepository

# The configuration `messages.search_vector` is built with (api.models.message).
SEARCH_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
SNIPPET_OPTIONS: ColumnElement[Any] = literal_column(
    '\'StartSel="", StopSel="", MaxWords=24, MinWords=8\''
)
# The partial label index's predicate, repeated so the planner can use it.
LABELLED = func.cardinality(Conversation.labels) > literal_column("0")
# Likewise the open counts' and the open list's (ix_conversations_open_counts,
# ix_conversations_open_activity): a literal, not a parameter, so that a generic plan of
# the prepared statement can use the index too.
IS_OPEN = Conversation.status == literal_column("'open'")

Keyset = tuple[datetime, uuid.UUID]
NEWEST_FIRST = (Conversation.last_message_at.desc(), Conversation.id.desc())

# Search (`ConversationListing._search_page`): the first walk probes this many candidates
# per row asked for (a rare word pays for it: about 1 ms for a page of 50); the walk goes
# on only when at least one candidate in this many matched (below that the GIN index is
# the cheaper way: few messages match), for at most this many candidates more per row. A probe reads the conversation's messages (about ten
# on average), the index every match (and, for several common words, long posting lists):
# on bench/inbox.py's tenant of 100,000 conversations the two cost about the same near a
# hit rate of 1 in 20 for one word, and the walk wins further down for several words.
SEARCH_WALK = 2
SEARCH_MIN_HIT_RATE = 32
SEARCH_WALK_MORE = 32


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
        """Newest activity first; keyset pagination on (last_message_at, id). With `search`,
        only the conversations with a matching message (`_search_page`)."""
        if search is not None:
            return await self._search_page(query, search, now=now, after=after, limit=limit)
        picked = self._candidates(
            self.scoped(), query, now, after, open_index=True
        ).with_only_columns(Conversation.id)
        return await self._load(picked.order_by(*NEWEST_FIRST).limit(limit))

    async def _search_page(
        self,
        query: ConversationQuery,
        search: str,
        *,
        now: datetime,
        after: Keyset | None,
        limit: int,
    ) -> list[Conversation]:
        """The same page as filtering the list by "has a matching message", found in one of
        two ways, whichever is cheap for this search:

        - walking the candidates newest first and probing each one's messages (its own
          rows, through `ix_messages_conversation_order`), which stops as soon as the page
          is full: cheap when many conversations match (a common word), and
        - the tenant's GIN index (`parley_message_search`): every match, then sorted;
          cheap when few messages match (a rare word), slow when a fifth of them do.

        A first walk of `SEARCH_WALK` candidates per row asked for either fills the page or
        measures how often a candidate matches. A low hit rate hands the page to the index
        (as before the walk: the walk's few finds are found again); a high enough one walks
        on as far as that rate says the page needs, and the index answers for the
        candidates after the walked ones if that falls short. Each step covers the keyset
        range after the previous one, so the result is exactly the filtered list's page."""
        budget = SEARCH_WALK * limit
        found = await self._load(self._walk(query, search, now, after, budget, limit))
        if len(found) >= limit:
            return found
        if len(found) * SEARCH_MIN_HIT_RATE < budget:
            return await self._indexed(query, search, now, after, limit)
        walked = await self._nth_candidate(query, now, after, budget)
        if walked is None:  # fewer candidates than that: every one was probed
            return found
        wanted = limit - len(found)
        more = min(SEARCH_WALK_MORE * limit, math.ceil(2 * wanted * budget / len(found)))
        found += await self._load(self._walk(query, search, now, walked, more, wanted))
        if len(found) >= limit:
            return found
        walked = await self._nth_candidate(query, now, walked, more)
        if walked is None:
            return found
        return found + await self._indexed(query, search, now, walked, limit - len(found))

    async def _indexed(
        self, query: ConversationQuery, search: str, now: datetime, after: Keyset | None, limit: int
    ) -> list[Conversation]:
        """The first `limit` candidates past `after` among every match the GIN index finds."""
        picked = (
            self._candidates(self.scoped(), query, now, after)
            .with_only_columns(Conversation.id)
            .where(Conversation.id.in_(self._matching(search)))
        )
        return await self._load(picked.order_by(*NEWEST_FIRST).limit(limit))

    def _candidates(
        self,
        scoped: Select[Conversation],
        query: ConversationQuery,
        now: datetime,
        after: Keyset | None,
        *,
        open_index: bool = False,
    ) -> Select[Conversation]:
        """The list's conversations (`scoped`) past `after`, filters applied, not ordered.
        `open_index`: the open list walks ix_conversations_open_activity (the plain list;
        the search paths keep their own plans, which that index made slower at p99)."""
        candidates = scoped.where(*self._filters(query, now, open_index=open_index))
        if after is not None:
            candidates = candidates.where(
                beyond(Conversation.last_message_at, Conversation.id, after, descending=True)
            )
        return candidates

    def _walk(
        self,
        query: ConversationQuery,
        search: str,
        now: datetime,
        after: Keyset | None,
        budget: int,
        limit: int,
    ) -> Select[tuple[uuid.UUID]]:
        """Of the next `budget` candidates, newest first, the first `limit` with a message
        matching `search`: a nested loop that probes one conversation at a time (LATERAL
        ... LIMIT 1) and stops once `limit` are found. The tsquery is parsed once."""
        walked = (
            self._candidates(self.scoped(), query, now, after)
            .with_only_columns(Conversation.id, Conversation.last_message_at)
            .order_by(*NEWEST_FIRST)
            .limit(budget)
            .subquery("walked")
        )
        parsed = select(tsquery(search)).scalar_subquery()
        hit = (
            select(literal_column("1"))
            .select_from(Message)
            .where(
                Message.conversation_id == walked.c.id,
                Message.tenant_id == self.scope.tenant_id,
                matches(parsed),
            )
            .limit(1)
            .lateral("hit")
        )
        return (
            select(walked.c.id)
            .join(hit, true())
            .order_by(walked.c.last_message_at.desc(), walked.c.id.desc())
            .limit(limit)
        )

    async def _nth_candidate(
        self, query: ConversationQuery, now: datetime, after: Keyset | None, n: int
    ) -> Keyset | None:
        """The keyset of the `n`th candidate past `after`: where a walk of `n` stopped (None
        when there are fewer, i.e. the walk probed them all)."""
        statement = (
            self._candidates(self.scoped(), query, now, after)
            .with_only_columns(Conversation.last_message_at, Conversation.id)
            .order_by(*NEWEST_FIRST)
            .offset(n - 1)
            .limit(1)
        )
        row = (await self.session.execute(statement)).one_or_none()
        return None if row is None else (row[0], row[1])

    async def _load(self, picked: Select[Any]) -> list[Conversation]:
        """The picked ids (a statement ordered and limited) as conversations with their
        contact and channel. The ids are picked first (materialized: computed once,
        whatever the planner's estimates), then only those rows are joined."""
        page = picked.cte("page").prefix_with("MATERIALIZED")
        statement = (
            self.scoped()
            .join(page, page.c.id == Conversation.id)
            .options(joinedload(Conversation.contact), joinedload(Conversation.channel))
            .order_by(*NEWEST_FIRST)
        )
        return list((await self.session.execute(statement)).scalars())

    async def open_counts(self) -> list[OpenCounts]:
        """Open conversations per channel: all, mine, unassigned (one grouped query)."""
        rows = await self.session.execute(self.open_counts_statement())
        return [OpenCounts(*row) for row in rows]

    def open_counts_statement(self) -> Select[uuid.UUID, int, int, int]:
        """Read from the index alone: `ix_conversations_open_counts` (migration 0014) holds
        exactly the open conversations in use, in (channel, assignee) order."""
        mine = (
            Conversation.assignee_id == self.scope.user_id
            if self.scope.user_id is not None
            else false()
        )
        return (
            self.scoped()
            .with_only_columns(
                Conversation.channel_id,
                func.count(),
                func.count().filter(mine),
                func.count().filter(Conversation.assignee_id.is_(None)),
            )
            .where(IS_OPEN)
            .group_by(Conversation.channel_id)
        )

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

    def _filters(
        self, query: ConversationQuery, now: datetime, *, open_index: bool = False
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if query.folder is Folder.MINE:
            user = self.scope.user_id
            where.append(Conversation.assignee_id == user if user is not None else false())
        elif query.folder is Folder.UNASSIGNED:
            where.append(Conversation.assignee_id.is_(None))
        if query.channel_id is not None:
            where.append(Conversation.channel_id == query.channel_id)
        if open_index and query.status == [ConversationStatus.OPEN]:
            where.append(IS_OPEN)  # a literal: ix_conversations_open_activity applies
        elif query.status:
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
