"""Saved replies: create, read, change, delete; one shortcut per team; prefix search for
`/shortcut` insertion; other tenants' replies are 404; viewers only read."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import SavedReply
from tests.api.inbox.inbox_data import Team, create_team

REPLIES = "/api/inbox/saved-replies"


@pytest.fixture
async def team(client: httpx.AsyncClient, session: AsyncSession) -> Team:
    return await create_team(client, session)


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], shortcut: str, **fields: Any
) -> httpx.Response:
    body = {"shortcut": shortcut, "title": f"About {shortcut}", "text": f"Text of {shortcut}"}
    return await client.post(REPLIES, json=body | fields, headers=headers)


async def shortcuts(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get(REPLIES, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [r["shortcut"] for r in response.json()["items"]]


async def test_create_read_change_and_delete(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    created = await create(client, team.agent.headers, "/Thanks", text="Thank you for writing!")
    assert created.status_code == 201, created.text
    reply = created.json()
    assert reply["shortcut"] == "thanks"
    assert reply["created_by_user_id"] == str(team.agent.user_id)
    url = f"{REPLIES}/{reply['id']}"

    shown = await client.get(url, headers=team.viewer.headers)
    assert shown.status_code == 200 and shown.json()["text"] == "Thank you for writing!"

    changed = await client.patch(url, json={"text": "Thanks a lot!"}, headers=team.owner.headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["shortcut"], changed.json()["text"]) == ("thanks", "Thanks a lot!")
    row = await session.get(SavedReply, uuid.UUID(reply["id"]), populate_existing=True)
    assert row is not None and row.text == "Thanks a lot!"

    assert (await client.delete(url, headers=team.agent.headers)).status_code == 204
    assert (await client.get(url, headers=team.agent.headers)).status_code == 404
    assert (await session.execute(select(SavedReply))).first() is None


async def test_a_shortcut_is_unique_in_the_team_only(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    assert (await create(client, team.agent.headers, "hours")).status_code == 201
    again = await create(client, team.owner.headers, "/HOURS")
    assert again.status_code == 409
    assert again.json() == {
        "error": "shortcut_taken",
        "detail": "The shortcut /hours is already in use.",
    }
    other = await create_team(client, session, "Globex")
    assert (await create(client, other.owner.headers, "hours")).status_code == 201

    second = (await create(client, team.agent.headers, "opening")).json()
    renamed = await client.patch(
        f"{REPLIES}/{second['id']}", json={"shortcut": "hours"}, headers=team.agent.headers
    )
    assert renamed.status_code == 409 and renamed.json()["error"] == "shortcut_taken"
    rows = (
        await session.execute(
            select(SavedReply.shortcut).where(SavedReply.tenant_id == team.tenant_id)
        )
    ).scalars()
    assert sorted(rows) == ["hours", "opening"]


async def test_prefix_search_for_slash_insertion(client: httpx.AsyncClient, team: Team) -> None:
    for shortcut in ("thanks", "thx", "hello", "th_x", "tha", "ab"):
        assert (await create(client, team.agent.headers, shortcut)).status_code == 201
    headers = team.agent.headers
    assert await shortcuts(client, headers, q="/th") == ["th_x", "tha", "thanks", "thx"]
    assert await shortcuts(client, headers, q="THA") == ["tha", "thanks"]
    assert await shortcuts(client, headers, q="th_") == ["th_x"]  # "_" is not a wildcard
    assert await shortcuts(client, headers, q="zzz") == []
    assert len(await shortcuts(client, headers)) == 6


async def test_pages_follow_the_shortcut_order(client: httpx.AsyncClient, team: Team) -> None:
    names = [f"r{i:02d}" for i in range(7)]
    for name in reversed(names):
        await create(client, team.agent.headers, name)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(REPLIES, params=params, headers=team.agent.headers)).json()
        seen += [r["shortcut"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == names


async def test_another_tenants_replies_are_404_and_never_listed(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    theirs = (await create(client, team.agent.headers, "secret")).json()
    intruder = await create_team(client, session, "Intruder Inc")
    url, headers = f"{REPLIES}/{theirs['id']}", intruder.owner.headers
    responses = [
        await client.get(url, headers=headers),
        await client.patch(url, json={"text": "mine now"}, headers=headers),
        await client.delete(url, headers=headers),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert all(r.json()["error"] == "not_found" for r in responses)
    assert await shortcuts(client, headers) == []
    row = await session.get(SavedReply, uuid.UUID(theirs["id"]), populate_existing=True)
    assert row is not None and row.text == "Text of secret"


async def test_viewers_only_read(client: httpx.AsyncClient, team: Team) -> None:
    reply = (await create(client, team.agent.headers, "hi")).json()
    url, headers = f"{REPLIES}/{reply['id']}", team.viewer.headers
    assert await shortcuts(client, headers) == ["hi"]
    refused = [
        await create(client, headers, "mine"),
        await client.patch(url, json={"text": "x"}, headers=headers),
        await client.delete(url, headers=headers),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"shortcut": "two words"}, "shortcut: use a-z"),
        ({"shortcut": "/"}, "shortcut: must not be empty"),
        ({"shortcut": "x" * 33}, "shortcut: at most 32"),
        ({"shortcut": "-dash"}, "shortcut: use a-z"),
        ({"title": "  "}, "title: must not be blank"),
        ({"text": "x" * 2001}, "text:"),
        ({"colour": "red"}, "colour:"),
    ],
)
async def test_invalid_replies_are_422(
    client: httpx.AsyncClient, team: Team, body: dict[str, Any], says: str
) -> None:
    fields = {"shortcut": "ok", "title": "T", "text": "x"} | body
    response = await client.post(REPLIES, json=fields, headers=team.agent.headers)
    assert response.status_code == 422
    assert says in response.json()["detail"], response.json()


async def test_a_patch_must_change_something(client: httpx.AsyncClient, team: Team) -> None:
    reply = (await create(client, team.agent.headers, "hi")).json()
    url = f"{REPLIES}/{reply['id']}"
    for body in ({}, {"title": None}):
        response = await client.patch(url, json=body, headers=team.agent.headers)
        assert response.status_code == 422
