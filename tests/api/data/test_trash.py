"""Soft delete: a deleted conversation or contact vanishes from everything an agent sees,
waits in the trash (newest deletion first) until its purge date, and comes back whole."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.inbox.snooze import wake_page
from api.models import (
    Contact,
    Conversation,
    ConversationStatus,
    MessageDirection,
    MessageStatus,
    Role,
)
from api.tenancy import TenantScope
from realtime.rooms import conversation_in_tenant
from tests.api.data.data_helpers import (
    audit_actions,
    conversation_url,
    first_message,
    trash,
)
from tests.api.inbox.inbox_data import (
    INBOX,
    Team,
    Teammate,
    ago,
    create_team,
    create_teammate,
    create_thread,
    ids,
    listed,
)
from tests.api.inbox.sending_data import ORDER_PARAMETERS, add_template, whatsapp_setup
from tests.event_payloads import deliver_and_process
from tests.helpers import EventRecorder, create_account, messenger_text_payload


@pytest.fixture
async def team(client: httpx.AsyncClient, session: AsyncSession) -> Team:
    return await create_team(client, session)


@pytest.fixture
async def admin(session: AsyncSession, team: Team) -> Teammate:
    return await create_teammate(session, team.tenant_id, Role.ADMIN)


async def delete(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: object
) -> httpx.Response:
    return await client.delete(conversation_url(str(conversation_id)), headers=headers)


async def restore(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: object
) -> httpx.Response:
    return await client.post(f"{conversation_url(str(conversation_id))}/restore", headers=headers)


async def test_a_deleted_conversation_leaves_the_lists_and_waits_in_the_trash(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    kept = await create_thread(session, team.messenger, texts=("hello",), at=ago(minutes=2))
    doomed = await create_thread(
        session, team.messenger, texts=("refund please",), labels=("vip",), at=ago(minutes=1)
    )
    headers = admin.headers

    response = await delete(client, headers, doomed.id)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(doomed.id)
    deleted_at = body["deleted_at"]
    purge_at = body["purge_at"]
    gap = datetime.fromisoformat(purge_at) - datetime.fromisoformat(deleted_at)
    assert gap == timedelta(days=30)
    assert ids(await listed(client, headers)) == [kept.id]
    assert [item["id"] for item in await trash(client, headers)] == [str(doomed.id)]
    assert (await trash(client, headers))[0]["purge_at"] == purge_at


async def test_a_deleted_conversation_is_404_everywhere_and_vanishes_from_counts_search_labels(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    doomed = await create_thread(
        session, team.messenger, texts=("zebracorn refund",), labels=("vip",), unread_count=2
    )
    message = await first_message(session, doomed)
    # A failed reply, which could otherwise be retried.
    message.direction, message.status = MessageDirection.OUTBOUND, MessageStatus.FAILED
    await session.commit()
    owner = team.owner.headers
    before = (await client.get(f"{INBOX}/counts", headers=owner)).json()
    assert before["all"] == 1 and before["unassigned"] == 1
    assert ids(await listed(client, owner, q="zebracorn")) == [doomed.id]

    assert (await delete(client, admin.headers, doomed.id)).status_code == 200

    counts = (await client.get(f"{INBOX}/counts", headers=owner)).json()
    assert counts["all"] == 0 and counts["unassigned"] == 0 and counts["channels"] == []
    assert await listed(client, owner, q="zebracorn") == []
    assert await listed(client, owner, unread="true") == []
    assert (await client.get("/api/inbox/labels", headers=owner)).json()["items"] == []
    url = conversation_url(doomed.id)
    agent = team.agent.headers
    refused = {
        "get": await client.get(url, headers=owner),
        "messages": await client.get(f"{url}/messages", headers=owner),
        "send": await client.post(f"{url}/messages", json={"text": "hi"}, headers=agent),
        "change": await client.patch(url, json={"status": "resolved"}, headers=agent),
        "note": await client.post(f"{url}/notes", json={"text": "psst"}, headers=agent),
        "read": await client.post(f"{url}/read", headers=agent),
        "unread": await client.post(f"{url}/unread", headers=agent),
        "delete again": await delete(client, admin.headers, doomed.id),
        "retry": await client.post(f"/api/inbox/messages/{message.id}/retry", headers=agent),
        "react": await client.post(
            f"/api/inbox/messages/{message.id}/reactions", json={"emoji": "👍"}, headers=agent
        ),
    }
    for what, response in refused.items():
        assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
        assert response.json()["error"] == "not_found", what
    # The socket room of a deleted conversation cannot be joined either.
    scope = TenantScope(tenant_id=team.tenant_id, user_id=team.agent.user_id, role=Role.AGENT)
    connection = type("Connection", (), {"identity": scope})()
    assert await conversation_in_tenant(connection, doomed.id) is False


async def test_restoring_brings_it_back_whole(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    conversation = await create_thread(session, team.whatsapp, texts=("one", "two"))
    assert (await delete(client, admin.headers, conversation.id)).status_code == 200

    response = await restore(client, admin.headers, conversation.id)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(conversation.id)
    assert ids(await listed(client, team.owner.headers)) == [conversation.id]
    assert await trash(client, admin.headers) == []
    messages = await client.get(
        f"{conversation_url(conversation.id)}/messages", headers=admin.headers
    )
    assert [m["text"] for m in messages.json()["items"]] == ["one", "two"]
    # A conversation not in the trash cannot be restored.
    again = await restore(client, admin.headers, conversation.id)
    assert again.status_code == 404


async def test_the_trash_lists_newest_deletion_first_in_pages(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    threads = [await create_thread(session, team.messenger) for _ in range(3)]
    for conversation in threads:
        assert (await delete(client, admin.headers, conversation.id)).status_code == 200
        # Each request is its own transaction in production; here they share one clock.
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(deleted_at=ago(minutes=10 - threads.index(conversation)))
        )
        await session.commit()

    first = await client.get("/api/inbox/trash", params={"limit": 2}, headers=admin.headers)
    body = first.json()
    second = await trash(client, admin.headers, limit=2, cursor=body["next_cursor"])

    newest_first = [str(c.id) for c in reversed(threads)]
    assert [i["id"] for i in body["items"]] + [i["id"] for i in second] == newest_first


async def test_only_admins_and_owners_delete_restore_and_see_the_trash(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation = await create_thread(session, team.messenger)
    for member in (team.agent, team.viewer):
        for response in (
            await delete(client, member.headers, conversation.id),
            await restore(client, member.headers, conversation.id),
            await client.get("/api/inbox/trash", headers=member.headers),
            await client.delete(f"/api/contacts/{conversation.contact_id}", headers=member.headers),
        ):
            assert response.status_code == 403, response.text
            assert response.json()["permission"] == "conversations:delete"
    assert ids(await listed(client, team.owner.headers)) == [conversation.id]
    assert (await delete(client, team.owner.headers, conversation.id)).status_code == 200


async def test_another_tenants_conversation_or_contact_is_404(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    theirs = await create_thread(session, team.messenger)
    intruder = await create_account(client, "Intruder")
    headers = intruder.headers
    assert (await delete(client, headers, theirs.id)).status_code == 404
    assert (
        await client.delete(f"/api/contacts/{theirs.contact_id}", headers=headers)
    ).status_code == 404
    # Even once in the owner's trash, it is not the intruder's to see or restore.
    assert (await delete(client, team.owner.headers, theirs.id)).status_code == 200
    assert (await restore(client, headers, theirs.id)).status_code == 404
    restore_contact = await client.post(
        f"/api/contacts/{theirs.contact_id}/restore", headers=headers
    )
    assert restore_contact.status_code == 404
    assert await trash(client, headers) == []
    assert (await delete(client, headers, uuid.uuid4())).status_code == 404


async def test_deleting_a_contact_trashes_its_conversations_and_restoring_brings_both_back(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    conversation = await create_thread(session, team.messenger, texts=("hi",))
    other = await create_thread(session, team.messenger)

    response = await client.delete(
        f"/api/contacts/{conversation.contact_id}", headers=admin.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["conversation_ids"] == [str(conversation.id)]
    assert body["deleted_at"] is not None and body["purge_at"] is not None
    assert ids(await listed(client, admin.headers)) == [other.id]
    [trashed] = await trash(client, admin.headers)
    assert trashed["id"] == str(conversation.id) and trashed["deleted_at"] == body["deleted_at"]
    again = await client.delete(f"/api/contacts/{conversation.contact_id}", headers=admin.headers)
    assert again.status_code == 404

    restored = await client.post(
        f"/api/contacts/{conversation.contact_id}/restore", headers=admin.headers
    )

    assert restored.status_code == 200, restored.text
    assert restored.json()["conversation_ids"] == [str(conversation.id)]
    assert set(ids(await listed(client, admin.headers))) == {conversation.id, other.id}
    assert await trash(client, admin.headers) == []


async def test_restoring_the_conversation_of_a_deleted_contact_restores_the_contact(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    conversation = await create_thread(session, team.messenger)
    await client.delete(f"/api/contacts/{conversation.contact_id}", headers=admin.headers)

    assert (await restore(client, admin.headers, conversation.id)).status_code == 200

    contact = await session.get(Contact, conversation.contact_id, populate_existing=True)
    assert contact is not None and contact.deleted_at is None
    assert ids(await listed(client, admin.headers)) == [conversation.id]


async def test_deleting_and_restoring_is_announced_and_audited(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    admin: Teammate,
    events: EventRecorder,
) -> None:
    conversation = await create_thread(session, team.messenger)

    await delete(client, admin.headers, conversation.id)
    await restore(client, admin.headers, conversation.id)
    await client.delete(f"/api/contacts/{conversation.contact_id}", headers=admin.headers)
    await client.post(f"/api/contacts/{conversation.contact_id}/restore", headers=admin.headers)

    published = [(name, payload) for _, name, payload in events.published]
    assert published[0] == ("conversation:deleted", {"conversation_id": str(conversation.id)})
    assert published[1][0] == "conversation:updated"
    assert published[1][1]["conversation"]["id"] == str(conversation.id)
    assert [name for name, _ in published[2:]] == ["conversation:deleted", "conversation:updated"]
    assert all(tenant == team.tenant_id for tenant, _, _ in events.published)
    actions = await audit_actions(session, team.tenant_id)
    assert sorted(a for a in actions if a[0].startswith(("conversation.", "contact."))) == sorted(
        [
            ("conversation.deleted", str(conversation.id)),
            ("conversation.restored", str(conversation.id)),
            ("contact.deleted", str(conversation.contact_id)),
            ("contact.restored", str(conversation.contact_id)),
        ]
    )


async def test_a_customer_writing_again_restores_their_deleted_conversation(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    page, psid = team.messenger.external_id, "2401999000111"
    await deliver_and_process(client, session, messenger_text_payload(page, psid, "first"))
    [item] = await listed(client, admin.headers)
    contact_id = item["contact"]["id"]
    await client.delete(f"/api/contacts/{contact_id}", headers=admin.headers)
    assert await listed(client, admin.headers) == []

    await deliver_and_process(
        client, session, messenger_text_payload(page, psid, "it's me again", ts=1_790_000_100_000)
    )

    [back] = await listed(client, admin.headers)
    assert back["id"] == item["id"] and back["last_message_preview"] == "it's me again"
    messages = await client.get(f"{conversation_url(back['id'])}/messages", headers=admin.headers)
    assert [m["text"] for m in messages.json()["items"]] == ["first", "it's me again"]
    assert await trash(client, admin.headers) == []
    restored = [a for a in await audit_actions(session, team.tenant_id) if "restored" in a[0]]
    assert sorted(restored) == sorted(
        [("contact.restored", contact_id), ("conversation.restored", item["id"])]
    )


async def test_a_snoozed_conversation_in_the_trash_is_not_woken(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, admin: Teammate
) -> None:
    conversation = await create_thread(
        session, team.messenger, status=ConversationStatus.SNOOZED, snoozed_until=ago(minutes=1)
    )
    await delete(client, admin.headers, conversation.id)

    assert await wake_page(session, 10) == 0

    stored = await session.scalar(
        select(Conversation.status).where(Conversation.id == conversation.id)
    )
    assert stored is ConversationStatus.SNOOZED


async def test_writing_first_to_a_number_in_the_trash_brings_its_conversation_back(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel, other = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    body = {
        "channel_id": str(channel.id),
        "phone": "+15550100042",
        "template": {"template_id": str(template.id), **ORDER_PARAMETERS},
    }
    started = (await client.post(INBOX, json=body, headers=account.headers)).json()
    contact_id = started["conversation"]["contact"]["id"]
    deleted = await client.delete(f"/api/contacts/{contact_id}", headers=account.headers)
    assert deleted.status_code == 200

    again = await client.post(INBOX, json=body, headers=account.headers)

    assert again.status_code == 202, again.text
    assert again.json()["conversation"]["id"] == started["conversation"]["id"]
    listed_ids = set(ids(await listed(client, account.headers)))
    assert listed_ids == {uuid.UUID(started["conversation"]["id"]), other.id}
    assert await trash(client, account.headers) == []
