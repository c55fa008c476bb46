"""Delivery statuses of our messages: they only move forward; a status that beats the
provider id is parked in `pending_statuses` and applied when the id is known (from the
send job or from the echo); repeats are harmless and only real changes are announced."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import respx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, Conversation, Message, MessageStatus, PendingStatus
from tests.event_payloads import (
    OUR_APP_ID,
    create_whatsapp_channel,
    customer_message,
    deliver,
    deliver_and_process,
    from_customer,
    new_mid,
    new_wamid,
    only_conversation,
    page_echo,
    page_payload,
    process,
    published,
    queue_reply,
    send_answer,
    send_reply,
    stored_message,
    thread,
    wa_contact,
    wa_error,
    wa_message,
    wa_messages,
    wa_pricing,
    wa_status,
)
from tests.helpers import Account, EventRecorder, create_account, create_messenger_channel
from worker import tasks

WA_ID = "447700900123"
PSID = "24012345678901234"


async def whatsapp_thread(
    client: httpx.AsyncClient, session: AsyncSession
) -> tuple[Account, Channel, Conversation]:
    """A WhatsApp number whose customer just wrote (the 24 h window is open)."""
    account = await create_account(client)
    channel = await create_whatsapp_channel(session, account.tenant_id)
    await deliver_and_process(
        client,
        session,
        wa_messages(
            channel, wa_message(WA_ID, "text", {"body": "Hi"}), contacts=[wa_contact(WA_ID)]
        ),
    )
    return account, channel, await only_conversation(session)


async def sent_whatsapp_reply(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> tuple[Account, Channel, Conversation, str, str]:
    """...and our reply went out as a fresh wamid. Returns (..., message id, wamid)."""
    account, channel, conversation = await whatsapp_thread(client, session)
    wamid = new_wamid()
    message_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=wamid, recipient=WA_ID
    )
    return account, channel, conversation, message_id, wamid


def seconds() -> int:
    return int(time.time())


async def statuses(
    client: httpx.AsyncClient, session: AsyncSession, channel: Channel, *items: dict[str, Any]
) -> str | None:
    """Deliver one `messages` change carrying these statuses; returns the event's result."""
    event = await deliver_and_process(client, session, wa_messages(channel, statuses=list(items)))
    return event.result


async def pending_rows(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(PendingStatus.external_id, PendingStatus.status).order_by(PendingStatus.at)
    )
    return [(external_id, status) for external_id, status in rows]


def updates_for(events: EventRecorder, message_id: str) -> list[str]:
    return [
        p["message"]["status"]
        for p in published(events, "message:updated")
        if p["message"]["id"] == message_id
    ]


# --- never backwards ----------------------------------------------------------------


async def test_read_then_delivered_stays_read(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    account, channel, conversation, message_id, wamid = await sent_whatsapp_reply(
        client, session, graph
    )
    ts = seconds()
    events.published.clear()

    assert await statuses(client, session, channel, wa_status(wamid, "read", WA_ID, ts=ts)) == (
        "1 x status read"
    )
    late = await statuses(client, session, channel, wa_status(wamid, "delivered", WA_ID, ts=ts - 1))

    assert late == "1 x status delivered (no change)"
    message = await stored_message(session, message_id)
    assert message.status is MessageStatus.READ
    assert updates_for(events, message_id) == ["read"]  # nothing for the late `delivered`
    ours = [m for m in await thread(client, account, conversation.id) if m["id"] == message_id]
    assert ours[0]["status"] == "read"


async def test_failed_after_delivered_is_ignored(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    _, channel, _, message_id, wamid = await sent_whatsapp_reply(client, session, graph)
    ts = seconds()
    await statuses(client, session, channel, wa_status(wamid, "delivered", WA_ID, ts=ts))
    events.published.clear()

    result = await statuses(
        client,
        session,
        channel,
        wa_status(
            wamid,
            "failed",
            WA_ID,
            ts=ts + 1,
            errors=[wa_error(131026, "Message undeliverable", "Receiver is incapable")],
        ),
    )

    assert result == "1 x status failed (no change)"
    message = await stored_message(session, message_id)
    assert message.status is MessageStatus.DELIVERED
    assert (message.error_code, message.error_reason) == (None, None)
    assert published(events, "message:updated") == []


async def test_failed_then_read_ends_read_without_the_error(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    account, channel, conversation, message_id, wamid = await sent_whatsapp_reply(
        client, session, graph
    )
    ts = seconds()
    failure = wa_status(
        wamid,
        "failed",
        WA_ID,
        ts=ts,
        errors=[wa_error(131000, "Something went wrong", "Internal error, try again")],
    )
    events.published.clear()

    await statuses(client, session, channel, failure)
    failed = await stored_message(session, message_id)
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, "131000")

    assert await statuses(client, session, channel, wa_status(wamid, "read", WA_ID, ts=ts + 5)) == (
        "1 x status read"
    )

    message = await stored_message(session, message_id)
    assert message.status is MessageStatus.READ
    assert (message.error_code, message.error_reason) == (None, None)
    assert updates_for(events, message_id) == ["failed", "read"]
    ours = [m for m in await thread(client, account, conversation.id) if m["id"] == message_id]
    assert (ours[0]["status"], ours[0]["error"]) == ("read", None)


async def test_a_status_never_touches_a_customers_message(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    channel = await create_whatsapp_channel(session, account.tenant_id)
    wamid = new_wamid()
    await deliver_and_process(
        client,
        session,
        wa_messages(
            channel,
            wa_message(WA_ID, "text", {"body": "Hi"}, wamid=wamid),
            contacts=[wa_contact(WA_ID)],
        ),
    )

    await statuses(client, session, channel, wa_status(wamid, "read", WA_ID))

    message = (await session.execute(select(Message))).scalar_one()
    assert message.status is MessageStatus.RECEIVED


# --- statuses before the id ---------------------------------------------------------


async def test_statuses_for_an_unknown_wamid_wait_for_the_send_job(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    account, channel, conversation = await whatsapp_thread(client, session)
    message_id = await queue_reply(client, account, conversation.id, "Your code is 1234")
    wamid = new_wamid()
    ts = seconds()
    pricing = wa_pricing("service")

    parked = await statuses(
        client,
        session,
        channel,
        wa_status(wamid, "delivered", WA_ID, ts=ts, pricing=pricing),
        wa_status(wamid, "read", WA_ID, ts=ts + 2),
    )

    assert parked == "1 x status delivered (no change), 1 x status read (no change)"
    assert await pending_rows(session) == [(wamid, "delivered"), (wamid, "read")]
    assert (await stored_message(session, message_id)).status is MessageStatus.QUEUED

    route = graph.post(f"/{channel.external_id}/messages").respond(
        200, json=send_answer(channel, wamid, WA_ID)
    )
    events.published.clear()
    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    body = json.loads(route.calls.last.request.content)
    assert body["biz_opaque_callback_data"] == message_id  # so Meta's statuses can name it
    message = await stored_message(session, message_id)
    assert (message.external_id, message.status) == (wamid, MessageStatus.READ)
    assert message.status_details["pricing"] == pricing
    assert await pending_rows(session) == []
    assert updates_for(events, message_id) == ["sending", "read"]
    ours = [m for m in await thread(client, account, conversation.id) if m["id"] == message_id]
    assert ours[0]["status"] == "read"


async def test_a_parked_failure_is_applied_with_its_reason(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, conversation = await whatsapp_thread(client, session)
    message_id = await queue_reply(client, account, conversation.id, "Hello")
    wamid = new_wamid()
    failure = wa_status(
        wamid,
        "failed",
        WA_ID,
        errors=[wa_error(131026, "Message undeliverable", "Receiver is incapable of receiving")],
    )

    async def failure_lands_while_sending(request: httpx.Request) -> httpx.Response:
        await statuses(client, session, channel, failure)
        return httpx.Response(200, json=send_answer(channel, wamid, WA_ID))

    graph.post(f"/{channel.external_id}/messages").mock(side_effect=failure_lands_while_sending)

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    message = await stored_message(session, message_id)
    assert (message.status, message.error_code) == (MessageStatus.FAILED, "131026")
    assert message.error_reason == "Receiver is incapable of receiving"
    assert await pending_rows(session) == []


async def test_statuses_before_the_mid_are_applied_when_the_echo_brings_it(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    page = channel.external_id
    await deliver_and_process(
        client, session, page_payload(page, customer_message(page, PSID, text="Hi"))
    )
    conversation = await only_conversation(session)
    message_id = await queue_reply(client, account, conversation.id, "We open at 9.")
    mid = new_mid()
    seen: dict[str, Any] = {}

    async def meta_reports_before_answering(request: httpx.Request) -> httpx.Response:
        # Meta's delivery receipt, then the echo, both before the Send API answers.
        delivery = from_customer(page, PSID, "delivery", {"mids": [mid], "watermark": 1})
        await deliver_and_process(client, session, page_payload(page, delivery))
        seen["parked"] = await pending_rows(session)
        sent = json.loads(request.content)["message"]
        echo = page_echo(
            page, PSID, mid=mid, text=sent["text"], app_id=OUR_APP_ID, metadata=sent["metadata"]
        )
        seen["echo"] = (await deliver_and_process(client, session, page_payload(page, echo))).result
        seen["after_echo"] = (await stored_message(session, message_id)).status
        return httpx.Response(200, json=send_answer(channel, mid, PSID))

    graph.post(f"/{page}/messages").mock(side_effect=meta_reports_before_answering)
    events.published.clear()

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    assert seen == {
        "parked": [(mid, "delivered")],
        "echo": "1 x echo matched",
        "after_echo": MessageStatus.DELIVERED,
    }
    message = await stored_message(session, message_id)
    assert (message.external_id, message.status) == (mid, MessageStatus.DELIVERED)
    assert await pending_rows(session) == []
    statuses_seen = updates_for(events, message_id)
    assert statuses_seen[0] == "sending" and "delivered" in statuses_seen
    assert "sent" not in statuses_seen[statuses_seen.index("delivered") :]  # never backwards


async def test_a_parked_status_is_harmless_for_a_message_that_never_comes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, channel, _ = await whatsapp_thread(client, session)
    ghost = new_wamid()
    payload = wa_messages(channel, statuses=[wa_status(ghost, "delivered", WA_ID)])
    for entry_time in (1, 2):  # two separate deliveries (different bodies) of the same status
        rebatched = {**payload, "entry": [{**payload["entry"][0], "time": entry_time}]}
        await deliver_and_process(client, session, rebatched)

    assert await pending_rows(session) == [(ghost, "delivered")]
    assert int((await session.execute(select(func.count()).select_from(Message))).scalar_one()) == 1


# --- repeats ------------------------------------------------------------------------


async def test_duplicate_status_deliveries_are_harmless(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    events: EventRecorder,
    redis: Any,
) -> None:
    _, channel, _, message_id, wamid = await sent_whatsapp_reply(client, session, graph)
    ts = seconds()
    payload = wa_messages(channel, statuses=[wa_status(wamid, "delivered", WA_ID, ts=ts)])
    events.published.clear()

    first = await deliver_and_process(client, session, payload)
    assert first.result == "1 x status delivered"
    assert updates_for(events, message_id) == ["delivered"]

    # Meta redelivers the very same body: stored once, not processed again.
    assert await deliver(client, session, payload) == first.id
    # The same status in another body (e.g. batched differently): processed, changes nothing.
    rebatched = {**payload, "entry": [{**payload["entry"][0], "time": ts + 60}]}
    second_id = await deliver(client, session, rebatched)
    assert second_id != first.id
    assert await process(second_id) == "processed"
    assert await process(second_id) == "processed"  # and the job running twice

    message = await stored_message(session, message_id)
    assert message.status is MessageStatus.DELIVERED
    assert updates_for(events, message_id) == ["delivered"]


async def test_message_updated_only_on_real_changes_for_watermarks(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    page = channel.external_id
    await deliver_and_process(
        client, session, page_payload(page, customer_message(page, PSID, text="Hi"))
    )
    conversation = await only_conversation(session)
    message_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=new_mid(), recipient=PSID
    )
    watermark = int(time.time() * 1000) + 1
    events.published.clear()

    first = await deliver_and_process(
        client,
        session,
        page_payload(page, from_customer(page, PSID, "read", {"watermark": watermark})),
    )
    again = await deliver_and_process(
        client,
        session,
        page_payload(page, from_customer(page, PSID, "read", {"watermark": watermark + 5})),
    )
    late_delivery = await deliver_and_process(
        client,
        session,
        page_payload(page, from_customer(page, PSID, "delivery", {"watermark": watermark})),
    )

    assert (first.result, again.result, late_delivery.result) == (
        "1 x status read",
        "1 x status read (no change)",
        "1 x status delivered (no change)",
    )
    assert (await stored_message(session, message_id)).status is MessageStatus.READ
    assert updates_for(events, message_id) == ["read"]


async def test_a_read_watermark_at_metas_time_of_our_last_message_marks_it_read(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    """Meta's watermark is Meta's own timestamp of the newest message read ("everything sent
    before or at this time"), which is earlier than the moment our Send API call returned."""
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    page = channel.external_id
    await deliver_and_process(
        client, session, page_payload(page, customer_message(page, PSID, text="Hi"))
    )
    conversation = await only_conversation(session)
    message_id = await queue_reply(client, account, conversation.id, "See you Monday")
    mid, meta_time = new_mid(), dict[str, int]()

    def meta_accepts(request: httpx.Request) -> httpx.Response:
        meta_time["ms"] = int(time.time() * 1000)  # Meta stamps the message now
        return httpx.Response(200, json=send_answer(channel, mid, PSID))

    graph.post(f"/{page}/messages").mock(side_effect=meta_accepts)
    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    sent = json.loads(graph.calls.last.request.content)["message"]
    echo = page_echo(
        page,
        PSID,
        mid=mid,
        text=sent["text"],
        app_id=OUR_APP_ID,
        metadata=sent["metadata"],
        ts=meta_time["ms"],
    )
    assert (await deliver_and_process(client, session, page_payload(page, echo))).result == (
        "1 x echo matched"
    )

    read = from_customer(
        page, PSID, "read", {"watermark": meta_time["ms"]}, ts=meta_time["ms"] + 900
    )
    await deliver_and_process(client, session, page_payload(page, read))

    assert (await stored_message(session, message_id)).status is MessageStatus.READ


async def test_a_sent_status_clears_a_send_whose_outcome_was_unknown(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    """The re-drive marks a reply whose sender died mid-send `failed/send_unconfirmed`;
    Meta's later `sent` proves it left, so it moves on (an ordinary failure would not)."""
    _, channel, _, message_id, wamid = await sent_whatsapp_reply(client, session, graph)
    message = await stored_message(session, message_id)
    message.status, message.error_code = MessageStatus.FAILED, "send_unconfirmed"
    message.error_reason = "Parley could not confirm this message reached Meta."
    await session.flush()
    events.published.clear()

    result = await statuses(client, session, channel, wa_status(wamid, "sent", WA_ID))

    assert result == "1 x status sent"
    message = await stored_message(session, message_id)
    assert (message.status, message.error_code, message.error_reason) == (
        MessageStatus.SENT,
        None,
        None,
    )
    assert updates_for(events, message_id) == ["sent"]


async def test_a_sent_status_does_not_undo_a_real_failure(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    _, channel, _, message_id, wamid = await sent_whatsapp_reply(client, session, graph)
    message = await stored_message(session, message_id)
    message.status, message.error_code = MessageStatus.FAILED, "131026"
    await session.flush()

    result = await statuses(client, session, channel, wa_status(wamid, "sent", WA_ID))

    assert result == "1 x status sent (no change)"
    assert (await stored_message(session, message_id)).status is MessageStatus.FAILED
