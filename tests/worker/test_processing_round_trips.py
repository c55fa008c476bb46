"""The webhook worker's hot path in round trips (api.webhooks.processing, api.inbox.ingest):
what each common delivery costs in statements, and the shortcuts behind those numbers —
the ingest label as a hint only, one statement for a message and its conversation's bump,
a status event's payload read without an attachments query when there are none."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import respx
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_engine
from api.models import (
    Attachment,
    Conversation,
    Message,
    WebhookEvent,
    WebhookEventRoute,
)
from tests.event_payloads import (
    create_whatsapp_channel,
    deliver,
    deliver_and_process,
    new_wamid,
    only_conversation,
    process,
    published,
    send_reply,
    stored_message,
    wa_contact,
    wa_message,
    wa_messages,
    wa_status,
)
from tests.helpers import (
    EventRecorder,
    create_account,
    create_messenger_channel,
    messenger_text_payload,
)

WA_ID = "447700900777"


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements the code under test sends (savepoints of the test's own
    transaction left out)."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(" ".join(statement.split()[:4]))

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_returning_customers_message_costs_four_statements(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    first = await deliver(client, session, messenger_text_payload(channel.external_id, "555", "a"))
    second = await deliver(client, session, messenger_text_payload(channel.external_id, "555", "b"))
    assert await process(first) == "processed"

    with statements() as sent:
        assert await process(second) == "processed"

    # lock (+ the labelled channels), contact (+ conversation id), message + bump, outcome
    # (+ routes); nothing else (the outgoing-webhook subscriptions are cached).
    assert len(sent) == 4, sent
    conversation = await only_conversation(session)
    assert conversation.unread_count == 2
    assert conversation.last_message_preview == "b"
    routes = (await session.execute(select(WebhookEventRoute))).scalars().all()
    assert {(r.event_id, r.channel_id, r.tenant_id) for r in routes} == {
        (event_id, channel.id, account.tenant_id) for event_id in (first, second)
    }
    assert events.names() == ["message:new", "conversation:updated"] * 2


async def test_a_new_customers_first_message_costs_six_statements(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    warm = await deliver(client, session, messenger_text_payload(channel.external_id, "1", "a"))
    event_id = await deliver(client, session, messenger_text_payload(channel.external_id, "2", "b"))
    assert await process(warm) == "processed"

    with statements() as sent:
        assert await process(event_id) == "processed"

    # lock, contact lookup (none), contact insert, conversation insert, message + bump,
    # outcome + routes
    assert len(sent) == 6, sent
    rows = await session.execute(select(Conversation.unread_count).order_by(Conversation.id))
    assert sorted(rows.scalars()) == [1, 1]


async def test_the_ingest_label_is_only_a_hint_for_routing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The lock brings the channels named by the ids stored at ingest; processing parses
    the body again and routes by what it says, whatever the label claims."""
    ours = await create_account(client)
    theirs = await create_account(client, "Neighbour")
    page = await create_messenger_channel(session, ours.tenant_id)
    other = await create_messenger_channel(session, theirs.tenant_id)
    mislabelled = await deliver(client, session, messenger_text_payload(page.external_id, "7", "x"))
    unlabelled = await deliver(client, session, messenger_text_payload(page.external_id, "8", "y"))
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == mislabelled)
        .values(channel_keys=[other.external_id])
    )
    await session.execute(
        update(WebhookEvent).where(WebhookEvent.id == unlabelled).values(channel_keys=None)
    )
    await session.commit()

    for event_id in (mislabelled, unlabelled):
        assert await process(event_id) == "processed"

    routes = (await session.execute(select(WebhookEventRoute))).scalars().all()
    assert {(r.event_id, r.tenant_id) for r in routes} == {
        (mislabelled, ours.tenant_id),
        (unlabelled, ours.tenant_id),
    }
    messages = (await session.execute(select(Message))).scalars().all()
    assert {m.tenant_id for m in messages} == {ours.tenant_id}
    assert len(messages) == 2


async def test_a_duplicate_in_a_batch_leaves_the_conversation_alone(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    """The conversation is bumped by the statement that inserts the message, and only when
    it did insert it."""
    account = await create_account(client)
    channel = await create_whatsapp_channel(session, account.tenant_id)
    known = wa_message(WA_ID, "text", {"body": "first"}, wamid=new_wamid())
    await deliver_and_process(
        client, session, wa_messages(channel, known, contacts=[wa_contact(WA_ID)])
    )
    newer = wa_message(WA_ID, "text", {"body": "second"}, wamid=new_wamid())
    stored = await deliver_and_process(
        client, session, wa_messages(channel, known, newer, contacts=[wa_contact(WA_ID)])
    )

    assert stored.result == "1 x duplicate message, 1 x message"
    conversation = await only_conversation(session)
    assert conversation.unread_count == 2
    assert conversation.last_message_preview == "second"
    assert published(events, "message:new")[-1]["message"]["text"] == "second"


async def test_status_events_carry_attachments_and_skip_the_query_without_them(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    events: EventRecorder,
) -> None:
    account = await create_account(client)
    channel = await create_whatsapp_channel(session, account.tenant_id)
    await deliver_and_process(
        client,
        session,
        wa_messages(
            channel, wa_message(WA_ID, "text", {"body": "Hi"}), contacts=[wa_contact(WA_ID)]
        ),
    )
    conversation = await only_conversation(session)
    plain, with_file = new_wamid(), new_wamid()
    plain_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=plain, recipient=WA_ID
    )
    file_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=with_file, recipient=WA_ID
    )
    message = await stored_message(session, file_id)
    session.add(
        Attachment(
            id=uuid.uuid4(),
            tenant_id=message.tenant_id,
            message_id=message.id,
            kind="image",
            mime_type="image/png",
            filename="receipt.png",
        )
    )
    await session.commit()

    status_of = {wamid: wa_status(wamid, "delivered", WA_ID) for wamid in (plain, with_file)}
    plain_event = await deliver(client, session, wa_messages(channel, statuses=[status_of[plain]]))
    with statements() as sent:
        assert await process(plain_event) == "processed"
    assert not [s for s in sent if "attachments" in s and s.startswith("SELECT attachments")]
    await deliver_and_process(
        client, session, wa_messages(channel, statuses=[status_of[with_file]])
    )

    updated = {p["message"]["id"]: p["message"] for p in published(events, "message:updated")}
    assert updated[plain_id]["status"] == "delivered"
    assert updated[plain_id]["attachments"] == []
    assert updated[file_id]["status"] == "delivered"
    assert [a["filename"] for a in updated[file_id]["attachments"]] == ["receipt.png"]
    assert (await stored_message(session, plain_id)).status.value == "delivered"
