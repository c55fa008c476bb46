"""Working a conversation: status (snooze and its wake-up), assignment, labels, private
notes, read / unread; roles; other tenants' ids; events only after commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import unit_of_work
from api.inbox.schemas import ConversationUpdate
from api.inbox.snooze import wake_snoozed
from api.inbox.workflow import ConversationWorkflow
from api.models import (
    Conversation,
    ConversationStatus,
    Message,
    MessageDirection,
    MessageStatus,
    Role,
)
from api.tenancy import TenantScope
from tests.api.inbox.inbox_data import INBOX, Team, ago, create_team, create_thread
from tests.api.inbox.test_router import customer_writes
from tests.helpers import EventRecorder
from worker import tasks


@pytest.fixture
async def team(client: httpx.AsyncClient, session: AsyncSession) -> Team:
    return await create_team(client, session)


async def patch(
    client: httpx.AsyncClient, conversation: Conversation, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.patch(f"{INBOX}/{conversation.id}", json=body, headers=headers)


async def stored(session: AsyncSession, conversation: Conversation) -> Conversation:
    result = await session.execute(
        select(Conversation)
        .where(Conversation.id == conversation.id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


def updated(events: EventRecorder) -> list[dict[str, Any]]:
    return [p["conversation"] for _, name, p in events.published if name == "conversation:updated"]


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


# --- status ----------------------------------------------------------------------------


async def test_status_moves_through_the_workflow_and_is_announced(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    conversation = await create_thread(session, team.messenger)
    for status in ("pending", "resolved", "open"):
        response = await patch(client, conversation, team.agent.headers, status=status)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
        assert (await stored(session, conversation)).status.value == status
    assert [c["status"] for c in updated(events)] == ["pending", "resolved", "open"]
    assert {c["id"] for c in updated(events)} == {str(conversation.id)}


async def test_setting_the_same_status_again_announces_nothing(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    conversation = await create_thread(session, team.messenger)
    response = await patch(client, conversation, team.owner.headers, status="open")
    assert response.status_code == 200
    assert events.names() == []


async def test_snooze_needs_a_future_time_and_leaving_it_forgets_the_time(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger)
    until = in_an_hour()
    response = await patch(
        client, conversation, team.agent.headers, status="snoozed", snoozed_until=until
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "snoozed"
    assert datetime.fromisoformat(response.json()["snoozed_until"]) == datetime.fromisoformat(until)

    reopened = await patch(client, conversation, team.agent.headers, status="open")
    assert reopened.json()["snoozed_until"] is None
    assert (await stored(session, conversation)).snoozed_until is None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"status": "snoozed"}, "snoozed_until: required"),
        (
            {"status": "snoozed", "snoozed_until": "2020-01-01T00:00:00Z"},
            "snoozed_until: must be in the future",
        ),
        (
            {"status": "snoozed", "snoozed_until": "2999-01-01T00:00:00Z"},
            "snoozed_until: at most 365 days",
        ),
        ({"status": "snoozed", "snoozed_until": "2031-01-01T10:00:00"}, "timezone"),
        (
            {"status": "open", "snoozed_until": "2031-01-01T10:00:00Z"},
            'only goes with status "snoozed"',
        ),
        ({"snoozed_until": "2031-01-01T10:00:00Z"}, 'only goes with status "snoozed"'),
        ({"status": "closed"}, "status"),
        ({"status": None}, "status: must be"),
        ({}, "nothing to change"),
        ({"assignee": str(uuid.uuid4())}, "assignee"),
    ],
)
async def test_invalid_changes_are_422_with_a_readable_reason(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    events: EventRecorder,
    body: dict[str, Any],
    says: str,
) -> None:
    conversation = await create_thread(session, team.messenger)
    response = await patch(client, conversation, team.agent.headers, **body)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert says in response.json()["detail"], response.json()
    assert (await stored(session, conversation)).status is ConversationStatus.OPEN
    assert events.names() == []


async def test_snoozed_conversations_wake_up_when_their_time_has_come(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    due = await create_thread(session, team.messenger)
    later = await create_thread(session, team.whatsapp)
    other = await create_team(client, session, "Globex")
    others_due = await create_thread(session, other.messenger)
    for conversation, headers in (
        (due, team.agent.headers),
        (later, team.agent.headers),
        (others_due, other.owner.headers),
    ):
        response = await patch(
            client, conversation, headers, status="snoozed", snoozed_until=in_an_hour()
        )
        assert response.status_code == 200
    # Time passes for two of them (by the database's clock, which the wake-up reads).
    await session.execute(
        update(Conversation)
        .where(Conversation.id.in_([due.id, others_due.id]))
        .values(snoozed_until=ago(minutes=1))
    )
    await session.commit()
    events.published.clear()

    assert await tasks.wake_snoozed_conversations({}) == 2

    assert (await stored(session, due)).status is ConversationStatus.OPEN
    assert (await stored(session, due)).snoozed_until is None
    assert (await stored(session, others_due)).status is ConversationStatus.OPEN
    assert (await stored(session, later)).status is ConversationStatus.SNOOZED
    woken = {
        (tenant, p["conversation"]["id"], p["conversation"]["status"])
        for tenant, _, p in events.published
    }
    assert woken == {
        (team.tenant_id, str(due.id), "open"),
        (other.tenant_id, str(others_due.id), "open"),
    }
    assert await tasks.wake_snoozed_conversations({}) == 0  # nothing twice


async def test_the_wake_up_goes_page_by_page(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    for _ in range(5):
        await create_thread(
            session,
            team.messenger,
            status=ConversationStatus.SNOOZED,
            snoozed_until=ago(minutes=5),
            commit=False,
        )
    await session.commit()
    assert await wake_snoozed(page_size=2) == 5
    statuses = (
        await session.execute(select(Conversation.status).execution_options(populate_existing=True))
    ).scalars()
    assert set(statuses) == {ConversationStatus.OPEN}


async def test_a_customer_message_reopens_a_snoozed_conversation(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await customer_writes(
        client, session, team.messenger.external_id, psid="snoozer"
    )
    response = await patch(
        client, conversation, team.owner.headers, status="snoozed", snoozed_until=in_an_hour()
    )
    assert response.json()["status"] == "snoozed"
    await customer_writes(
        client, session, team.messenger.external_id, psid="snoozer", text="still there?"
    )
    shown = (await client.get(f"{INBOX}/{conversation.id}", headers=team.owner.headers)).json()
    assert (shown["status"], shown["snoozed_until"]) == ("open", None)


# --- assignment ------------------------------------------------------------------------


async def test_assign_to_a_teammate_and_unassign_with_null(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    conversation = await create_thread(session, team.messenger)
    response = await patch(
        client, conversation, team.owner.headers, assignee_id=str(team.agent.user_id)
    )
    assert response.status_code == 200
    assert response.json()["assignee_id"] == str(team.agent.user_id)
    assert (await stored(session, conversation)).assignee_id == team.agent.user_id

    response = await patch(client, conversation, team.agent.headers, assignee_id=None)
    assert response.status_code == 200 and response.json()["assignee_id"] is None
    assert (await stored(session, conversation)).assignee_id is None
    assert [c["assignee_id"] for c in updated(events)] == [str(team.agent.user_id), None]


async def test_leaving_assignee_out_keeps_it(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger, assignee_id=team.agent.user_id)
    response = await patch(client, conversation, team.owner.headers, status="pending")
    assert response.json()["assignee_id"] == str(team.agent.user_id)


async def test_assigning_someone_outside_the_team_is_422_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    other = await create_team(client, session, "Globex")
    conversation = await create_thread(session, team.messenger)
    for assignee in (other.owner.user_id, other.agent.user_id, uuid.uuid4()):
        # The status change in the same request is rolled back with it.
        response = await patch(
            client, conversation, team.owner.headers, status="resolved", assignee_id=str(assignee)
        )
        assert response.status_code == 422
        assert response.json() == {
            "error": "invalid_assignee",
            "detail": "assignee_id: there is no teammate with this id.",
        }
    found = await stored(session, conversation)
    assert (found.status, found.assignee_id) == (ConversationStatus.OPEN, None)
    assert events.names() == []


async def test_a_viewer_cannot_be_assigned(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger)
    response = await patch(
        client, conversation, team.owner.headers, assignee_id=str(team.viewer.user_id)
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_assignee"
    assert "viewer" in response.json()["detail"]


# --- labels ----------------------------------------------------------------------------


async def test_labels_are_normalised_deduplicated_and_replaced(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger, labels=("old",))
    response = await patch(
        client,
        conversation,
        team.agent.headers,
        labels=["  VIP  Customer ", "vip-customer", "Billing", "état_2"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["labels"] == ["vip-customer", "billing", "état_2"]
    assert (await stored(session, conversation)).labels == ["vip-customer", "billing", "état_2"]
    cleared = await patch(client, conversation, team.agent.headers, labels=[])
    assert cleared.json()["labels"] == []


@pytest.mark.parametrize(
    ("labels", "says"),
    [
        ([f"l{i}" for i in range(21)], "at most 20 labels"),
        (["x" * 33], "at most 32 characters"),
        (["   "], "must not be empty"),
        (["a/b"], "letters, digits"),
        (None, "labels: give []"),
    ],
)
async def test_bad_labels_are_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    labels: list[str] | None,
    says: str,
) -> None:
    conversation = await create_thread(session, team.messenger)
    response = await patch(client, conversation, team.agent.headers, labels=labels)
    assert response.status_code == 422
    assert says in response.json()["detail"]


# --- notes -----------------------------------------------------------------------------


async def test_a_note_joins_the_thread_for_the_team_and_is_never_sent(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    events: EventRecorder,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    send = graph.post(url__regex=r".*/messages$").respond(200, json={"message_id": "m_x"})
    conversation = await customer_writes(client, session, team.messenger.external_id, psid="noted")
    before = await stored(session, conversation)
    events.published.clear()

    response = await client.post(
        f"{INBOX}/{conversation.id}/notes",
        json={"text": "Refund approved by Sam"},
        headers=team.agent.headers,
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert (note["direction"], note["type"], note["status"]) == ("note", "note", "received")
    assert note["external_id"] is None and note["author_user_id"] == str(team.agent.user_id)
    assert events.names() == ["message:new"]
    assert events.published[0][2]["message"]["id"] == note["id"]

    thread = (
        await client.get(f"{INBOX}/{conversation.id}/messages", headers=team.viewer.headers)
    ).json()
    assert [m["direction"] for m in thread["items"]] == ["inbound", "note"]
    # A note is not activity: the list's order, preview and unread count stay.
    after = await stored(session, conversation)
    assert (after.last_message_at, after.last_message_preview, after.unread_count) == (
        before.last_message_at,
        before.last_message_preview,
        before.unread_count,
    )
    # Nothing is queued for it, and a send job naming it sends nothing.
    assert not any(note["id"] in k.decode() for k in await redis.zrange("parley:queue", 0, -1))
    assert await tasks.send_message({"job_try": 1}, note["id"]) != "sent"
    assert not send.called
    kept = await session.get(Message, uuid.UUID(note["id"]), populate_existing=True)
    assert kept is not None and (kept.status, kept.external_id) == (MessageStatus.RECEIVED, None)


async def test_the_database_refuses_to_queue_or_send_a_note(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger)
    response = await client.post(
        f"{INBOX}/{conversation.id}/notes", json={"text": "internal"}, headers=team.owner.headers
    )
    note_id = uuid.UUID(response.json()["id"])
    for values in ({"status": MessageStatus.QUEUED}, {"external_id": "m_leak"}):
        with pytest.raises(IntegrityError, match="ck_messages_note_never_sent"):
            async with session.begin_nested():
                await session.execute(update(Message).where(Message.id == note_id).values(**values))
    stored_note = await session.get(Message, note_id)
    assert stored_note is not None and stored_note.direction is MessageDirection.NOTE


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
async def test_empty_or_huge_notes_are_422(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, text: str
) -> None:
    conversation = await create_thread(session, team.messenger)
    response = await client.post(
        f"{INBOX}/{conversation.id}/notes", json={"text": text}, headers=team.agent.headers
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("text:")


# --- read / unread ---------------------------------------------------------------------


async def test_unread_flags_a_read_conversation_and_read_clears_it(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    conversation = await create_thread(session, team.messenger, unread_count=0)
    url = f"{INBOX}/{conversation.id}"
    unread = await client.post(f"{url}/unread", headers=team.agent.headers)
    assert unread.status_code == 200 and unread.json()["unread_count"] == 1
    again = await client.post(f"{url}/unread", headers=team.agent.headers)
    assert again.json()["unread_count"] == 1
    read = await client.post(f"{url}/read", headers=team.agent.headers)
    assert read.json()["unread_count"] == 0
    assert (await stored(session, conversation)).unread_count == 0
    assert [c["unread_count"] for c in updated(events)] == [1, 0]  # the no-op is silent


async def test_unread_keeps_a_higher_count(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger, unread_count=4)
    response = await client.post(f"{INBOX}/{conversation.id}/unread", headers=team.agent.headers)
    assert response.json()["unread_count"] == 4


# --- roles and tenants -----------------------------------------------------------------


async def test_viewers_read_but_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger, unread_count=2)
    url, headers = f"{INBOX}/{conversation.id}", team.viewer.headers
    assert (await client.get(INBOX, headers=headers)).status_code == 200
    assert (await client.get(f"{INBOX}/counts", headers=headers)).status_code == 200
    assert (await client.get(url, headers=headers)).status_code == 200
    refused = [
        await client.patch(url, json={"status": "resolved"}, headers=headers),
        await client.post(f"{url}/notes", json={"text": "hi"}, headers=headers),
        await client.post(f"{url}/read", headers=headers),
        await client.post(f"{url}/unread", headers=headers),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    assert all(r.json()["error"] == "forbidden" for r in refused)
    found = await stored(session, conversation)
    assert (found.status, found.unread_count) == (ConversationStatus.OPEN, 2)


async def test_another_tenants_conversation_is_404_for_every_change(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    intruder = await create_team(client, session, "Intruder Inc")
    conversation = await create_thread(session, team.messenger, unread_count=1)
    for target in (conversation.id, uuid.uuid4()):
        url, headers = f"{INBOX}/{target}", intruder.owner.headers
        responses = [
            await client.patch(url, json={"status": "resolved"}, headers=headers),
            await client.patch(
                url, json={"assignee_id": str(intruder.owner.user_id)}, headers=headers
            ),
            await client.post(f"{url}/notes", json={"text": "hi"}, headers=headers),
            await client.post(f"{url}/read", headers=headers),
            await client.post(f"{url}/unread", headers=headers),
        ]
        assert [r.status_code for r in responses] == [404] * 5
        assert all(
            r.json() == {"error": "not_found", "detail": "Conversation not found."}
            for r in responses
        )
    found = await stored(session, conversation)
    assert (found.status, found.assignee_id, found.unread_count) == (
        ConversationStatus.OPEN,
        None,
        1,
    )
    assert events.names() == []


# --- events follow commits -------------------------------------------------------------


async def test_changes_are_announced_only_once_committed(
    session: AsyncSession, team: Team, events: EventRecorder
) -> None:
    conversation = await create_thread(session, team.messenger)
    scope = TenantScope(tenant_id=team.tenant_id, user_id=team.agent.user_id, role=Role.AGENT)
    change = ConversationUpdate(status=ConversationStatus.RESOLVED)

    with pytest.raises(RuntimeError):
        async with unit_of_work() as work:
            await ConversationWorkflow(work, scope).change(conversation.id, change)
            await ConversationWorkflow(work, scope).add_note(conversation.id, "lost")
            raise RuntimeError("the request failed after the change")
    assert events.published == []
    assert (await stored(session, conversation)).status is ConversationStatus.OPEN

    async with unit_of_work() as work:
        await ConversationWorkflow(work, scope).change(conversation.id, change)
        await ConversationWorkflow(work, scope).add_note(conversation.id, "kept")
        assert events.published == []  # not before the commit
    assert events.names() == ["conversation:updated", "message:new"]
    assert updated(events)[0]["status"] == "resolved"
