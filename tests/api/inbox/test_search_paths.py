"""The two ways a search page is found (api.inbox.listing: walking the candidates newest
first and probing each, or the tenant's GIN index) and their mixes give exactly the page
the list filtered by "has a matching message" would: same conversations, same order, ties
on `last_message_at` and cursors included, filters on top. A common word's page never
reads every match; a rare word's goes to the index."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.inbox import listing
from api.inbox.listing import ConversationListing
from api.models import Conversation, ConversationStatus, Message, Role
from api.security.rls import enter_tenant
from api.tenancy import TenantScope
from tests.api.inbox.inbox_data import (
    INBOX,
    Team,
    create_team,
    create_thread,
    ids,
    listed,
    message_row,
)
from tests.api.inbox.test_conversations import statements

CONVERSATIONS = 240
FULL_INDEX = "parley_message_search"


def words_of(i: int) -> list[str]:
    """The planted messages of conversation #i (0 = newest), one string per message."""
    planted = []
    if i % 2 == 0:
        planted.append("alpha")  # every other conversation: the walk fills a page
    if i % 9 == 0:
        planted.append("beta")  # one in nine: a second walk
    if i % 40 == 0:
        planted.append("gamma")  # one in forty: the index
    if (i < 60 and i % 3 == 0) or i == 200:
        planted.append("delta")  # frequent among the newest, then once: walks, then the index
    if i == 150:
        planted.append("epsilon")  # once: straight to the index
    if i % 4 == 0:
        planted.append("omega")  # in its own message: "alpha omega" must not match these
    if i % 4 == 2:
        planted.append("Alpha and omega")
    return planted


@dataclass
class Corpus:
    team: Team
    # newest first, in the list's order: (last_message_at desc, id desc)
    conversations: list[Conversation]
    words: dict[uuid.UUID, list[str]]


@pytest.fixture
async def corpus(client: httpx.AsyncClient, session: AsyncSession) -> Corpus:
    team = await create_team(client, session)
    other = await create_team(client, session, "Globex")
    now = datetime.now(UTC)
    made: list[tuple[Conversation, list[str]]] = []
    rows = []
    for i in range(CONVERSATIONS):
        # Pairs share their last activity: the keyset's tie on id is exercised.
        at = now - timedelta(minutes=i // 2)
        channel = team.messenger if i % 3 else team.whatsapp
        status = ConversationStatus.RESOLVED if i % 5 == 0 else ConversationStatus.OPEN
        conversation = await create_thread(session, channel, at=at, status=status, commit=False)
        planted = words_of(i)
        made.append((conversation, planted))
        texts = ["hello there", *planted, "thanks a lot"]
        for j, text_ in enumerate(texts):
            rows.append(message_row(conversation, text_, at - timedelta(seconds=j + 1)))
    theirs = await create_thread(session, other.messenger, commit=False)
    rows.append(message_row(theirs, "alpha beta gamma delta omega", now))
    await session.execute(insert(Message), rows)
    await session.commit()
    await session.execute(text("ANALYZE messages"))
    made.sort(key=lambda m: (m[0].last_message_at, m[0].id), reverse=True)
    return Corpus(team, [c for c, _ in made], {c.id: words for c, words in made})


def expected(corpus: Corpus, *terms: str, keep: object = None) -> list[uuid.UUID]:
    """The filtered list, in order, of conversations with a message holding every term."""
    found = []
    for conversation in corpus.conversations:
        messages = [m.lower().split() for m in corpus.words[conversation.id]]
        if not any(all(t in m for t in terms) for m in messages):
            continue
        if callable(keep) and not keep(conversation):
            continue
        found.append(conversation.id)
    return found


@pytest.mark.parametrize("limit", [1, 7, 25, 100])
@pytest.mark.parametrize("word", ["alpha", "beta", "gamma", "delta", "epsilon", "omega"])
async def test_every_path_gives_the_filtered_list_page_by_page(
    client: httpx.AsyncClient, corpus: Corpus, word: str, limit: int
) -> None:
    headers = corpus.team.owner.headers
    assert ids(await listed(client, headers, q=word, limit=limit)) == expected(corpus, word)


async def test_filters_and_every_word_in_one_message_on_every_path(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    headers = corpus.team.owner.headers
    is_open = lambda c: c.status == ConversationStatus.OPEN  # noqa: E731
    on_whatsapp = lambda c: c.channel_id == corpus.team.whatsapp.id  # noqa: E731
    for word in ("alpha", "beta", "gamma", "delta"):
        for limit in (3, 25):
            found = await listed(client, headers, q=word, status="open", limit=limit)
            assert ids(found) == expected(corpus, word, keep=is_open), (word, limit)
            found = await listed(
                client, headers, q=word, channel_id=str(corpus.team.whatsapp.id), limit=limit
            )
            assert ids(found) == expected(corpus, word, keep=on_whatsapp), (word, limit)
    both = expected(corpus, "alpha", "omega")
    assert both and len(both) < len(expected(corpus, "omega"))
    assert ids(await listed(client, headers, q="alpha omega", limit=10)) == both
    assert ids(await listed(client, headers, q="alp ome", limit=10)) == both  # prefixes


async def test_the_walk_and_the_index_agree_whatever_the_budgets(
    client: httpx.AsyncClient, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walks of one candidate, of every candidate, and no second walk at all."""
    headers = corpus.team.owner.headers
    for walk, rate, more in ((1, 16, 32), (1000, 16, 32), (4, 1, 1), (4, 1_000_000, 32)):
        monkeypatch.setattr(listing, "SEARCH_WALK", walk)
        monkeypatch.setattr(listing, "SEARCH_MIN_HIT_RATE", rate)
        monkeypatch.setattr(listing, "SEARCH_WALK_MORE", more)
        for word in ("alpha", "beta", "gamma", "delta"):
            found = await listed(client, headers, q=word, limit=6)
            assert ids(found) == expected(corpus, word), (walk, rate, more, word)


async def test_a_common_word_stops_at_the_page_and_a_rare_one_uses_the_index(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    headers = corpus.team.owner.headers
    with statements() as seen:
        page = await client.get(INBOX, params={"q": "alpha", "limit": 10}, headers=headers)
    assert [uuid.UUID(i["id"]) for i in page.json()["items"]] == expected(corpus, "alpha")[:10]
    assert not [s for s in seen if FULL_INDEX in s]
    assert len([s for s in seen if "FROM conversations" in s]) == 2  # the page, its matches

    with statements() as seen:
        page = await client.get(INBOX, params={"q": "epsilon", "limit": 10}, headers=headers)
    assert [uuid.UUID(i["id"]) for i in page.json()["items"]] == expected(corpus, "epsilon")
    assert len([s for s in seen if FULL_INDEX in s]) == 1


async def generic_plan(
    session: AsyncSession, tenant_id: uuid.UUID, statement: Any, *, off: tuple[str, ...]
) -> str:
    """EXPLAIN of `statement` as the api runs it: inside the tenant's row-level security,
    prepared, with PostgreSQL forced to its generic plan, and the planner settings `off`
    (e.g. `enable_seqscan`) switched off."""
    compiled = statement.compile(dialect=session.get_bind().dialect)
    arguments = ", ".join(f"'{compiled.params[name]}'" for name in compiled.positiontup or ())
    await enter_tenant(session, tenant_id)
    for setting in off:
        await session.execute(text(f"SET LOCAL {setting} = off"))
    await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    connection = await session.connection()
    await connection.exec_driver_sql(f"PREPARE planned AS {compiled}")
    try:
        result = await connection.exec_driver_sql(f"EXPLAIN EXECUTE planned({arguments})")
        return "\n".join(line for (line,) in result)
    finally:
        await connection.exec_driver_sql("DEALLOCATE planned")


async def test_the_open_counts_are_read_from_their_partial_index_under_rls(
    session: AsyncSession, corpus: Corpus
) -> None:
    """Row-level security keeps `status = 'open'` (enum equality is not LEAKPROOF) from
    being an index condition; the partial index's predicate still applies, in a generic
    plan of the prepared statement too (the status is a literal, not a parameter). With
    other scans priced out, the tenant's counts come from ix_conversations_open_counts."""
    scope = TenantScope(
        tenant_id=corpus.team.tenant_id, user_id=corpus.team.owner.user_id, role=Role.OWNER
    )
    statement = ConversationListing(session, scope).open_counts_statement()
    off = ("enable_seqscan", "enable_bitmapscan")
    plan = await generic_plan(session, corpus.team.tenant_id, statement, off=off)
    assert "using ix_conversations_open_counts" in plan, plan
    await session.rollback()


async def test_a_deep_page_of_the_open_list_walks_its_partial_index_under_rls(
    session: AsyncSession, corpus: Corpus
) -> None:
    """The open list (the inbox's default view) past the first page: its status is a
    literal, so the generic plan of the prepared statement can walk
    ix_conversations_open_activity from the cursor instead of filtering every status."""
    from api.inbox.filters import ConversationQuery
    from api.inbox.listing import NEWEST_FIRST

    scope = TenantScope(
        tenant_id=corpus.team.tenant_id, user_id=corpus.team.owner.user_id, role=Role.OWNER
    )
    listing_ = ConversationListing(session, scope)
    query = ConversationQuery(status=[ConversationStatus.OPEN])
    after = (datetime.now(UTC), uuid.uuid4())
    statement = (
        listing_._candidates(listing_.scoped(), query, datetime.now(UTC), after, open_index=True)
        .with_only_columns(Conversation.id)
        .order_by(*NEWEST_FIRST)
        .limit(50)
    )
    # A page wants its rows in list order: plans that sort are priced out (as they are at
    # scale, where sorting the tenant's open conversations costs far more than a walk).
    off = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
    plan = await generic_plan(session, corpus.team.tenant_id, statement, off=off)
    assert "ix_conversations_open_activity" in plan, plan
    await session.rollback()
