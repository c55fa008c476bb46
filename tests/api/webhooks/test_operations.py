"""The operators' view of webhook processing: events per tenant (routed before processing),
filters and cursors, replay, per-channel health; the webhook queue and retention."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from arq import Retry
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.inbox.ingest import InboundRecorder
from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.models import (
    Attachment,
    Channel,
    Message,
    WebhookEvent,
    WebhookEventRoute,
    WebhookEventStatus,
)
from api.webhooks import processing
from api.webhooks.service import Label, label_of
from tests.api.meta.flows import create_agent
from tests.event_payloads import (
    cdn_attachment,
    create_whatsapp_channel,
    customer_message,
    deliver,
    now_ms,
    page_entries,
    page_entry,
    page_payload,
    process,
    queued_jobs,
    wa_contact,
    wa_message,
    wa_messages,
    wa_payload,
)
from tests.helpers import Account, create_account, create_messenger_channel
from worker import tasks

EVENTS = "/api/webhooks/events"
CHANNELS = "/api/webhooks/channels"
PSID = "24012345678901234"


async def tenant_with_page(
    client: httpx.AsyncClient, session: AsyncSession, name: str = "Acme"
) -> tuple[Account, Channel]:
    account = await create_account(client, tenant_name=name)
    return account, await create_messenger_channel(session, account.tenant_id)


def text_to(channel: Channel, text: str = "hi", psid: str = PSID) -> dict[str, Any]:
    page = channel.external_id
    return page_payload(page, customer_message(page, psid, text=text))


async def delivered(
    client: httpx.AsyncClient, session: AsyncSession, payload: dict[str, Any] | bytes
) -> uuid.UUID:
    """Delivered and processed successfully."""
    event_id = await deliver(client, session, payload)
    assert await process(event_id) in ("processed", "dead")
    return event_id


async def listed(
    client: httpx.AsyncClient, account: Account | dict[str, str], query: str = ""
) -> dict[str, Any]:
    headers = account.headers if isinstance(account, Account) else account
    response = await client.get(f"{EVENTS}{query}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


async def event_row(session: AsyncSession, event_id: uuid.UUID) -> WebhookEvent:
    event = await session.get(WebhookEvent, event_id, populate_existing=True)
    assert event is not None
    return event


def fail_recording(monkeypatch: pytest.MonkeyPatch, message: str = "disk full") -> None:
    async def boom(self: InboundRecorder, channel: Any, item: Any) -> None:
        raise RuntimeError(message)

    monkeypatch.setattr(InboundRecorder, "record", boom)


async def count(session: AsyncSession, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


# --- listing ------------------------------------------------------------------------


async def test_each_tenant_sees_only_the_events_routed_to_its_channels(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    alice, alice_page = await tenant_with_page(client, session, "Alice Co")
    bob, bob_page = await tenant_with_page(client, session, "Bob Co")
    only_alice = await delivered(client, session, text_to(alice_page, "for alice"))
    only_bob = await delivered(client, session, text_to(bob_page, "for bob"))
    ts = now_ms()
    both = await delivered(
        client,
        session,
        page_entries(
            page_entry(
                alice_page.external_id, customer_message(alice_page.external_id, PSID, ts=ts)
            ),
            page_entry(bob_page.external_id, customer_message(bob_page.external_id, PSID, ts=ts)),
        ),
    )
    nobodys = await delivered(
        client, session, page_payload("999000999", customer_message("999000999", PSID))
    )
    malformed = await delivered(client, session, b'{"object": "page", "entry": [')

    alice_view, bob_view = await listed(client, alice), await listed(client, bob)

    assert set(ids(alice_view)) == {str(only_alice), str(both)}
    assert set(ids(bob_view)) == {str(only_bob), str(both)}
    for view, page in ((alice_view, alice_page), (bob_view, bob_page)):
        shared = next(i for i in view["items"] if i["id"] == str(both))
        assert shared["channel_ids"] == [str(page.id)]  # never the other tenant's channel
        assert shared["status"] == "processed" and shared["object"] == "page"
        assert shared["result"] == "2 x message"
        assert "raw_body" not in shared
    assert (await event_row(session, malformed)).status is WebhookEventStatus.DEAD
    assert str(nobodys) not in ids(alice_view) + ids(bob_view)
    assert str(malformed) not in ids(alice_view) + ids(bob_view)
    stranger = await create_account(client, tenant_name="Stranger")
    assert (await listed(client, stranger))["items"] == []


async def test_filter_by_status_and_channel(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, page = await tenant_with_page(client, session)
    number = await create_whatsapp_channel(session, account.tenant_id)
    on_page = await delivered(client, session, text_to(page))
    on_number = await delivered(
        client,
        session,
        wa_messages(number, wa_message("16505551234", "text", {"body": "hi"}), contacts=[wa_contact("16505551234")]),
    )  # fmt: skip
    fail_recording(monkeypatch)
    failing = await deliver(client, session, text_to(page, "this one breaks"))
    with pytest.raises(Retry):
        await process(failing)

    assert ids(await listed(client, account, "?status=failed")) == [str(failing)]
    assert set(ids(await listed(client, account, "?status=processed"))) == {
        str(on_page),
        str(on_number),
    }
    assert set(ids(await listed(client, account, f"?channel_id={page.id}"))) == {
        str(on_page),
        str(failing),
    }
    assert ids(await listed(client, account, f"?channel_id={number.id}")) == [str(on_number)]
    assert ids(await listed(client, account, f"?channel_id={page.id}&status=processed")) == [
        str(on_page)
    ]
    other, _ = await tenant_with_page(client, session, "Other")
    assert (await listed(client, other, f"?channel_id={page.id}"))["items"] == []
    bad = await client.get(f"{EVENTS}?status=exploded", headers=account.headers)
    assert bad.status_code == 422


async def test_cursor_pagination_newest_first(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, page = await tenant_with_page(client, session)
    made = [await delivered(client, session, text_to(page, f"m{i}")) for i in range(5)]

    first = await listed(client, account, "?limit=2")
    second = await listed(client, account, f"?limit=2&cursor={first['next_cursor']}")
    third = await listed(client, account, f"?limit=2&cursor={second['next_cursor']}")

    newest_first = [str(e) for e in reversed(made)]
    assert ids(first) + ids(second) + ids(third) == newest_first
    assert first["next_cursor"] and second["next_cursor"]
    assert third["next_cursor"] is None
    bad = await client.get(f"{EVENTS}?cursor=%%%", headers=account.headers)
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_cursor")


async def test_a_failing_event_shows_up_for_its_tenant_with_the_error(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, page = await tenant_with_page(client, session)
    bystander, _ = await tenant_with_page(client, session, "Bystander")
    fail_recording(monkeypatch, "could not write the message")
    event_id = await deliver(client, session, text_to(page))

    with pytest.raises(Retry):
        await process(event_id)

    (item,) = (await listed(client, account))["items"]
    assert (item["id"], item["status"], item["attempts"]) == (str(event_id), "failed", 1)
    assert "could not write the message" in item["last_error"]
    assert item["channel_ids"] == [str(page.id)]
    assert item["processed_at"] is None
    assert (await listed(client, bystander))["items"] == []
    assert await count(session, Message) == 0  # the failed attempt left nothing behind


# --- replay -------------------------------------------------------------------------


async def test_replay_requeues_on_the_webhook_queue_and_lands_nothing_twice(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, page = await tenant_with_page(client, session)
    payload = page_payload(
        page.external_id,
        customer_message(
            page.external_id, PSID, attachments=[cdn_attachment("image", "https://cdn.test/a.jpg")]
        ),
    )
    event_id = await delivered(client, session, payload)
    before = [await count(session, m) for m in (Message, Attachment)]
    await redis.flushdb()

    response = await client.post(f"{EVENTS}/{event_id}/replay", headers=account.headers)

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["id"], body["status"], body["attempts"]) == (str(event_id), "received", 0)
    assert (body["last_error"], body["processed_at"]) == (None, None)
    assert body["channel_ids"] == [str(page.id)]
    event = await event_row(session, event_id)
    assert event.status is WebhookEventStatus.RECEIVED
    (job,) = await queued_jobs(redis, WEBHOOK_QUEUE_NAME)
    assert job.startswith(f"webhook:{event_id}:replay:")
    assert await queued_jobs(redis, QUEUE_NAME) == []

    assert await process(event_id) == "processed"

    assert [await count(session, m) for m in (Message, Attachment)] == before
    event = await event_row(session, event_id)
    assert event.result == "1 x duplicate message"
    assert await queued_jobs(redis, QUEUE_NAME) == []  # no second media fetch either
    again = await client.post(f"{EVENTS}/{event_id}/replay", headers=account.headers)
    assert again.status_code == 202
    assert len(await queued_jobs(redis, WEBHOOK_QUEUE_NAME)) == 2  # a fresh job id each time


async def test_replaying_a_failed_event_processes_it(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, page = await tenant_with_page(client, session)
    event_id = await deliver(client, session, text_to(page, "eventually"))
    with monkeypatch.context() as patch:
        fail_recording(patch)
        with pytest.raises(Retry):
            await process(event_id)
    # the cause is fixed now

    response = await client.post(f"{EVENTS}/{event_id}/replay", headers=account.headers)
    assert response.status_code == 202
    assert await process(event_id) == "processed"

    (item,) = (await listed(client, account))["items"]
    assert (item["status"], item["attempts"], item["last_error"]) == ("processed", 1, None)
    assert [m.text for m in (await session.execute(select(Message))).scalars()] == ["eventually"]


async def test_another_tenants_event_cannot_be_replayed(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    _, page = await tenant_with_page(client, session)
    intruder, _ = await tenant_with_page(client, session, "Intruder")
    event_id = await delivered(client, session, text_to(page))
    malformed = await delivered(client, session, b"not json")
    await redis.flushdb()

    for target in (event_id, malformed, uuid.uuid4()):
        response = await client.post(f"{EVENTS}/{target}/replay", headers=intruder.headers)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert (await event_row(session, event_id)).status is WebhookEventStatus.PROCESSED
    assert await queued_jobs(redis, WEBHOOK_QUEUE_NAME) == []


async def test_only_owners_and_admins_may_operate(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, page = await tenant_with_page(client, session)
    event_id = await delivered(client, session, text_to(page))
    agent = await create_agent(client, session, account.tenant_id)

    responses = [
        await client.get(EVENTS, headers=agent),
        await client.post(f"{EVENTS}/{event_id}/replay", headers=agent),
        await client.get(CHANNELS, headers=agent),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    anonymous = [
        await client.get(EVENTS),
        await client.post(f"{EVENTS}/{event_id}/replay"),
        await client.get(CHANNELS),
    ]
    assert [r.status_code for r in anonymous] == [401, 401, 401]
    assert (await event_row(session, event_id)).status is WebhookEventStatus.PROCESSED


# --- channel health -----------------------------------------------------------------


async def test_channel_stats_count_processed_failed_dead_and_pending(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, page = await tenant_with_page(client, session)
    quiet = await create_whatsapp_channel(session, account.tenant_id)
    other, other_page = await tenant_with_page(client, session, "Other")
    for i in range(3):
        await delivered(client, session, text_to(page, f"ok {i}"))
    await delivered(client, session, text_to(other_page, "not ours"))
    replayed = await delivered(client, session, text_to(page, "replayed"))
    assert (
        await client.post(f"{EVENTS}/{replayed}/replay", headers=account.headers)
    ).status_code == 202
    fail_recording(monkeypatch)
    failing = await deliver(client, session, text_to(page, "fails"))
    with pytest.raises(Retry):
        await process(failing)
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 1)
    dying = await deliver(client, session, text_to(page, "dies"))
    assert await process(dying) == "dead"

    response = await client.get(CHANNELS, headers=account.headers)

    assert response.status_code == 200, response.text
    stats = {item["channel_id"]: item for item in response.json()["items"]}
    assert set(stats) == {str(page.id), str(quiet.id)}  # never another tenant's channel
    busy = stats[str(page.id)]
    assert (busy["processed_24h"], busy["failed"], busy["dead"], busy["pending"]) == (3, 1, 1, 1)
    assert busy["kind"] == "messenger" and busy["channel_name"] == page.name
    assert busy["lag_ms"] is not None and busy["lag_ms"] >= 0
    assert busy["last_event_at"] is not None
    idle = stats[str(quiet.id)]
    assert (idle["processed_24h"], idle["failed"], idle["dead"], idle["pending"]) == (0, 0, 0, 0)
    assert (idle["lag_ms"], idle["last_event_at"]) == (None, None)
    theirs = (await client.get(CHANNELS, headers=other.headers)).json()["items"]
    assert [(s["channel_id"], s["processed_24h"]) for s in theirs] == [(str(other_page.id), 1)]


async def test_the_backlog_counts_stored_deliveries_before_any_worker_routed_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Workers down or behind: nothing is routed yet, but each channel's admins see its
    backlog, from the page / phone number / WABA ids the stored body names."""
    account, page = await tenant_with_page(client, session)
    number = await create_whatsapp_channel(session, account.tenant_id)
    other, other_page = await tenant_with_page(client, session, "Other")
    await deliver(client, session, text_to(page, "one"))
    await deliver(client, session, text_to(page, "two"))
    await deliver(client, session, wa_messages(number, wa_message("447700900123", "text")))
    template = {"event": "APPROVED", "message_template_id": 1, "message_template_name": "hi"}
    assert number.waba_id is not None
    await deliver(
        client, session, wa_payload(number.waba_id, ("message_template_status_update", template))
    )
    await deliver(client, session, text_to(other_page, "theirs"))
    assert await count(session, WebhookEventRoute) == 0  # no worker has run

    stats = {
        s["channel_id"]: s["pending"]
        for s in (await client.get(CHANNELS, headers=account.headers)).json()["items"]
    }
    theirs = (await client.get(CHANNELS, headers=other.headers)).json()["items"]

    assert stats == {str(page.id): 2, str(number.id): 2}  # the WABA's template update too
    assert [(s["channel_id"], s["pending"]) for s in theirs] == [(str(other_page.id), 1)]


def test_ingest_labels_a_body_with_the_ids_it_names() -> None:
    messenger = json.dumps(page_entries(page_entry("111"), page_entry("222"))).encode()
    numbers = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA1",
                "changes": [
                    {"field": "messages", "value": {"metadata": {"phone_number_id": "P1"}}},
                    {"field": "messages", "value": {"metadata": {"phone_number_id": "P2"}}},
                ],
            },
            {"id": "WABA2", "changes": [{"field": "account_update", "value": {}}]},
        ],
    }

    assert label_of(messenger) == Label("page", ["111", "222"])
    assert label_of(json.dumps(numbers).encode()) == Label(
        "whatsapp_business_account", ["P1", "P2", "WABA2"]
    )
    assert label_of(b"not json") == Label()
    assert label_of(b'["a list"]') == Label()
    assert label_of(b'{"object": "page\\u0000x", "entry": [{"id": ["odd"]}, 7]}') == Label(
        "pagex", None
    )


async def test_processing_from_long_ago_is_not_counted_in_the_last_24_hours(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, page = await tenant_with_page(client, session)
    old = await delivered(client, session, text_to(page, "old"))
    await delivered(client, session, text_to(page, "new"))
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == old)
        .values(processed_at=datetime.now(UTC) - timedelta(hours=25))
    )
    await session.commit()

    (stats,) = (await client.get(CHANNELS, headers=account.headers)).json()["items"]
    assert stats["processed_24h"] == 1


# --- queues and retention -----------------------------------------------------------


async def test_ingest_enqueues_on_the_webhook_queue_only(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    _, page = await tenant_with_page(client, session)

    event_id = await deliver(client, session, text_to(page))

    assert await queued_jobs(redis, WEBHOOK_QUEUE_NAME) == [f"webhook:{event_id}"]
    assert await queued_jobs(redis, QUEUE_NAME) == []
    assert await redis.exists(f"arq:job:webhook:{event_id}")  # the job body, for the worker


async def test_the_sweeper_requeues_stale_events_on_the_webhook_queue(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, page = await tenant_with_page(client, session)
    lost = await deliver(client, session, text_to(page, "lost"))
    done = await delivered(client, session, text_to(page, "done"))
    fail_recording(monkeypatch)
    failed = await deliver(client, session, text_to(page, "failed"))
    with pytest.raises(Retry):
        await process(failed)
    await redis.flushdb()  # Redis lost every queue entry
    monkeypatch.setattr(tasks, "SWEEP_AFTER", timedelta(seconds=0))

    assert await tasks.sweep_webhook_events({}) == 2

    assert sorted(await queued_jobs(redis, WEBHOOK_QUEUE_NAME)) == sorted(
        [f"webhook:{lost}", f"webhook:{failed}"]
    )
    assert f"webhook:{done}" not in await queued_jobs(redis, WEBHOOK_QUEUE_NAME)
    assert await queued_jobs(redis, QUEUE_NAME) == []


async def test_recent_events_are_not_swept(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    _, page = await tenant_with_page(client, session)
    await deliver(client, session, text_to(page))
    await redis.flushdb()

    assert await tasks.sweep_webhook_events({}) == 0  # its own job may still be on the way
    assert await queued_jobs(redis, WEBHOOK_QUEUE_NAME) == []


async def test_prune_deletes_old_processed_events_and_keeps_the_rest(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, page = await tenant_with_page(client, session)
    old_done = await delivered(client, session, text_to(page, "old"))
    recent_done = await delivered(client, session, text_to(page, "recent"))
    old_dead = await delivered(client, session, b"[broken")
    old_failed = await deliver(client, session, text_to(page, "failed long ago"))
    with monkeypatch.context() as patch:
        fail_recording(patch)
        with pytest.raises(Retry):
            await process(old_failed)
    long_ago = datetime.now(UTC) - timedelta(days=31)
    for event_id in (old_done, old_dead, old_failed):
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(received_at=long_ago, processed_at=long_ago)
        )
    await session.commit()
    messages_before = await count(session, Message)

    assert await tasks.prune_webhook_events({}) == 1

    left = set((await session.execute(select(WebhookEvent.id))).scalars())
    assert left == {recent_done, old_dead, old_failed}
    routes = set((await session.execute(select(WebhookEventRoute.event_id))).scalars())
    assert old_done not in routes and recent_done in routes
    assert await count(session, Message) == messages_before  # only raw deliveries go


async def test_prune_follows_webhook_retention_days(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, page = await tenant_with_page(client, session)
    three_days = await delivered(client, session, text_to(page, "3 days"))
    one_day = await delivered(client, session, text_to(page, "1 day"))
    for event_id, age in ((three_days, 3), (one_day, 1)):
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(processed_at=datetime.now(UTC) - timedelta(days=age))
        )
    await session.commit()
    assert await tasks.prune_webhook_events({}) == 0  # default: 30 days

    monkeypatch.setenv("WEBHOOK_RETENTION_DAYS", "2")
    get_settings.cache_clear()
    try:
        assert await tasks.prune_webhook_events({}) == 1
    finally:
        monkeypatch.delenv("WEBHOOK_RETENTION_DAYS")
        get_settings.cache_clear()

    left = set((await session.execute(select(WebhookEvent.id))).scalars())
    assert left == {one_day}
