"""The conversation list: folders, filters, window states, counts and pagination."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_engine
from api.inbox.filters import EXPIRING_WITHIN
from api.models import ConversationStatus
from tests.api.inbox.inbox_data import INBOX, Team, ago, create_team, create_thread, ids, listed


@pytest.fixture
async def team(client: httpx.AsyncClient, session: AsyncSession) -> Team:
    return await create_team(client, session)


async def test_folders_mine_unassigned_and_all(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    mine = await create_thread(
        session, team.messenger, assignee_id=team.owner.user_id, at=ago(minutes=3)
    )
    theirs = await create_thread(
        session, team.messenger, assignee_id=team.agent.user_id, at=ago(minutes=2)
    )
    nobodys = await create_thread(session, team.whatsapp, at=ago(minutes=1))
    headers = team.owner.headers

    assert ids(await listed(client, headers, folder="mine")) == [mine.id]
    assert ids(await listed(client, headers, folder="unassigned")) == [nobodys.id]
    assert ids(await listed(client, headers, folder="all")) == [nobodys.id, theirs.id, mine.id]
    assert ids(await listed(client, headers)) == [nobodys.id, theirs.id, mine.id]
    # "Mine" is the caller's own: the agent sees theirs.
    assert ids(await listed(client, team.agent.headers, folder="mine")) == [theirs.id]


async def test_filter_by_channel(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    on_messenger = await create_thread(session, team.messenger)
    on_whatsapp = await create_thread(session, team.whatsapp)
    headers = team.owner.headers
    assert ids(await listed(client, headers, channel_id=str(team.messenger.id))) == [
        on_messenger.id
    ]
    assert ids(await listed(client, headers, channel_id=str(team.whatsapp.id))) == [on_whatsapp.id]
    assert await listed(client, headers, channel_id=str(uuid.uuid4())) == []


async def test_filter_by_status_one_or_several(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    made = {
        status: await create_thread(session, team.messenger, status=status, at=ago(minutes=i))
        for i, status in enumerate(ConversationStatus)
    }
    headers = team.owner.headers
    for status, conversation in made.items():
        found = await listed(client, headers, status=status.value)
        assert ids(found) == [conversation.id]
        assert found[0]["status"] == status.value
    several = await listed(client, headers, status=["open", "pending"])
    assert set(ids(several)) == {
        made[ConversationStatus.OPEN].id,
        made[ConversationStatus.PENDING].id,
    }
    bad = await client.get(INBOX, params={"status": "closed"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"


async def test_filter_by_assignee(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    agents = await create_thread(session, team.messenger, assignee_id=team.agent.user_id)
    await create_thread(session, team.messenger, assignee_id=team.owner.user_id)
    await create_thread(session, team.messenger)
    found = await listed(client, team.owner.headers, assignee_id=str(team.agent.user_id))
    assert ids(found) == [agents.id]
    assert found[0]["assignee_id"] == str(team.agent.user_id)


async def test_filter_by_label_normalises_the_label_asked_for(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    vip = await create_thread(session, team.messenger, labels=("vip", "billing"))
    await create_thread(session, team.messenger, labels=("billing",))
    await create_thread(session, team.messenger)
    headers = team.owner.headers
    assert ids(await listed(client, headers, label=" VIP ")) == [vip.id]
    assert len(await listed(client, headers, label="billing")) == 2
    assert await listed(client, headers, label="nobody-has-this") == []


async def test_filter_unread_and_read(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    unread = await create_thread(session, team.messenger, unread_count=3)
    read = await create_thread(session, team.messenger, unread_count=0)
    headers = team.owner.headers
    assert ids(await listed(client, headers, unread="true")) == [unread.id]
    assert ids(await listed(client, headers, unread="false")) == [read.id]


async def test_window_filters_agree_with_the_window_each_conversation_shows(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    messenger, whatsapp = team.messenger, team.whatsapp
    soon = EXPIRING_WITHIN / 2
    made = {
        "messenger open": await create_thread(session, messenger, last_inbound_at=ago(hours=1)),
        "whatsapp open, not expiring yet": await create_thread(
            session, whatsapp, last_inbound_at=ago(hours=24) + EXPIRING_WITHIN * 1.5
        ),
        "messenger open, expiring": await create_thread(
            session, messenger, last_inbound_at=ago(hours=24) + soon
        ),
        "messenger human_agent": await create_thread(
            session, messenger, last_inbound_at=ago(days=3)
        ),
        "messenger human_agent, expiring": await create_thread(
            session, messenger, last_inbound_at=ago(days=7) + soon
        ),
        "messenger closed": await create_thread(session, messenger, last_inbound_at=ago(days=8)),
        "messenger never wrote": await create_thread(session, messenger, last_inbound_at=None),
        "whatsapp open": await create_thread(session, whatsapp, last_inbound_at=ago(hours=2)),
        "whatsapp open, expiring": await create_thread(
            session, whatsapp, last_inbound_at=ago(hours=24) + soon
        ),
        "whatsapp closed": await create_thread(session, whatsapp, last_inbound_at=ago(days=2)),
    }
    names = {conversation.id: name for name, conversation in made.items()}
    headers = team.owner.headers

    async def window(value: str) -> set[str]:
        return {names[i] for i in ids(await listed(client, headers, window=value))}

    assert await window("open") == {
        "messenger open",
        "whatsapp open, not expiring yet",
        "messenger open, expiring",
        "whatsapp open",
        "whatsapp open, expiring",
    }
    assert await window("expiring") == {
        "messenger open, expiring",
        "messenger human_agent, expiring",
        "whatsapp open, expiring",
    }
    assert await window("human_agent") == {
        "messenger human_agent",
        "messenger human_agent, expiring",
    }
    assert await window("closed") == {
        "messenger closed",
        "messenger never wrote",
        "whatsapp closed",
    }
    # Each conversation's own `window.state` says the same as the filters.
    for item in await listed(client, headers):
        state = item["window"]["state"]
        assert names[uuid.UUID(item["id"])] in await window(state)


async def test_filters_combine(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    wanted = await create_thread(
        session,
        team.whatsapp,
        assignee_id=team.owner.user_id,
        labels=("vip",),
        unread_count=1,
        last_inbound_at=ago(hours=1),
    )
    await create_thread(session, team.whatsapp, assignee_id=team.owner.user_id, labels=("vip",))
    await create_thread(
        session,
        team.messenger,
        assignee_id=team.owner.user_id,
        labels=("vip",),
        unread_count=1,
        last_inbound_at=ago(hours=1),
    )
    found = await listed(
        client,
        team.owner.headers,
        folder="mine",
        channel_id=str(team.whatsapp.id),
        status="open",
        label="vip",
        unread="true",
        window="open",
    )
    assert ids(found) == [wanted.id]


async def test_pages_have_no_duplicates_or_gaps_even_with_equal_times(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    same_time = ago(minutes=5)
    made = [
        await create_thread(
            session, team.messenger, at=same_time if i % 3 else ago(seconds=i), commit=False
        )
        for i in range(23)
    ]
    await create_thread(session, team.messenger, status=ConversationStatus.RESOLVED)
    await session.commit()
    expected = sorted(made, key=lambda c: (c.last_message_at, c.id), reverse=True)

    seen: list[uuid.UUID] = []
    cursor = None
    pages = 0
    while pages < 10:
        params = {"limit": "4", "status": "open", **({"cursor": cursor} if cursor else {})}
        body = (await client.get(INBOX, params=params, headers=team.owner.headers)).json()
        assert len(body["items"]) <= 4
        seen += ids(body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [c.id for c in expected]
    assert pages == 6


async def test_another_tenants_conversations_never_appear(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    other = await create_team(client, session, "Globex")
    await create_thread(session, other.messenger, labels=("vip",), unread_count=1)
    mine = await create_thread(session, team.messenger)
    assert ids(await listed(client, team.owner.headers)) == [mine.id]
    assert await listed(client, team.owner.headers, label="vip") == []
    assert await listed(client, team.owner.headers, channel_id=str(other.messenger.id)) == []


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_counts_open_conversations_per_folder_and_channel_in_one_query(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    owner = team.owner.user_id
    await create_thread(session, team.messenger, assignee_id=owner)
    await create_thread(session, team.messenger, assignee_id=team.agent.user_id)
    await create_thread(session, team.messenger)
    await create_thread(session, team.whatsapp)
    await create_thread(session, team.whatsapp, assignee_id=owner)
    await create_thread(
        session, team.whatsapp, assignee_id=owner, status=ConversationStatus.RESOLVED
    )
    await create_thread(
        session, team.whatsapp, status=ConversationStatus.SNOOZED, snoozed_until=ago(hours=-1)
    )
    await create_thread(session, team.messenger, status=ConversationStatus.PENDING)
    other = await create_team(client, session, "Globex")
    await create_thread(session, other.messenger)

    with statements() as seen:
        response = await client.get(f"{INBOX}/counts", headers=team.owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["mine"], body["unassigned"], body["all"]) == (2, 2, 5)
    channels = {c["channel_id"]: c["open"] for c in body["channels"]}
    assert channels == {str(team.messenger.id): 3, str(team.whatsapp.id): 2}
    assert len([s for s in seen if "FROM conversations" in s]) == 1

    agent = (await client.get(f"{INBOX}/counts", headers=team.agent.headers)).json()
    assert (agent["mine"], agent["unassigned"], agent["all"]) == (1, 2, 5)


async def test_the_list_loads_a_page_in_one_query(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    for _ in range(5):
        await create_thread(session, team.messenger, texts=("hi",))
    with statements() as seen:
        response = await client.get(INBOX, params={"limit": 5}, headers=team.owner.headers)
    assert len(response.json()["items"]) == 5
    assert len([s for s in seen if "FROM conversations" in s]) == 1


async def test_labels_in_use_are_listed_most_used_first(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    await create_thread(session, team.messenger, labels=("vip", "billing"))
    await create_thread(session, team.messenger, labels=("billing",))
    await create_thread(session, team.messenger)
    other = await create_team(client, session, "Globex")
    await create_thread(session, other.messenger, labels=("secret",))
    response = await client.get("/api/inbox/labels", headers=team.viewer.headers)
    assert response.status_code == 200
    assert response.json()["items"] == [
        {"name": "billing", "conversations": 2},
        {"name": "vip", "conversations": 1},
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"folder": "others"}, "folder"),
        ({"window": "soon"}, "window"),
        ({"label": "no/slash"}, "label"),
        ({"q": "!!!"}, "q"),
        ({"limit": "0"}, "limit"),
        ({"channel_id": "nope"}, "channel_id"),
    ],
)
async def test_bad_filters_are_422_naming_the_parameter(
    client: httpx.AsyncClient, team: Team, params: dict[str, str], field: str
) -> None:
    response = await client.get(INBOX, params=params, headers=team.owner.headers)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:"), response.json()
