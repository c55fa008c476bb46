"""Delivering: signed end to end to a real receiver, retries with backoff, giving up, the
delivery log, re-send, the SSRF guard at send time, the sweeper and retention."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from arq import Retry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import OutgoingWebhookSettings
from api.models import AuditLog, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from api.outgoing import addresses, delivery, signing
from api.outgoing.delivery import BACKOFF_SECONDS, backoff
from tests.api.outgoing.conftest import Receiver, create_endpoint, verify_signature
from tests.helpers import (
    Account,
    create_account,
    create_messenger_channel,
    messenger_text_payload,
    signed,
)
from worker import tasks

URL = "/api/webhook-endpoints"


async def ping(client: httpx.AsyncClient, account: Account, endpoint: dict[str, Any]) -> uuid.UUID:
    response = await client.post(f"{URL}/{endpoint['id']}/test", headers=account.headers)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


async def load(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery:
    row = await session.get(WebhookDelivery, delivery_id, populate_existing=True)
    assert row is not None
    return row


async def make_due(session: AsyncSession, delivery_id: uuid.UUID) -> None:
    """Let the backoff pass."""
    row = await load(session, delivery_id)
    row.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    await session.commit()


async def run(delivery_id: uuid.UUID) -> str:
    return await tasks.deliver_outgoing_webhook({}, str(delivery_id))


async def endpoint_for(
    client: httpx.AsyncClient, receiver: Receiver, events: list[str] | None = None
) -> tuple[Account, dict[str, Any]]:
    account = await create_account(client)
    created = await create_endpoint(client, account, receiver.url, events)
    receiver.secret = created["secret"]
    return account, created


async def test_a_customer_message_reaches_the_receiver_signed(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver, redis: Any
) -> None:
    account, endpoint = await endpoint_for(client, receiver, ["message.created"])
    channel = await create_messenger_channel(session, account.tenant_id)
    body, headers = signed(messenger_text_payload(channel.external_id, "555", "Where is my order?"))
    assert (
        await client.post("/api/webhooks/meta", content=body, headers=headers)
    ).status_code == 200
    from api.models import WebhookEvent

    event_id = (await session.execute(select(WebhookEvent.id))).scalar_one()
    assert await tasks.process_webhook_event({"job_try": 1}, str(event_id)) == "processed"

    # One delivery (the endpoint did not subscribe to conversation.updated), committed with
    # the message, and its job enqueued after the commit.
    (row,) = (await session.execute(select(WebhookDelivery))).scalars()
    assert row.event_type == "message.created" and row.status is WebhookDeliveryStatus.PENDING
    assert row.endpoint_id == uuid.UUID(endpoint["id"]) and row.tenant_id == account.tenant_id
    assert await redis.exists(f"arq:job:outgoing:{row.id}")

    assert await run(row.id) == "succeeded"

    (received,) = receiver.received
    assert received.verified, received.rejection
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "Parley-Webhooks/1"
    assert received.headers["parley-event"] == "message.created"
    assert received.headers["parley-delivery"] == str(row.id)
    event = received.json
    assert event["id"] == str(row.event_id) and event["type"] == "message.created"
    assert event["tenant_id"] == str(account.tenant_id)
    assert datetime.fromisoformat(event["created_at"]).tzinfo is not None
    assert event["data"]["message"]["text"] == "Where is my order?"
    assert event["data"]["message"]["direction"] == "inbound"
    assert "seq" not in event["data"]
    assert "whsec_" not in received.body.decode() and "page-token" not in received.body.decode()
    row = await load(session, row.id)
    assert row.status is WebhookDeliveryStatus.SUCCEEDED
    assert (row.attempts, row.response_status, row.response_body, row.error) == (1, 200, "ok", None)
    assert row.duration_ms is not None and row.last_attempt_at is not None
    assert row.next_attempt_at is None
    # The log shows exactly the bytes that were signed and sent.
    detail = await client.get(f"/api/webhook-deliveries/{row.id}", headers=account.headers)
    assert detail.json()["request_body"].encode() == received.body
    assert detail.json()["response_body"] == "ok"


async def test_the_receiver_rejects_a_tampered_body_and_a_replayed_timestamp(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    delivery_id = await ping(client, account, endpoint)
    await run(delivery_id)
    (good,) = receiver.received
    assert good.verified

    secret = endpoint["secret"]
    header = good.headers["parley-signature"]
    now = time.time()
    assert verify_signature(secret, header, good.body, now) is None
    assert (
        verify_signature(secret, header, good.body.replace(b"ping", b"pong"), now)
        == "bad signature"
    )
    assert verify_signature(secret, header, good.body, now + 301) == "stale timestamp"
    assert verify_signature("whsec_wrong", header, good.body, now) == "bad signature"


async def test_a_stale_signature_is_refused_by_the_receiver_and_retried(
    client: httpx.AsyncClient,
    session: AsyncSession,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    delivery_id = await ping(client, account, endpoint)
    # Parley's clock far behind the receiver's (or a captured delivery replayed later).
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: time.time() - 3600))

    with pytest.raises(Retry):
        await run(delivery_id)

    assert receiver.received[0].rejection == "stale timestamp"
    row = await load(session, delivery_id)
    assert (row.status, row.response_status, row.error) == (
        WebhookDeliveryStatus.PENDING,
        401,
        "HTTP 401",
    )
    assert row.response_body == "stale timestamp"


async def test_a_500_is_retried_after_its_backoff_then_succeeds(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    delivery_id = await ping(client, account, endpoint)
    receiver.respond(500, b"database down")
    started = datetime.now(UTC)

    with pytest.raises(Retry) as retry:
        await run(delivery_id)

    row = await load(session, delivery_id)
    assert row.status is WebhookDeliveryStatus.PENDING
    assert (row.attempts, row.response_status, row.response_body, row.error) == (
        1,
        500,
        "database down",
        "HTTP 500",
    )
    assert row.next_attempt_at is not None
    wait = (row.next_attempt_at - started).total_seconds()
    assert 27 <= wait <= 34
    assert retry.value.defer_score is not None and 27_000 <= retry.value.defer_score <= 33_000
    # Run early (a duplicate job), nothing is sent.
    assert await run(delivery_id) == "not due"
    assert len(receiver.received) == 1

    await make_due(session, delivery_id)
    assert await run(delivery_id) == "succeeded"

    row = await load(session, delivery_id)
    assert (row.status, row.attempts, row.response_status, row.error) == (
        WebhookDeliveryStatus.SUCCEEDED,
        2,
        200,
        None,
    )
    first, second = receiver.received
    assert first.body == second.body  # the same bytes every attempt
    assert first.headers["parley-delivery"] == second.headers["parley-delivery"]


def test_backoff_grows_from_30_seconds_to_a_day_with_jitter() -> None:
    assert BACKOFF_SECONDS == (30, 120, 600, 3600, 21600, 43200, 86400)
    for attempt, base in enumerate(BACKOFF_SECONDS, start=1):
        waits = {backoff(attempt).total_seconds() for _ in range(50)}
        assert all(base * 0.9 <= w <= base * 1.1 for w in waits)
        assert len(waits) > 1  # jittered
    assert 86400 * 0.9 <= backoff(12).total_seconds() <= 86400 * 1.1


async def test_a_delivery_fails_for_good_after_the_last_attempt(
    client: httpx.AsyncClient,
    session: AsyncSession,
    receiver: Receiver,
    outgoing_settings: OutgoingWebhookSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outgoing_settings, "max_attempts", 3)
    account, endpoint = await endpoint_for(client, receiver)
    delivery_id = await ping(client, account, endpoint)
    for _ in range(3):
        receiver.respond(503, b"busy")

    for _ in range(2):
        with pytest.raises(Retry):
            await run(delivery_id)
        await make_due(session, delivery_id)
    assert await run(delivery_id) == "failed after 3 attempts"

    row = await load(session, delivery_id)
    assert (row.status, row.attempts, row.response_status, row.next_attempt_at) == (
        WebhookDeliveryStatus.FAILED,
        3,
        503,
        None,
    )
    assert await run(delivery_id) == "already failed"
    assert len(receiver.received) == 3


async def test_timeouts_refused_connections_and_redirects_are_failed_attempts(
    client: httpx.AsyncClient,
    session: AsyncSession,
    receiver: Receiver,
    outgoing_settings: OutgoingWebhookSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account, endpoint = await endpoint_for(client, receiver)

    monkeypatch.setattr(outgoing_settings, "timeout_seconds", 0.3)
    receiver.delay = 1.0
    slow = await ping(client, account, endpoint)
    with pytest.raises(Retry):
        await run(slow)
    row = await load(session, slow)
    assert (row.response_status, row.error) == (None, "timed out after 0.3 s")
    assert row.duration_ms is not None and 250 <= row.duration_ms < 1000

    receiver.delay = 0
    receiver.respond(302, b"", {"Location": "http://169.254.169.254/latest"})
    moved = await ping(client, account, endpoint)
    with pytest.raises(Retry):
        await run(moved)
    row = await load(session, moved)
    assert (row.response_status, row.error) == (302, "HTTP 302: redirects are not followed")
    assert len(receiver.received) == 2  # the redirect was not followed

    closed = await create_endpoint(client, account, "http://127.0.0.1:9/nobody-listens")
    refused = await ping(client, account, closed)
    with pytest.raises(Retry):
        await run(refused)
    row = await load(session, refused)
    assert row.response_status is None and row.error is not None
    assert row.error.startswith("connection failed")


async def test_only_the_first_2_kb_of_an_answer_are_kept(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    receiver.respond(200, b"a" * 10_000 + b"\x00")
    delivery_id = await ping(client, account, endpoint)

    assert await run(delivery_id) == "succeeded"

    row = await load(session, delivery_id)
    assert row.response_body == "a" * 2048


async def test_resend_sends_the_same_event_again_as_a_new_delivery(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver, redis: Any
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    original = await ping(client, account, endpoint)
    await run(original)

    response = await client.post(
        f"/api/webhook-deliveries/{original}/resend", headers=account.headers
    )

    assert response.status_code == 202, response.text
    resent = response.json()
    assert resent["id"] != str(original) and resent["status"] == "pending"
    first = await load(session, original)
    assert resent["event_id"] == str(first.event_id) and resent["attempts"] == 0
    assert await redis.exists(f"arq:job:outgoing:{resent['id']}")
    assert await run(uuid.UUID(resent["id"])) == "succeeded"
    one, two = receiver.received
    assert one.body == two.body and two.verified
    assert two.headers["parley-delivery"] == resent["id"]
    entry = (
        await session.execute(select(AuditLog).where(AuditLog.action == "webhook_delivery.resent"))
    ).scalar_one()
    assert entry.details["delivery_id"] == str(original)
    assert entry.details["new_delivery_id"] == resent["id"]
    assert entry.target_id == endpoint["id"]


async def test_the_test_button_sends_a_ping(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver, redis: Any
) -> None:
    account, endpoint = await endpoint_for(client, receiver)

    delivery_id = await ping(client, account, endpoint)

    assert await redis.exists(f"arq:job:outgoing:{delivery_id}")
    assert await run(delivery_id) == "succeeded"
    (received,) = receiver.verified
    assert received.headers["parley-event"] == "ping"
    assert received.json["type"] == "ping"
    assert received.json["data"]["endpoint_id"] == endpoint["id"]
    listed = await client.get(URL, headers=account.headers)
    last = listed.json()["items"][0]["last_delivery"]
    assert last["id"] == str(delivery_id) and last["status"] == "succeeded"
    assert last["response_status"] == 200


async def test_the_rotated_secret_signs_the_next_attempt(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    rotated = await client.post(f"{URL}/{endpoint['id']}/rotate-secret", headers=account.headers)
    delivery_id = await ping(client, account, endpoint)

    with pytest.raises(Retry):  # the receiver still has the old secret
        await run(delivery_id)
    receiver.secret = rotated.json()["secret"]
    await make_due(session, delivery_id)
    assert await run(delivery_id) == "succeeded"

    assert [r.rejection for r in receiver.received] == ["bad signature", None]


async def test_a_disabled_endpoints_pending_deliveries_are_not_sent(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    delivery_id = await ping(client, account, endpoint)
    # Disabled behind the service's back (e.g. the job was already queued elsewhere).
    row = await session.get(WebhookEndpoint, uuid.UUID(endpoint["id"]))
    assert row is not None
    row.enabled = False
    await session.commit()

    assert await run(delivery_id) == "endpoint disabled"

    assert receiver.received == []
    delivery_row = await load(session, delivery_id)
    assert (delivery_row.status, delivery_row.error, delivery_row.attempts) == (
        WebhookDeliveryStatus.FAILED,
        "endpoint disabled",
        0,
    )


async def test_the_delivery_log_pages_newest_first_and_filters_by_status(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    ids = [await ping(client, account, endpoint) for _ in range(3)]
    receiver.respond(500)
    with pytest.raises(Retry):
        await run(ids[0])
    await run(ids[1])
    base = f"{URL}/{endpoint['id']}/deliveries"

    first = await client.get(base, params={"limit": 2}, headers=account.headers)
    second = await client.get(
        base, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=account.headers
    )
    succeeded = await client.get(base, params={"status": "succeeded"}, headers=account.headers)
    bad_cursor = await client.get(base, params={"cursor": "nope"}, headers=account.headers)
    bad_status = await client.get(base, params={"status": "lost"}, headers=account.headers)

    page = [item["id"] for item in first.json()["items"] + second.json()["items"]]
    assert page == [str(i) for i in reversed(ids)]
    assert second.json()["next_cursor"] is None
    assert [item["id"] for item in succeeded.json()["items"]] == [str(ids[1])]
    oldest = second.json()["items"][0]
    assert (oldest["status"], oldest["attempts"], oldest["response_status"]) == ("pending", 1, 500)
    assert "request_body" not in oldest
    assert bad_cursor.status_code == 400 and bad_cursor.json()["error"] == "invalid_cursor"
    assert bad_status.status_code == 422


async def test_the_address_is_checked_again_before_each_attempt(
    client: httpx.AsyncClient,
    session: AsyncSession,
    outgoing_settings: OutgoingWebhookSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A host that resolved to a public address when registered and to a private one
    later (DNS rebinding) is refused; nothing is sent."""
    monkeypatch.setattr(outgoing_settings, "allow_private", False)
    answers = {"hooks.example.com": ["93.184.216.34"]}

    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]

    monkeypatch.setattr(addresses, "resolve", resolve)
    account = await create_account(client)
    endpoint = await create_endpoint(client, account, "https://hooks.example.com/in?k=1")
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    first = await ping(client, account, endpoint)
    assert (await delivery.deliver(first, http=http)).summary == "succeeded"
    answers["hooks.example.com"] = ["10.0.0.7"]
    second = await ping(client, account, endpoint)
    outcome = await delivery.deliver(second, http=http)

    # The first went to the checked address itself, named for Host and TLS (SNI).
    (request,) = sent
    assert request.url.host == "93.184.216.34" and request.url.port is None
    assert request.url.path == "/in" and request.url.query == b"k=1"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert outcome.retry_in is not None
    row = await load(session, second)
    assert row.status is WebhookDeliveryStatus.PENDING and row.response_status is None
    assert row.error is not None and row.error.startswith("refused: ") and "10.0.0.7" in row.error


async def test_the_sweeper_re_enqueues_overdue_deliveries_only(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver, redis: Any
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    overdue = await ping(client, account, endpoint)
    fresh = await ping(client, account, endpoint)
    done = await ping(client, account, endpoint)
    await run(done)
    row = await load(session, overdue)
    row.next_attempt_at = datetime.now(UTC) - timedelta(minutes=5)
    await session.commit()
    await redis.flushdb()  # Redis lost its jobs

    assert await tasks.sweep_outgoing_webhooks({}) == 1

    assert await redis.exists(f"arq:job:outgoing:{overdue}")
    assert not await redis.exists(f"arq:job:outgoing:{fresh}")
    assert not await redis.exists(f"arq:job:outgoing:{done}")


async def test_old_deliveries_are_pruned(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    old, recent = await ping(client, account, endpoint), await ping(client, account, endpoint)
    row = await load(session, old)
    row.created_at = datetime.now(UTC) - timedelta(days=31)
    await session.commit()

    assert await tasks.prune_outgoing_webhooks({}) == 1

    assert await session.get(WebhookDelivery, old, populate_existing=True) is None
    assert await session.get(WebhookDelivery, recent, populate_existing=True) is not None


async def test_the_job_for_a_deleted_endpoint_does_nothing(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    account, endpoint = await endpoint_for(client, receiver)
    delivery_id = await ping(client, account, endpoint)
    await client.delete(f"{URL}/{endpoint['id']}", headers=account.headers)

    assert await run(delivery_id) == "missing or busy"
    assert receiver.received == []


def test_the_body_is_compact_json_with_the_envelope_first() -> None:
    from api.outgoing.catalog import request_body

    body = request_body(
        {"data": {"b": 1}, "tenant_id": "t", "type": "x", "id": "i", "created_at": "c"}
    )
    assert body == b'{"id":"i","type":"x","created_at":"c","tenant_id":"t","data":{"b":1}}'
    assert json.loads(body)["data"] == {"b": 1}
