"""Channel jobs: Messenger history import, the daily token check, and WhatsApp in and out."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.jobs import QUEUE_NAME
from api.models import (
    Channel,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
)
from tests.api.meta.conftest import meta
from tests.api.meta.fake_meta import FakeMeta, graph_error
from tests.api.meta.flows import connected_number, connected_page
from tests.helpers import EventRecorder, create_account, signed
from tests.worker.test_webhook_processing import deliver, process
from worker import tasks

__all__ = ["meta"]

JANE, JOHN = "24000000000000001", "24000000000000002"


async def _channel(session: AsyncSession, channel_id: str) -> Channel:
    channel = await session.get(Channel, uuid.UUID(channel_id), populate_existing=True)
    assert channel is not None
    return channel


async def _count(session: AsyncSession, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def _history_events(events: EventRecorder, channel_id: str) -> list[tuple[str, int, int | None]]:
    return [
        (
            p["channel"]["history_import"]["status"],
            p["channel"]["history_import"]["imported"],
            p["channel"]["history_import"]["total"],
        )
        for _, name, p in events.published
        if name == "channel:updated" and p["channel"]["id"] == channel_id
    ]


# --- history import --------------------------------------------------------------


class History:
    """Meta's Conversations API for one page (meta-platform.md §4.6)."""

    def __init__(self, meta: FakeMeta, page_id: str, page_name: str) -> None:
        self.meta = meta
        self.page = {"id": page_id, "name": page_name, "email": f"{page_id}@facebook.com"}
        self.threads: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {}
        meta.on("GET", rf"{page_id}/conversations", self._conversations)
        meta.on("GET", r"t_\d+", self._messages)

    def thread(self, customer_id: str, name: str, lines: list[tuple[bool, str, str]]) -> str:
        """`lines`: (from the customer?, ISO time, text), oldest first."""
        thread_id = f"t_{len(self.threads) + 1000}"
        customer = {"id": customer_id, "name": name, "email": f"{customer_id}@facebook.com"}
        messages = [
            {
                "id": f"m_{thread_id}_{i}",
                "created_time": at,
                "from": customer if inbound else self.page,
                "to": {"data": [self.page if inbound else customer]},
                "message": text,
            }
            for i, (inbound, at, text) in enumerate(lines)
        ]
        self.threads[thread_id] = (customer, list(reversed(messages)))  # Meta: newest first
        return thread_id

    def _conversations(self, request: httpx.Request, _: re.Match[str]) -> httpx.Response:
        rows = [
            {
                "id": thread_id,
                "updated_time": messages[0]["created_time"],
                "participants": {"data": [customer, self.page]},
            }
            for thread_id, (customer, messages) in self.threads.items()
        ]
        return self.meta.paged(request, rows)

    def _messages(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        _, messages = self.threads[match.group(0)]
        return httpx.Response(
            200,
            json={"id": match.group(0), "messages": {"data": messages, "paging": {"cursors": {}}}},
        )


async def _page_with_history(
    client: httpx.AsyncClient, meta: FakeMeta
) -> tuple[dict[str, Any], History]:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    history = History(meta, page["external_id"], page["name"])
    history.thread(
        JANE,
        "Jane Doe",
        [
            (True, "2026-11-01T09:00:00+0000", "Do you ship to Norway?"),
            (False, "2026-11-01T09:05:00+0000", "We do, 3-5 days."),
        ],
    )
    history.thread(
        JOHN,
        "John Roe",
        [
            (True, "2026-11-02T10:00:00+0000", "Order 1234 is late"),
            (False, "2026-11-02T10:01:00+0000", "Sorry, checking now"),
            (True, "2026-11-02T10:02:00+0000", "Thanks"),
        ],
    )
    return page, history


async def test_history_import_stores_threads_with_live_progress(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    meta.page_size = 1  # conversations come one per cursor page
    page, _ = await _page_with_history(client, meta)
    events.published.clear()

    assert await tasks.import_history({}, page["id"]) == "done"

    channel = await _channel(session, page["id"])
    assert channel.history_import_status == "done"
    assert (channel.history_imported, channel.history_total) == (2, 2)
    assert channel.history_error is None
    contacts = {c.external_id: c.name for c in (await session.execute(select(Contact))).scalars()}
    assert contacts == {JANE: "Jane Doe", JOHN: "John Roe"}
    messages = (await session.execute(select(Message).order_by(Message.sort_at))).scalars().all()
    assert [(m.text, m.direction) for m in messages] == [
        ("Do you ship to Norway?", MessageDirection.INBOUND),
        ("We do, 3-5 days.", MessageDirection.OUTBOUND),
        ("Order 1234 is late", MessageDirection.INBOUND),
        ("Sorry, checking now", MessageDirection.OUTBOUND),
        ("Thanks", MessageDirection.INBOUND),
    ]
    assert all(m.channel_id == channel.id for m in messages)
    assert {m.status for m in messages if m.direction is MessageDirection.OUTBOUND} == {
        MessageStatus.SENT
    }
    assert messages[0].provider_timestamp == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    conversations = {
        c.contact_id: c for c in (await session.execute(select(Conversation))).scalars()
    }
    assert len(conversations) == 2
    assert {c.last_message_preview for c in conversations.values()} == {
        "We do, 3-5 days.",
        "Thanks",
    }
    assert all(c.unread_count == 0 for c in conversations.values())
    assert _history_events(events, page["id"]) == [
        ("running", 0, None),
        ("running", 0, 2),
        ("running", 1, 2),
        ("running", 2, 2),
        ("done", 2, 2),
    ]
    page_token = meta.users[0].pages[0].access_token
    listing = meta.calls_to("GET", f"{page['external_id']}/conversations")
    assert len(listing) == 2  # followed the cursor
    assert all(c.token == page_token and c.params["platform"] == "messenger" for c in listing)
    assert all("access_token" not in c.params for c in meta.calls)


async def test_running_the_import_again_stores_nothing_twice(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    page, _ = await _page_with_history(client, meta)
    assert await tasks.import_history({}, page["id"]) == "done"
    counts = [await _count(session, m) for m in (Contact, Conversation, Message)]

    assert await tasks.import_history({}, page["id"]) == "done"

    assert [await _count(session, m) for m in (Contact, Conversation, Message)] == counts
    channel = await _channel(session, page["id"])
    assert (channel.history_import_status, channel.history_imported) == ("done", 2)


async def test_a_dead_token_during_import_fails_it_and_flags_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    page, history = await _page_with_history(client, meta)
    second = list(history.threads)[1]
    meta.fail("GET", second, graph_error(190, "Error validating access token", subcode=460))
    events.published.clear()

    assert await tasks.import_history({}, page["id"]) == "failed 190/460"

    channel = await _channel(session, page["id"])
    assert channel.history_import_status == "failed"
    assert channel.status is ChannelStatus.NEEDS_REAUTH
    assert channel.history_error
    assert "password" in channel.history_error  # the readable reason for 190/460
    assert (channel.history_imported, channel.history_total) == (1, 2)
    assert await _count(session, Message) == 2  # the first thread stays
    last = events.published[-1][2]["channel"]
    assert last["history_import"]["status"] == "failed"
    assert last["health"] == "needs_reauth"


async def test_a_transient_error_fails_the_import_but_not_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    page, _ = await _page_with_history(client, meta)
    meta.fail(
        "GET",
        f"{page['external_id']}/conversations",
        graph_error(2, "Service temporarily unavailable", status=503, transient=True),
    )

    assert await tasks.import_history({}, page["id"]) == "failed 2"

    channel = await _channel(session, page["id"])
    assert channel.history_import_status == "failed"
    assert channel.status is ChannelStatus.ACTIVE
    assert await _count(session, Message) == 0


async def test_import_skips_a_channel_that_is_not_active(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    page, _ = await _page_with_history(client, meta)
    await session.execute(
        update(Channel)
        .where(Channel.id == uuid.UUID(page["id"]))
        .values(status=ChannelStatus.NEEDS_REAUTH)
    )
    await session.commit()

    assert await tasks.import_history({}, page["id"]) == "skipped"
    assert meta.calls_to("GET", f"{page['external_id']}/conversations") == []


# --- token health ----------------------------------------------------------------


async def test_an_invalid_token_flags_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    page_token = meta.users[0].pages[0].access_token
    meta.token_info[page_token] = {"is_valid": False}
    events.published.clear()

    assert await tasks.check_tokens({}) == "checked 1, needs_reauth 1, skipped 0"

    channel = await _channel(session, page["id"])
    assert channel.status is ChannelStatus.NEEDS_REAUTH
    check = meta.calls_to("GET", "debug_token")[-1]
    assert check.params["input_token"] == page_token
    assert check.token == f"{meta.app_id}|{meta.app_secret}"
    ((tenant, name, payload),) = events.published
    assert (tenant, name) == (account.tenant_id, "channel:updated")
    assert payload["channel"]["health"] == "needs_reauth"
    listed = (await client.get("/api/channels", headers=account.headers)).json()["items"]
    assert [c["health"] for c in listed] == ["needs_reauth"]


async def test_a_token_expiring_soon_is_recorded_and_shown_as_expiring(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    number = await connected_number(client, account, meta.users[0])
    in_three_days = int(time.time()) + 3 * 86400
    meta.token_info[meta.users[0].long_token] = {"expires_at": in_three_days}

    assert await tasks.check_tokens({}) == "checked 1, needs_reauth 0, skipped 0"

    channel = await _channel(session, number["id"])
    assert channel.status is ChannelStatus.ACTIVE
    assert channel.token_expires_at == datetime.fromtimestamp(in_three_days, UTC)
    assert channel.token_checked_at is not None
    (listed,) = (await client.get("/api/channels", headers=account.headers)).json()["items"]
    assert listed["health"] == "expiring"
    assert listed["status"] == "active"


async def test_a_healthy_page_token_stays_ok(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    before = (await _channel(session, page["id"])).token_checked_at

    assert await tasks.check_tokens({}) == "checked 1, needs_reauth 0, skipped 0"

    channel = await _channel(session, page["id"])
    assert channel.status is ChannelStatus.ACTIVE and channel.token_expires_at is None
    assert channel.token_checked_at is not None and before is not None
    assert channel.token_checked_at > before
    (listed,) = (await client.get("/api/channels", headers=account.headers)).json()["items"]
    assert listed["health"] == "ok"


async def test_a_graph_error_on_debug_token_leaves_the_channel_alone(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, events: EventRecorder
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    before = await _channel(session, page["id"])
    snapshot = (before.status, before.token_expires_at, before.token_checked_at)
    meta.fail("GET", "debug_token", graph_error(4, "Application request limit reached"))
    events.published.clear()

    assert await tasks.check_tokens({}) == "checked 0, needs_reauth 0, skipped 1"

    after = await _channel(session, page["id"])
    assert (after.status, after.token_expires_at, after.token_checked_at) == snapshot
    assert events.published == []


async def test_disconnected_channels_are_not_checked(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    page = await connected_page(client, account, meta.users[0])
    assert (
        await client.delete(f"/api/channels/{page['id']}", headers=account.headers)
    ).status_code == 200
    checks_before = len(meta.calls_to("GET", "debug_token"))

    assert await tasks.check_tokens({}) == "checked 0, needs_reauth 0, skipped 0"
    assert len(meta.calls_to("GET", "debug_token")) == checks_before


# --- WhatsApp in and out ---------------------------------------------------------


def whatsapp_text(
    waba_id: str, phone_number_id: str, wa_id: str, name: str, text: str
) -> dict[str, Any]:
    """A `whatsapp_business_account` delivery with one text message (§5.6)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550100",
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": f"wamid.{uuid.uuid4().hex}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


async def test_a_whatsapp_message_lands_in_its_number_and_a_reply_goes_out(
    client: httpx.AsyncClient,
    session: AsyncSession,
    meta: FakeMeta,
    events: EventRecorder,
    redis: object,
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    number = await connected_number(client, account, user)
    other = await connected_page(client, account, user)  # a second channel in the workspace
    wa_id = "447700900123"
    payload = whatsapp_text(number["waba_id"], number["external_id"], wa_id, "Jane Doe", "Hi!")
    events.published.clear()

    assert await process(await deliver(client, session, payload)) == "processed"

    message = (await session.execute(select(Message))).scalar_one()
    assert str(message.channel_id) == number["id"] != other["id"]
    assert message.tenant_id == account.tenant_id
    assert message.direction is MessageDirection.INBOUND and message.text == "Hi!"
    contact = (await session.execute(select(Contact))).scalar_one()
    assert (contact.external_id, contact.name) == (wa_id, "Jane Doe")
    assert "message:new" in events.names()
    queued = [k.decode() for k in await redis.zrange(QUEUE_NAME, 0, -1)]  # type: ignore[attr-defined]
    assert not [k for k in queued if k.startswith("profile:")]  # WhatsApp sent the name

    sent: list[httpx.Request] = []

    def graph_send(request: httpx.Request, _: re.Match[str]) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": wa_id, "wa_id": wa_id}],
                "messages": [{"id": "wamid.OUTBOUND123"}],
            },
        )

    meta.on("POST", rf"{number['external_id']}/messages", graph_send)
    conversation = (await session.execute(select(Conversation))).scalar_one()
    reply = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": "Hello Jane"},
        headers=account.headers,
    )
    assert reply.status_code == 202

    assert await tasks.send_message({"job_try": 1}, reply.json()["id"]) == "sent"

    (request,) = sent
    body = json.loads(request.content)
    assert body["messaging_product"] == "whatsapp"
    assert body["to"] == wa_id
    assert body["type"] == "text"
    assert body["text"]["body"] == "Hello Jane"
    assert request.headers["Authorization"] == f"Bearer {user.long_token}"
    assert "access_token" not in str(request.url)
    stored = (
        await session.execute(
            select(Message)
            .where(Message.id == uuid.UUID(reply.json()["id"]))
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert stored.status is MessageStatus.SENT
    assert stored.external_id == "wamid.OUTBOUND123"
    assert str(stored.channel_id) == number["id"]


async def test_a_whatsapp_message_for_an_unconnected_number_is_not_stored(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    number = await connected_number(client, account, meta.users[0])
    assert (
        await client.delete(f"/api/channels/{number['id']}", headers=account.headers)
    ).status_code == 200
    payload = whatsapp_text(number["waba_id"], number["external_id"], "447700900123", "J", "Hi")

    event_id = await deliver(client, session, payload)

    assert await process(event_id) == "processed"
    assert await _count(session, Message) == 0


async def test_a_whatsapp_delivery_is_signed_like_any_other(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body, headers = signed(whatsapp_text("1", "2", "3", "J", "Hi"), secret="not-the-secret")
    response = await client.post("/api/webhooks/meta", content=body, headers=headers)
    assert response.status_code == 401
