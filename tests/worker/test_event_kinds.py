"""Every webhook event kind, end to end: a signed delivery → the webhook job → rows → the
Message JSON the inbox API serves. Parsing details live in tests/api/channels/test_parse_*."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import respx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.models import (
    Attachment,
    Channel,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    MessageTemplate,
    WebhookEventStatus,
    WhatsAppBusinessAccount,
)
from tests.event_payloads import (
    OUR_APP_ID,
    PAGE_INBOX_APP_ID,
    attachments_of,
    cdn_attachment,
    create_whatsapp_channel,
    customer_message,
    deliver,
    deliver_and_process,
    from_customer,
    new_mid,
    new_wamid,
    now_ms,
    only_conversation,
    only_thread_message,
    page_echo,
    page_entries,
    page_entry,
    page_payload,
    process,
    published,
    queue_reply,
    queued_jobs,
    send_answer,
    send_reply,
    stored_message,
    thread,
    wa_contact,
    wa_error,
    wa_message,
    wa_messages,
    wa_payload,
    wa_pricing,
    wa_status,
    wa_value,
)
from tests.helpers import Account, EventRecorder, create_account, create_messenger_channel
from worker import tasks

PSID = "24012345678901234"
WA_ID = "16505551234"
CDN = "https://scontent.xx.fbcdn.net/v/t1.15752-9/"


async def messenger(client: httpx.AsyncClient, session: AsyncSession) -> tuple[Account, Channel]:
    account = await create_account(client)
    return account, await create_messenger_channel(session, account.tenant_id)


async def whatsapp(client: httpx.AsyncClient, session: AsyncSession) -> tuple[Account, Channel]:
    account = await create_account(client)
    return account, await create_whatsapp_channel(session, account.tenant_id)


async def count(session: AsyncSession, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def customer_says(
    client: httpx.AsyncClient, session: AsyncSession, channel: Channel, text: str = "Hi there"
) -> Conversation:
    """A plain customer text through the real path (opens the messaging window)."""
    if channel.waba_id is None:
        payload = page_payload(
            channel.external_id, customer_message(channel.external_id, PSID, text=text)
        )
    else:
        payload = wa_messages(
            channel, wa_message(WA_ID, "text", {"body": text}), contacts=[wa_contact(WA_ID)]
        )
    await deliver_and_process(client, session, payload)
    return await only_conversation(session)


# --- Messenger ----------------------------------------------------------------------


async def test_messenger_text(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account, channel = await messenger(client, session)
    page, mid = channel.external_id, new_mid()
    ts = now_ms()
    event = await deliver_and_process(
        client,
        session,
        page_payload(page, customer_message(page, PSID, mid=mid, ts=ts, text="Is it in stock?")),
    )

    assert event.result == "1 x message"
    message = await only_thread_message(client, session, account)
    assert message["direction"] == "inbound" and message["status"] == "received"
    assert (message["type"], message["text"], message["external_id"]) == (
        "text",
        "Is it in stock?",
        mid,
    )
    assert message["attachments"] == [] and message["reactions"] == []
    assert message["reply_to"] is None and message["written_elsewhere"] is False
    sent_at = datetime.fromtimestamp(ts / 1000, UTC)
    assert datetime.fromisoformat(message["provider_timestamp"]) == sent_at  # Meta's time
    assert (await stored_message(session, message["id"])).sort_at == sent_at
    conversation = await only_conversation(session)
    assert (conversation.unread_count, conversation.last_message_preview) == (1, "Is it in stock?")
    (new,) = published(events, "message:new")
    assert new["message"]["id"] == message["id"]


async def test_messenger_image_is_pending_and_its_fetch_is_queued(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any, events: EventRecorder
) -> None:
    account, channel = await messenger(client, session)
    page, url = channel.external_id, f"{CDN}photo.jpg?_nc_cat=1&oh=abc"
    await deliver_and_process(
        client,
        session,
        page_payload(
            page, customer_message(page, PSID, attachments=[cdn_attachment("image", url)])
        ),
    )

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("image", None)
    (attachment,) = message["attachments"]
    assert (attachment["kind"], attachment["state"], attachment["error"]) == (
        "image",
        "pending",
        None,
    )
    (row,) = await attachments_of(session, message["id"])
    assert row.source_url == url and row.tenant_id == account.tenant_id
    assert f"media:{row.id}" in await queued_jobs(redis, QUEUE_NAME)
    assert f"media:{row.id}" not in await queued_jobs(redis, WEBHOOK_QUEUE_NAME)
    assert (await only_conversation(session)).last_message_preview == "📷 Photo"
    (new,) = published(events, "message:new")
    assert [a["id"] for a in new["message"]["attachments"]] == [attachment["id"]]


async def test_messenger_sticker_is_one_attachment(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, channel = await messenger(client, session)
    page, url = channel.external_id, f"{CDN}369239263222822.png"
    sticker = customer_message(
        page,
        PSID,
        sticker_id=369239263222822,
        attachments=[cdn_attachment("image", url, sticker_id=369239263222822)],
    )
    await deliver_and_process(client, session, page_payload(page, sticker))

    message = await only_thread_message(client, session, account)
    assert message["type"] == "sticker"
    assert message["content"] == {"sticker_id": "369239263222822"}
    assert [a["kind"] for a in message["attachments"]] == ["sticker"]
    (row,) = await attachments_of(session, message["id"])
    assert row.source_url == url
    assert [j for j in await queued_jobs(redis, QUEUE_NAME) if j.startswith("media:")] == [
        f"media:{row.id}"
    ]


async def test_messenger_file(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await messenger(client, session)
    page, url = channel.external_id, f"{CDN}invoice.pdf?oh=1"
    await deliver_and_process(
        client,
        session,
        page_payload(page, customer_message(page, PSID, attachments=[cdn_attachment("file", url)])),
    )

    message = await only_thread_message(client, session, account)
    assert message["type"] == "file"
    assert [(a["kind"], a["state"]) for a in message["attachments"]] == [("file", "pending")]
    assert (await only_conversation(session)).last_message_preview == "📄 File"


async def test_messenger_shared_link(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await messenger(client, session)
    page = channel.external_id
    link = {
        "type": "fallback",
        "title": "Blue Widget - Acme Store",
        "url": "https://l.facebook.com/l.php?u=https%3A%2F%2Facme.test%2Fwidget",
        "payload": None,
    }
    await deliver_and_process(
        client, session, page_payload(page, customer_message(page, PSID, attachments=[link]))
    )

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("link", "Blue Widget - Acme Store")
    assert message["content"] == {"url": link["url"], "title": "Blue Widget - Acme Store"}
    assert message["attachments"] == []


async def test_messenger_quick_reply(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await messenger(client, session)
    page = channel.external_id
    tap = customer_message(page, PSID, text="Red", quick_reply={"payload": "COLOR_RED"})
    await deliver_and_process(client, session, page_payload(page, tap))

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("quick_reply", "Red")
    assert message["content"] == {"payload": "COLOR_RED"}


async def test_messenger_postback(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await messenger(client, session)
    page, mid = channel.external_id, new_mid()
    postback = from_customer(
        page, PSID, "postback", {"title": "Talk to a human", "payload": "HUMAN", "mid": mid}
    )
    event = await deliver_and_process(client, session, page_payload(page, postback))

    assert event.result == "1 x message"
    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"], message["external_id"]) == (
        "postback",
        "Talk to a human",
        mid,
    )
    assert message["content"] == {"payload": "HUMAN", "title": "Talk to a human"}
    assert (await only_conversation(session)).unread_count == 1


async def test_messenger_reply_points_at_the_original(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await messenger(client, session)
    page, original_mid = channel.external_id, new_mid()
    ts = now_ms()
    await deliver_and_process(
        client,
        session,
        page_payload(
            page, customer_message(page, PSID, mid=original_mid, ts=ts, text="Order #1234?")
        ),
    )
    reply = customer_message(
        page, PSID, ts=ts + 1000, text="Any news?", reply_to={"mid": original_mid}
    )
    unknown = customer_message(page, PSID, ts=ts + 2000, text="?", reply_to={"mid": "m_never_seen"})
    await deliver_and_process(client, session, page_payload(page, reply, unknown))

    conversation = await only_conversation(session)
    original, answer, orphan = await thread(client, account, conversation.id)
    assert answer["reply_to"] == {
        "id": original["id"],
        "external_id": original_mid,
        "text": "Order #1234?",
        "type": "text",
        "direction": "inbound",
    }
    assert orphan["reply_to"] == {
        "id": None,
        "external_id": "m_never_seen",
        "text": None,
        "type": None,
        "direction": None,
    }
    assert original["reply_to"] is None


async def test_messenger_reaction_then_unreact(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account, channel = await messenger(client, session)
    page, mid = channel.external_id, new_mid()
    await deliver_and_process(
        client, session, page_payload(page, customer_message(page, PSID, mid=mid, text="Thanks!"))
    )
    ts = now_ms()
    react = from_customer(
        page,
        PSID,
        "reaction",
        {"mid": mid, "action": "react", "reaction": "love", "emoji": "❤"},
        ts=ts,
    )
    events.published.clear()

    first = await deliver_and_process(client, session, page_payload(page, react))

    assert first.result == "1 x reaction"
    message = await only_thread_message(client, session, account)
    assert [(r["emoji"], r["by"]) for r in message["reactions"]] == [("❤", "contact")]
    (updated,) = published(events, "message:updated")
    assert updated["message"]["reactions"][0]["emoji"] == "❤"

    unreact = from_customer(
        page, PSID, "reaction", {"mid": mid, "action": "unreact", "reaction": "love"}, ts=ts + 500
    )
    second = await deliver_and_process(client, session, page_payload(page, unreact))

    assert second.result == "1 x reaction removed"
    assert (await only_thread_message(client, session, account))["reactions"] == []
    assert (await only_conversation(session)).unread_count == 1  # reactions are not messages


async def test_one_reaction_per_side_the_page_and_the_customer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await messenger(client, session)
    page, mid = channel.external_id, new_mid()
    await deliver_and_process(
        client, session, page_payload(page, customer_message(page, PSID, mid=mid, text="Done!"))
    )
    ts = now_ms()
    customer = from_customer(
        page,
        PSID,
        "reaction",
        {"mid": mid, "action": "react", "reaction": "love", "emoji": "❤"},
        ts=ts,
    )
    by_page = {
        "sender": {"id": page},
        "recipient": {"id": PSID},
        "timestamp": ts + 1,
        "reaction": {"mid": mid, "action": "react", "reaction": "like", "emoji": "👍"},
    }
    changed_mind = from_customer(
        page,
        PSID,
        "reaction",
        {"mid": mid, "action": "react", "reaction": "wow", "emoji": "😮"},
        ts=ts + 2,
    )

    await deliver_and_process(client, session, page_payload(page, customer, by_page))
    await deliver_and_process(client, session, page_payload(page, changed_mind))

    message = await only_thread_message(client, session, account)
    assert sorted((r["by"], r["emoji"]) for r in message["reactions"]) == [
        ("business", "👍"),
        ("contact", "😮"),
    ]


async def test_messenger_echo_written_elsewhere(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await messenger(client, session)
    page = channel.external_id
    ts = now_ms()
    await deliver_and_process(
        client, session, page_payload(page, customer_message(page, PSID, ts=ts, text="Hello?"))
    )
    mid = new_mid()
    echo = page_echo(
        page,
        PSID,
        mid=mid,
        text="Hi! Answered from Business Suite",
        app_id=int(PAGE_INBOX_APP_ID),
        ts=ts + 1000,
    )

    event = await deliver_and_process(client, session, page_payload(page, echo))

    assert event.result == "1 x echo written elsewhere"
    conversation = await only_conversation(session)
    _, written = await thread(client, account, conversation.id)
    assert written["direction"] == "outbound" and written["status"] == "sent"
    assert written["written_elsewhere"] is True and written["author_user_id"] is None
    assert (written["text"], written["external_id"]) == ("Hi! Answered from Business Suite", mid)
    assert written["sent_at"] is not None
    assert conversation.unread_count == 1  # unchanged by the business's own message
    assert conversation.last_message_preview == "Hi! Answered from Business Suite"


async def test_echo_of_our_send_matched_by_metadata_before_the_send_job_recorded_the_mid(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel = await messenger(client, session)
    page = channel.external_id
    conversation = await customer_says(client, session, channel)
    message_id = await queue_reply(client, account, conversation.id, "On its way!")
    mid = new_mid()
    echo_results: list[str | None] = []

    async def meta_echoes_before_answering(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["message"]
        echo = page_echo(
            page,
            PSID,
            mid=mid,
            text=sent["text"],
            app_id=int(OUR_APP_ID),
            metadata=sent["metadata"],
        )
        echo_results.append(
            (await deliver_and_process(client, session, page_payload(page, echo))).result
        )
        return httpx.Response(200, json=send_answer(channel, mid, PSID))

    graph.post(f"/{page}/messages").mock(side_effect=meta_echoes_before_answering)

    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"

    assert echo_results == ["1 x echo matched"]
    outbound = (
        (
            await session.execute(
                select(Message).where(Message.direction == MessageDirection.OUTBOUND)
            )
        )
        .scalars()
        .all()
    )
    assert [str(m.id) for m in outbound] == [message_id]
    _, ours = await thread(client, account, conversation.id)
    assert (ours["id"], ours["external_id"], ours["status"]) == (message_id, mid, "sent")
    assert ours["written_elsewhere"] is False and ours["author_user_id"] == str(account.user_id)


async def test_echo_of_our_send_after_the_send_job_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel = await messenger(client, session)
    page, mid = channel.external_id, new_mid()
    conversation = await customer_says(client, session, channel)
    message_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=mid, recipient=PSID
    )
    echo = page_echo(page, PSID, mid=mid, text="x", app_id=OUR_APP_ID, metadata=message_id)

    event = await deliver_and_process(client, session, page_payload(page, echo))

    assert event.result == "1 x echo matched"
    assert await count(session, Message) == 2


async def test_messenger_delivery_and_read_watermarks_move_our_sent_messages(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    account, channel = await messenger(client, session)
    page = channel.external_id
    conversation = await customer_says(client, session, channel)
    first = await send_reply(
        client, graph, account, channel, conversation.id, external_id=new_mid(), recipient=PSID
    )
    second = await send_reply(
        client, graph, account, channel, conversation.id, external_id=new_mid(), recipient=PSID
    )
    watermark = now_ms() + 1
    await asyncio.sleep(0.01)
    later = await send_reply(
        client, graph, account, channel, conversation.id, external_id=new_mid(), recipient=PSID
    )
    events.published.clear()

    delivered = await deliver_and_process(
        client,
        session,
        page_payload(page, from_customer(page, PSID, "delivery", {"watermark": watermark})),
    )

    assert delivered.result == "1 x status delivered"
    statuses = {m["id"]: m["status"] for m in await thread(client, account, conversation.id)}
    assert (statuses[first], statuses[second], statuses[later]) == (
        "delivered",
        "delivered",
        "sent",
    )
    assert sorted(p["message"]["id"] for p in published(events, "message:updated")) == sorted(
        [first, second]
    )

    read = await deliver_and_process(
        client,
        session,
        page_payload(page, from_customer(page, PSID, "read", {"watermark": watermark})),
    )

    assert read.result == "1 x status read"
    statuses = {m["id"]: m["status"] for m in await thread(client, account, conversation.id)}
    assert (statuses[first], statuses[second], statuses[later]) == ("read", "read", "sent")
    inbound = [
        m for m in await thread(client, account, conversation.id) if m["direction"] == "inbound"
    ]
    assert [m["status"] for m in inbound] == ["received"]  # customers' messages never move


async def test_messenger_delivery_listing_mids(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel = await messenger(client, session)
    page, mid = channel.external_id, new_mid()
    conversation = await customer_says(client, session, channel)
    message_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=mid, recipient=PSID
    )
    delivery = from_customer(
        page, PSID, "delivery", {"mids": [mid], "watermark": now_ms() - 60_000}
    )

    await deliver_and_process(client, session, page_payload(page, delivery))

    assert (await stored_message(session, message_id)).status is MessageStatus.DELIVERED


async def test_messenger_referral(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await messenger(client, session)
    page = channel.external_id
    referral = {"ref": "summer-sale", "source": "SHORTLINK", "type": "OPEN_THREAD"}
    await deliver_and_process(
        client, session, page_payload(page, from_customer(page, PSID, "referral", referral))
    )

    message = await only_thread_message(client, session, account)
    assert message["type"] == "referral" and message["direction"] == "inbound"
    assert message["content"]["ref"] == "summer-sale"
    assert (message["content"]["source"], message["content"]["type"]) == (
        "SHORTLINK",
        "OPEN_THREAD",
    )
    assert message["external_id"].startswith(f"referral:{PSID}:")


async def test_messenger_standby_message_is_kept_and_marked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await messenger(client, session)
    page = channel.external_id
    payload = page_payload(page, customer_message(page, PSID, text="Are you a bot?"), standby=True)
    await deliver_and_process(client, session, payload)

    message = await only_thread_message(client, session, account)
    assert message["text"] == "Are you a bot?"
    assert message["content"] == {"standby": True}


async def test_several_entries_in_one_delivery(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await messenger(client, session)
    other_account = await create_account(client, tenant_name="Other Co")
    other = await create_messenger_channel(session, other_account.tenant_id)
    page = channel.external_id
    ts = now_ms()
    payload = page_entries(
        page_entry(page, customer_message(page, PSID, ts=ts, text="one")),
        page_entry(page, customer_message(page, "24000000000000777", ts=ts + 1, text="two")),
        page_entry(
            other.external_id, customer_message(other.external_id, PSID, ts=ts, text="three")
        ),
    )

    event = await deliver_and_process(client, session, payload)

    assert event.result == "3 x message"
    rows = (await session.execute(select(Message).order_by(Message.text))).scalars().all()
    assert [(m.text, m.tenant_id) for m in rows] == [
        ("one", account.tenant_id),
        ("three", other_account.tenant_id),
        ("two", account.tenant_id),
    ]
    assert await count(session, Conversation) == 3


async def test_an_unknown_event_kind_is_ignored_and_counted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, channel = await messenger(client, session)
    page = channel.external_id
    optin = from_customer(page, PSID, "optin", {"type": "notification_messages", "payload": "x"})
    event = await deliver_and_process(
        client, session, page_payload(page, optin, customer_message(page, PSID, text="hi"))
    )

    assert event.status is WebhookEventStatus.PROCESSED
    assert event.result == "1 x ignored optin, 1 x message"
    assert await count(session, Message) == 1


# --- WhatsApp -----------------------------------------------------------------------


async def test_whatsapp_text_stores_the_contacts_name_username_and_user_id(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, channel = await whatsapp(client, session)
    wamid = new_wamid()
    payload = wa_messages(
        channel,
        wa_message(WA_ID, "text", {"body": "Hello from WhatsApp"}, wamid=wamid),
        contacts=[
            wa_contact(WA_ID, "Sheena Nelson", username="@sheena", user_id="US.1349120865530274")
        ],
    )

    event = await deliver_and_process(client, session, payload)

    assert event.result == "1 x message"
    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"], message["external_id"]) == (
        "text",
        "Hello from WhatsApp",
        wamid,
    )
    contact = (await session.execute(select(Contact))).scalar_one()
    assert (contact.external_id, contact.name, contact.username, contact.business_user_id) == (
        WA_ID,
        "Sheena Nelson",
        "@sheena",
        "US.1349120865530274",
    )
    assert contact.channel_id == channel.id and contact.tenant_id == account.tenant_id
    assert not [j for j in await queued_jobs(redis, QUEUE_NAME) if j.startswith("profile:")]


async def test_whatsapp_a_later_message_updates_the_contacts_name(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, channel = await whatsapp(client, session)
    for name in ("Sheena", "Sheena Nelson"):
        await deliver_and_process(
            client,
            session,
            wa_messages(
                channel,
                wa_message(WA_ID, "text", {"body": name}),
                contacts=[wa_contact(WA_ID, name)],
            ),
        )
    contact = (
        await session.execute(select(Contact).execution_options(populate_existing=True))
    ).scalar_one()
    assert contact.name == "Sheena Nelson"


async def test_whatsapp_image_with_caption_keeps_the_media_id(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, channel = await whatsapp(client, session)
    image = {
        "caption": "The box arrived like this",
        "mime_type": "image/jpeg",
        "sha256": "ybPZ6C1G8Yd1jFmZqXh7SSkWZPkF5vT5QZ2W1rB0Xk0=",
        "id": "1479537139650973",
    }
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "image", image), contacts=[wa_contact(WA_ID)]),
    )

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("image", "The box arrived like this")
    (attachment,) = message["attachments"]
    assert (attachment["kind"], attachment["mime_type"], attachment["state"]) == (
        "image",
        "image/jpeg",
        "pending",
    )
    (row,) = await attachments_of(session, message["id"])
    assert (row.source_media_id, row.source_url, row.sha256) == (
        "1479537139650973",
        None,
        image["sha256"],
    )
    assert f"media:{row.id}" in await queued_jobs(redis, QUEUE_NAME)
    assert (await only_conversation(session)).last_message_preview == "The box arrived like this"


async def test_whatsapp_voice_note(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await whatsapp(client, session)
    voice = {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "id": "2", "voice": True}
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "audio", voice), contacts=[wa_contact(WA_ID)]),
    )

    message = await only_thread_message(client, session, account)
    assert message["type"] == "audio"
    assert [(a["kind"], a["mime_type"]) for a in message["attachments"]] == [
        ("audio", "audio/ogg; codecs=opus")
    ]
    # The SPA shows a voice note as one (message-bubble.tsx reads `content.voice`).
    assert message["content"].get("voice") is True


async def test_whatsapp_document_keeps_its_filename(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await whatsapp(client, session)
    document = {
        "caption": "Invoice for March",
        "filename": "invoice-2026-03.pdf",
        "mime_type": "application/pdf",
        "sha256": "def=",
        "id": "3",
    }
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "document", document), contacts=[wa_contact(WA_ID)]),
    )

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("file", "Invoice for March")
    (attachment,) = message["attachments"]
    assert (attachment["kind"], attachment["filename"]) == ("file", "invoice-2026-03.pdf")


async def test_whatsapp_location(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await whatsapp(client, session)
    location = {
        "latitude": 37.4847,
        "longitude": -122.1477,
        "name": "Meta HQ",
        "address": "1 Hacker Way, Menlo Park, CA 94025",
    }
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "location", location), contacts=[wa_contact(WA_ID)]),
    )

    message = await only_thread_message(client, session, account)
    assert message["type"] == "location" and message["attachments"] == []
    assert message["content"] == location
    assert (await only_conversation(session)).last_message_preview == "📍 Location"


async def test_whatsapp_shared_contacts(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await whatsapp(client, session)
    shared = [
        {
            "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith"},
            "phones": [{"phone": "+1 (650) 555-1234", "wa_id": "16505551234", "type": "WORK"}],
            "emails": [{"email": "john@example.com", "type": "WORK"}],
        }
    ]
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "contacts", shared), contacts=[wa_contact(WA_ID)]),
    )

    message = await only_thread_message(client, session, account)
    assert message["type"] == "contacts"
    assert message["content"] == {
        "contacts": [
            {
                "name": "John Smith",
                "phones": [{"phone": "+1 (650) 555-1234", "wa_id": "16505551234", "type": "WORK"}],
                "emails": [{"email": "john@example.com", "type": "WORK"}],
            }
        ]
    }


async def test_whatsapp_interactive_button_and_list_replies(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await whatsapp(client, session)
    button = {"type": "button_reply", "button_reply": {"id": "confirm-yes", "title": "Yes"}}
    choice = {
        "type": "list_reply",
        "list_reply": {"id": "slot-2", "title": "Tuesday", "description": "10:00 - 12:00"},
    }
    ts = int(now_ms() / 1000)
    await deliver_and_process(
        client,
        session,
        wa_messages(
            channel,
            wa_message(WA_ID, "interactive", button, ts=ts),
            wa_message(WA_ID, "interactive", choice, ts=ts + 1),
            contacts=[wa_contact(WA_ID)],
        ),
    )

    conversation = await only_conversation(session)
    tapped, chosen = await thread(client, account, conversation.id)
    assert (tapped["type"], tapped["text"]) == ("interactive_reply", "Yes")
    assert tapped["content"] == {"kind": "button", "reply_id": "confirm-yes", "title": "Yes"}
    assert (chosen["type"], chosen["text"]) == ("interactive_reply", "Tuesday")
    assert chosen["content"] == {
        "kind": "list",
        "reply_id": "slot-2",
        "title": "Tuesday",
        "description": "10:00 - 12:00",
    }


async def test_whatsapp_template_quick_reply_button(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await whatsapp(client, session)
    button = {"payload": "TRACK_ORDER_1234", "text": "Track my order"}
    await deliver_and_process(
        client,
        session,
        wa_messages(
            channel,
            wa_message(WA_ID, "button", button, context={"from": "15550100199", "id": new_wamid()}),
            contacts=[wa_contact(WA_ID)],
        ),
    )

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("button_reply", "Track my order")
    assert message["content"] == {"payload": "TRACK_ORDER_1234"}


async def test_whatsapp_reaction_and_its_removal_on_our_message(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel = await whatsapp(client, session)
    conversation = await customer_says(client, session, channel)
    ours = new_wamid()
    message_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=ours, recipient=WA_ID
    )
    react = wa_message(WA_ID, "reaction", {"message_id": ours, "emoji": "👍"})

    added = await deliver_and_process(
        client, session, wa_messages(channel, react, contacts=[wa_contact(WA_ID)])
    )

    assert added.result == "1 x reaction"
    by_id = {m["id"]: m for m in await thread(client, account, conversation.id)}
    assert [(r["emoji"], r["by"]) for r in by_id[message_id]["reactions"]] == [("👍", "contact")]

    removal = wa_message(WA_ID, "reaction", {"message_id": ours, "emoji": ""})
    removed = await deliver_and_process(
        client, session, wa_messages(channel, removal, contacts=[wa_contact(WA_ID)])
    )

    assert removed.result == "1 x reaction removed"
    by_id = {m["id"]: m for m in await thread(client, account, conversation.id)}
    assert by_id[message_id]["reactions"] == []
    assert await count(session, Message) == 2  # a reaction is not a message


async def test_whatsapp_reply_via_context(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel = await whatsapp(client, session)
    conversation = await customer_says(client, session, channel)
    ours = new_wamid()
    message_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=ours, recipient=WA_ID,
        text="Your order ships Monday.",
    )  # fmt: skip
    reply = wa_message(
        WA_ID,
        "text",
        {"body": "Great, thanks"},
        ts=int(now_ms() / 1000) + 1,
        context={"from": "15550100199", "id": ours},
    )

    await deliver_and_process(
        client, session, wa_messages(channel, reply, contacts=[wa_contact(WA_ID)])
    )

    answer = (await thread(client, account, conversation.id))[-1]
    assert answer["text"] == "Great, thanks"
    assert answer["reply_to"] == {
        "id": message_id,
        "external_id": ours,
        "text": "Your order ships Monday.",
        "type": "text",
        "direction": "outbound",
    }


async def test_whatsapp_order(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await whatsapp(client, session)
    order = {
        "catalog_id": "194836987003835",
        "text": "Please deliver after 5pm",
        "product_items": [
            {"product_retailer_id": "SKU-1", "quantity": 2, "item_price": 9.99, "currency": "USD"},
            {
                "product_retailer_id": "SKU-2",
                "quantity": "1",
                "item_price": "25",
                "currency": "USD",
            },
        ],
    }
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "order", order), contacts=[wa_contact(WA_ID)]),
    )

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("order", "Please deliver after 5pm")
    assert message["content"]["catalog_id"] == "194836987003835"
    assert message["content"]["items"] == [
        {"product_retailer_id": "SKU-1", "quantity": 2, "item_price": 9.99, "currency": "USD"},
        {"product_retailer_id": "SKU-2", "quantity": 1.0, "item_price": 25.0, "currency": "USD"},
    ]


async def test_whatsapp_system_message(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, channel = await whatsapp(client, session)
    system = {
        "body": "User A changed from +1 650-555-1234 to +1 650-555-9999",
        "wa_id": "16505559999",
        "type": "user_changed_number",
    }
    await deliver_and_process(
        client,
        session,
        wa_messages(channel, wa_message(WA_ID, "system", system), contacts=[wa_contact(WA_ID)]),
    )

    message = await only_thread_message(client, session, account)
    assert (message["type"], message["text"]) == ("system", system["body"])
    assert message["content"] == {
        "kind": "user_changed_number",
        "body": system["body"],
        "new_wa_id": "16505559999",
    }


async def test_whatsapp_unsupported_keeps_its_errors(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await whatsapp(client, session)
    unsupported = wa_message(
        WA_ID,
        "unsupported",
        {"type": "edit"},
        errors=[
            wa_error(131051, "Message type unknown", "Message type is not currently supported")
        ],
    )
    event = await deliver_and_process(
        client, session, wa_messages(channel, unsupported, contacts=[wa_contact(WA_ID)])
    )

    assert event.result == "1 x message"
    message = await only_thread_message(client, session, account)
    assert message["type"] == "unsupported"
    assert message["content"] == {
        "provider_type": "edit",
        "errors": [
            {
                "code": 131051,
                "title": "Message type unknown",
                "details": "Message type is not currently supported",
            }
        ],
    }
    assert (await only_conversation(session)).unread_count == 1


async def test_an_unknown_whatsapp_message_type_is_kept_as_unsupported(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await whatsapp(client, session)
    wamid = new_wamid()
    poll = wa_message(
        WA_ID, "poll", {"question": "Lunch?", "options": ["Pizza", "Sushi"]}, wamid=wamid
    )
    event = await deliver_and_process(
        client, session, wa_messages(channel, poll, contacts=[wa_contact(WA_ID)])
    )

    assert event.result == "1 x message"
    message = await only_thread_message(client, session, account)
    assert (message["type"], message["external_id"]) == ("unsupported", wamid)
    assert message["content"] == {"provider_type": "poll"}


async def test_value_level_errors_are_processed_and_counted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, channel = await whatsapp(client, session)
    assert channel.waba_id is not None
    value = wa_value(
        channel.external_id,
        errors=[
            wa_error(
                131000,
                "Something went wrong",
                "Message failed to send because of an unknown error.",
            )
        ],
    )
    event = await deliver_and_process(
        client, session, wa_payload(channel.waba_id, ("messages", value))
    )

    assert event.status is WebhookEventStatus.PROCESSED
    assert event.result == "1 x noted errors"
    assert await count(session, Message) == 0


async def test_whatsapp_statuses_sent_delivered_read_and_failed(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, events: EventRecorder
) -> None:
    account, channel = await whatsapp(client, session)
    conversation = await customer_says(client, session, channel)
    good, bad = new_wamid(), new_wamid()
    read_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=good, recipient=WA_ID
    )
    failed_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=bad, recipient=WA_ID
    )
    ts = int(now_ms() / 1000)
    pricing = wa_pricing("service")
    billing = {"id": "CONVERSATION_ID", "origin": {"type": "service"}}
    statuses = [
        wa_status(good, "sent", WA_ID, ts=ts, pricing=pricing, conversation=billing,
                  biz_opaque_callback_data=read_id),
        wa_status(good, "delivered", WA_ID, ts=ts + 1, pricing=pricing),
        wa_status(good, "read", WA_ID, ts=ts + 2),
        wa_status(bad, "failed", WA_ID, ts=ts + 1, errors=[
            wa_error(131026, "Message undeliverable", "Unable to deliver message: the recipient may be using an old WhatsApp version.")
        ]),
    ]  # fmt: skip
    events.published.clear()

    event = await deliver_and_process(client, session, wa_messages(channel, statuses=statuses))

    assert event.result == (
        "1 x status delivered, 1 x status failed, 1 x status read, 1 x status sent (no change)"
    )  # the send job had already recorded `sent`
    read = await stored_message(session, read_id)
    assert read.status is MessageStatus.READ
    assert read.status_details["pricing"] == pricing
    assert read.status_details["conversation"] == billing
    assert read.status_details["biz_opaque_callback_data"] == read_id
    failed = await stored_message(session, failed_id)
    assert failed.status is MessageStatus.FAILED and failed.error_code == "131026"
    assert failed.error_reason is not None and "old WhatsApp version" in failed.error_reason
    by_id = {m["id"]: m for m in await thread(client, account, conversation.id)}
    assert by_id[read_id]["status"] == "read" and by_id[read_id]["error"] is None
    assert by_id[failed_id]["status"] == "failed"
    assert by_id[failed_id]["error"]["code"] == "131026"
    assert "old WhatsApp version" in by_id[failed_id]["error"]["reason"]
    assert {p["message"]["id"] for p in published(events, "message:updated")} == {
        read_id,
        failed_id,
    }


async def test_several_messages_and_statuses_in_one_change(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel = await whatsapp(client, session)
    conversation = await customer_says(client, session, channel)
    ours = new_wamid()
    message_id = await send_reply(
        client, graph, account, channel, conversation.id, external_id=ours, recipient=WA_ID
    )
    ts = int(now_ms() / 1000) + 1
    payload = wa_messages(
        channel,
        wa_message(WA_ID, "text", {"body": "first"}, ts=ts),
        wa_message(WA_ID, "text", {"body": "second"}, ts=ts + 1),
        contacts=[wa_contact(WA_ID)],
        statuses=[
            wa_status(ours, "delivered", WA_ID, ts=ts),
            wa_status(ours, "read", WA_ID, ts=ts + 2),
        ],
    )

    event = await deliver_and_process(client, session, payload)

    assert event.result == "2 x message, 1 x status delivered, 1 x status read"
    texts = [m["text"] for m in await thread(client, account, conversation.id)]
    assert texts[-2:] == ["first", "second"]
    assert (await stored_message(session, message_id)).status is MessageStatus.READ
    assert (await only_conversation(session)).unread_count == 3


async def test_template_status_update_is_stored_for_the_tenant_owning_the_waba(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel = await whatsapp(client, session)
    other = await create_account(client, tenant_name="Other Co")
    await create_whatsapp_channel(session, other.tenant_id)  # another WABA entirely
    assert channel.waba_id is not None
    update = {
        "event": "APPROVED",
        "message_template_id": 594425479261596,
        "message_template_name": "order_shipped",
        "message_template_language": "en_US",
        "message_template_category": "UTILITY",
        "reason": "NONE",
    }

    first = await deliver_and_process(
        client, session, wa_payload(channel.waba_id, ("message_template_status_update", update))
    )

    assert first.result == "1 x template order_shipped APPROVED"
    template = (await session.execute(select(MessageTemplate))).scalar_one()
    assert (template.tenant_id, template.waba_id) == (account.tenant_id, channel.waba_id)
    assert (template.name, template.language, template.status, template.reason) == (
        "order_shipped",
        "en_US",
        "APPROVED",
        None,
    )
    assert (template.external_id, template.category) == ("594425479261596", "UTILITY")

    rejected = {**update, "event": "REJECTED", "reason": "INCORRECT_CATEGORY"}
    await deliver_and_process(
        client, session, wa_payload(channel.waba_id, ("message_template_status_update", rejected))
    )

    template = (
        await session.execute(select(MessageTemplate).execution_options(populate_existing=True))
    ).scalar_one()
    assert (template.status, template.reason) == ("REJECTED", "INCORRECT_CATEGORY")


async def test_phone_quality_update_sets_the_numbers_rating(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account, channel = await whatsapp(client, session)
    assert channel.waba_id is not None
    sibling = await create_whatsapp_channel(
        session, account.tenant_id, waba_id=channel.waba_id, display_phone_number="+1 555-010-0200",
        with_waba_row=False,
    )  # fmt: skip
    update = {
        "display_phone_number": "15550100199",
        "event": "FLAGGED",
        "current_limit": "TIER_10K",
    }
    events.published.clear()

    event = await deliver_and_process(
        client, session, wa_payload(channel.waba_id, ("phone_number_quality_update", update))
    )

    assert event.result == "1 x quality FLAGGED"
    flagged = await session.get(Channel, channel.id, populate_existing=True)
    assert flagged is not None
    assert (flagged.quality_rating, flagged.messaging_limit) == ("FLAGGED", "TIER_10K")
    untouched = await session.get(Channel, sibling.id, populate_existing=True)
    assert untouched is not None and untouched.quality_rating is None
    (announced,) = published(events, "channel:updated")
    assert announced["channel"]["id"] == str(channel.id)


async def test_account_update_partner_removed_flags_the_numbers(
    client: httpx.AsyncClient, session: AsyncSession, events: EventRecorder
) -> None:
    account, channel = await whatsapp(client, session)
    assert channel.waba_id is not None
    second = await create_whatsapp_channel(
        session, account.tenant_id, waba_id=channel.waba_id, with_waba_row=False
    )
    elsewhere = await create_whatsapp_channel(session, account.tenant_id)
    update = {"phone_number": "15550100199", "event": "PARTNER_REMOVED"}
    events.published.clear()

    event = await deliver_and_process(
        client, session, wa_payload(channel.waba_id, ("account_update", update))
    )

    assert event.result == "1 x account PARTNER_REMOVED"
    for row, expected in ((channel, ChannelStatus.NEEDS_REAUTH), (second, ChannelStatus.NEEDS_REAUTH),
                          (elsewhere, ChannelStatus.ACTIVE)):  # fmt: skip
        fresh = await session.get(Channel, row.id, populate_existing=True)
        assert fresh is not None and fresh.status is expected
    waba = (
        await session.execute(
            select(WhatsAppBusinessAccount)
            .where(WhatsAppBusinessAccount.waba_id == channel.waba_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert waba.account_status == "PARTNER_REMOVED"
    announced = {p["channel"]["id"] for p in published(events, "channel:updated")}
    assert announced == {str(channel.id), str(second.id)}
    listed = (await client.get("/api/channels", headers=account.headers)).json()["items"]
    assert {c["id"]: c["health"] for c in listed}[str(channel.id)] == "needs_reauth"


async def test_an_inbound_message_creates_no_attachment_without_media(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, channel = await whatsapp(client, session)
    await customer_says(client, session, channel, "plain")
    assert await count(session, Attachment) == 0


async def test_the_same_whatsapp_message_redelivered_differently_lands_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, channel = await whatsapp(client, session)
    wamid = new_wamid()
    message = wa_message(WA_ID, "image", {"id": "9", "mime_type": "image/png"}, wamid=wamid)
    first = wa_messages(channel, message, contacts=[wa_contact(WA_ID)])
    again = {**first, "entry": [{**first["entry"][0], "time": 1}]}  # another body, same wamid
    for payload in (first, again):
        event_id = await deliver(client, session, payload)
        assert await process(event_id) == "processed"

    assert await count(session, Message) == 1
    assert await count(session, Attachment) == 1
    assert (await only_conversation(session)).unread_count == 1
