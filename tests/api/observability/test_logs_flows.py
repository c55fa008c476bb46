"""Done-means for the logs (issue 8): real flows through the app and the worker jobs, every
log line captured as JSON at DEBUG, then scanned. No secret used on the way (passwords,
tokens, API keys, the webhook and app secrets, message texts) is in any line, and the
lines carry their request, job, tenant and Meta trace ids."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from arq import Retry
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.inbox.ingest import InboundRecorder
from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.models import Conversation, WebhookDelivery, WebhookEvent
from tests.api.meta.conftest import meta
from tests.api.meta.fake_meta import FakeMeta, FakeUser, graph_error
from tests.api.meta.flows import connect_pages, messenger_login
from tests.api.observability.test_logs import Captured, captured
from tests.api.outgoing.conftest import Receiver, create_endpoint, receiver
from tests.helpers import create_account, messenger_text_payload, signed
from worker import tasks
from worker.instrument import instrumented

__all__ = ["captured", "meta", "receiver"]

PASSWORD = "correct horse battery"  # tests.helpers.create_account's
WRONG_PASSWORD = "Tr0ub4dor&3-not-mine"
SHORT, LONG = "LOGSshortUSERtoken7c1e", "LOGSlongLIVEDtoken2b9d"
PAGE, PAGE_2 = "LOGSpageTOKENsupport5a0f", "LOGSpageTOKENsales81d2"
BUSINESS = "LOGSbusinessTOKEN9e44"
INBOUND = "Hi, my order 5521 never came; my address is 12 Rue Oberkampf"
INBOUND_2 = "Also my phone number changed to +33 6 12 34 56 78"
REPLY = "So sorry! We are sending a new parcel to Rue Oberkampf today."
META_TRACE = "AmetaHeaderTrace42"


@pytest.fixture
def secrets_used() -> list[str]:
    settings = get_settings()
    return [
        PASSWORD,
        WRONG_PASSWORD,
        SHORT,
        LONG,
        PAGE,
        PAGE_2,
        BUSINESS,
        INBOUND,
        INBOUND_2,
        REPLY,
        settings.meta.app_secret,
        settings.meta.verify_token,
        settings.auth.jwt_secret,
    ]


def _leaky_user(meta: FakeMeta) -> FakeUser:
    user = meta.users[0]
    user.short_token, user.long_token, user.business_token = SHORT, LONG, BUSINESS
    user.pages[0].access_token, user.pages[1].access_token = PAGE, PAGE_2
    return user


def job(task: Any, name: str, queue: str = QUEUE_NAME) -> Any:
    """The job as the worker runs it: inside the instrumentation wrapper."""
    return instrumented(task, name=name, queue=queue)


def job_ctx(job_id: str) -> dict[str, Any]:
    return {"job_id": job_id, "job_try": 1, "enqueue_time": datetime.now(UTC)}


async def latest_event(session: AsyncSession) -> uuid.UUID:
    statement = select(WebhookEvent.id).order_by(WebhookEvent.received_at.desc()).limit(1)
    return (await session.execute(statement)).scalar_one()


async def deliver(client: httpx.AsyncClient, session: AsyncSession, payload: Any) -> uuid.UUID:
    body, headers = signed(payload)
    response = await client.post("/api/webhooks/meta", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return await latest_event(session)


class Flows:
    """Runs every flow once; keeps what the assertions need."""

    def __init__(self, client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta) -> None:
        self.client, self.session, self.meta = client, session, meta
        self.secrets: list[str] = []

    async def accounts(self) -> None:
        self.account = await create_account(self.client)
        ok = await self.client.post(
            "/api/auth/login", json={"email": self.account.email, "password": PASSWORD}
        )
        assert ok.status_code == 200
        self.secrets += [ok.json()["access_token"], ok.json()["refresh_token"]]
        self.secrets += [self.account.access_token, self.account.refresh_token]
        for email in (self.account.email, "nobody-here@example.com"):
            bad = await self.client.post(
                "/api/auth/login",
                json={"email": email, "password": WRONG_PASSWORD},
                headers={"X-Request-ID": f"bad-login-{email[:6]}"},
            )
            assert bad.status_code == 401

    async def api_key(self) -> None:
        created = await self.client.post(
            "/api/api-keys",
            json={"name": "crm sync", "role": "admin"},
            headers=self.account.headers,
        )
        assert created.status_code == 201, created.text
        self.key = created.json()["secret"]
        self.secrets.append(self.key.split("_", 2)[2])  # the part after the shown prefix
        used = await self.client.get(
            "/api/channels", headers={"Authorization": f"Bearer {self.key}"}
        )
        assert used.status_code == 200
        wrong = await self.client.get(
            "/api/channels", headers={"Authorization": f"Bearer {self.key[:-4]}WXYZ"}
        )
        assert wrong.status_code == 401

    async def connect_page(self) -> None:
        """Facebook Login, then a connect that Meta refuses once (logged within the
        request), then the connect that works."""
        user = _leaky_user(self.meta)
        meta_account = await messenger_login(self.client, self.account, user)
        self.page_id = user.pages[0].id
        self.meta.fail(
            "POST", f"{self.page_id}/subscribed_apps", graph_error(190, "Session expired")
        )
        refused = await connect_pages(self.client, self.account, meta_account, [self.page_id])
        assert refused.status_code == 409, refused.text
        self.meta.failures.clear()
        connected = await connect_pages(self.client, self.account, meta_account, [self.page_id])
        assert connected.status_code == 201, connected.text
        self.channel = connected.json()["items"][0]

    async def outgoing_endpoint(self, receiver: Receiver) -> None:
        created = await create_endpoint(
            self.client, self.account, receiver.url, ["message.created"]
        )
        receiver.secret = created["secret"]
        self.secrets.append(created["secret"])
        revealed = await self.client.get(
            f"/api/webhook-endpoints/{created['id']}/secret", headers=self.account.headers
        )
        assert revealed.status_code == 200, revealed.text

    async def customer_writes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The first delivery fails in PostgreSQL (with the text as a parameter), then
        succeeds on the retry; a second message arrives too."""
        now = int(datetime.now(UTC).timestamp() * 1000)
        payload = messenger_text_payload(self.page_id, "7701", INBOUND, ts=now)
        self.event_id = await deliver(self.client, self.session, payload)
        process = job(tasks.process_webhook_event, "webhooks.process_event", WEBHOOK_QUEUE_NAME)

        async def refused_by_postgres(recorder: InboundRecorder, channel: Any, item: Any) -> None:
            statement = text("SELECT CAST(CAST(:body AS text) AS integer)")
            await recorder.session.execute(statement, {"body": item.text})

        with monkeypatch.context() as patch:
            patch.setattr(InboundRecorder, "record", refused_by_postgres)
            with pytest.raises(Retry):
                await process(job_ctx(f"webhook:{self.event_id}"), str(self.event_id))
        assert await process(job_ctx(f"webhook:{self.event_id}"), str(self.event_id)) == (
            "processed"
        )
        second = await deliver(
            self.client,
            self.session,
            messenger_text_payload(self.page_id, "7701", INBOUND_2, ts=now + 1000),
        )
        assert await process(job_ctx(f"webhook:{second}"), str(second)) == "processed"

    async def outgoing_deliveries(self) -> None:
        deliveries = (await self.session.execute(select(WebhookDelivery.id))).scalars().all()
        assert deliveries
        for delivery_id in deliveries:
            deliver_job = job(tasks.deliver_outgoing_webhook, "outgoing_webhooks.deliver")
            await deliver_job(job_ctx(f"outgoing:{delivery_id}"), str(delivery_id))

    async def reply_refused_by_meta(self) -> None:
        def refuse(request: httpx.Request, _: Any) -> httpx.Response:
            error = {"message": "(#551) This person isn't available right now.", "code": 551}
            return httpx.Response(400, json={"error": error}, headers={"x-fb-trace-id": META_TRACE})

        self.meta.on("POST", r"(\d+)/messages", refuse)
        conversation = (await self.session.execute(select(Conversation))).scalar_one()
        sent = await self.client.post(
            f"/api/inbox/conversations/{conversation.id}/messages",
            json={"text": REPLY},
            headers=self.account.headers,
        )
        assert sent.status_code == 202, sent.text
        self.message_id = sent.json()["id"]
        send = job(tasks.send_message, "inbox.send_message")
        outcome = await send(job_ctx(f"send:{self.message_id}"), self.message_id)
        assert outcome == "failed 551"

    async def disconnect_with_the_api_key(self) -> None:
        self.meta.fail(
            "DELETE", f"{self.page_id}/subscribed_apps", graph_error(190, "Session expired")
        )
        response = await self.client.delete(
            f"/api/channels/{self.channel['id']}",
            headers={"Authorization": f"Bearer {self.key}", "X-Request-ID": "disconnect-1"},
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def flows(
    client: httpx.AsyncClient,
    session: AsyncSession,
    meta: FakeMeta,
    receiver: Receiver,
    captured: Captured,
    monkeypatch: pytest.MonkeyPatch,
    redis: object,
    graph: respx.MockRouter,
) -> Flows:
    graph.route(host="127.0.0.1").pass_through()  # the outgoing webhook's real receiver
    run = Flows(client, session, meta)
    await run.accounts()
    await run.api_key()
    await run.connect_page()
    await run.outgoing_endpoint(receiver)
    await run.customer_writes(monkeypatch)
    await run.outgoing_deliveries()
    await run.reply_refused_by_meta()
    await run.disconnect_with_the_api_key()
    assert receiver.verified, "the outgoing webhook reached its endpoint, signed"
    return run


def lines_with(captured: Captured, fragment: str) -> Iterator[dict[str, Any]]:
    return (line for line in captured.lines() if fragment in json.dumps(line))


async def test_no_secret_and_no_message_text_in_any_log_line(
    flows: Flows, captured: Captured, secrets_used: list[str]
) -> None:
    output = captured.text()
    lines = captured.lines()  # every line is one JSON object

    loggers = {line["logger"] for line in lines}
    assert {"api.auth.service", "api.meta.graph", "worker.tasks", "api.channels.service"} <= (
        loggers
    ), output
    leaks = [
        (secret[:12], line["message"][:120])
        for secret in [*secrets_used, *flows.secrets]
        for line in lines
        if secret in json.dumps(line, ensure_ascii=False)
    ]
    assert leaks == []
    assert "access_token=" not in output.replace("access_token=[redacted]", "")


async def test_request_lines_carry_the_request_and_the_caller(
    flows: Flows, captured: Captured
) -> None:
    unknown = captured.find("login_failed for an unknown account")
    assert unknown["request_id"] == "bad-login-nobody"
    assert "tenant_id" not in unknown  # nobody was authenticated

    unsubscribe = captured.find("could not unsubscribe channel")
    assert unsubscribe["request_id"] == "disconnect-1"
    assert unsubscribe["tenant_id"] == str(flows.account.tenant_id)
    assert "api_key_id" in unsubscribe and "user_id" not in unsubscribe
    assert unsubscribe["meta_trace_id"] == "AfakeTrace123"  # from Meta's error body


async def test_job_lines_carry_the_job_the_tenant_and_metas_trace_id(
    flows: Flows, captured: Captured
) -> None:
    failed = captured.find(f"webhook event {flows.event_id} failed")
    assert failed["job_id"] == f"webhook:{flows.event_id}"
    assert (failed["job"], failed["queue"]) == ("webhooks.process_event", WEBHOOK_QUEUE_NAME)
    assert failed["tenant_id"] == str(flows.account.tenant_id)
    assert "InvalidTextRepresentation" in failed["exception"]

    graph = captured.find("/messages failed: 551")
    assert graph["job_id"] == f"send:{flows.message_id}"
    assert graph["job"] == "inbox.send_message"
    assert graph["tenant_id"] == str(flows.account.tenant_id)
    assert graph["meta_trace_id"] == META_TRACE  # Meta's x-fb-trace-id header


async def test_no_line_outlives_its_request_or_job_context(
    flows: Flows, captured: Captured
) -> None:
    """Lines written between flows (the test's own code) carry no leftover ids."""
    logging.getLogger("tests").warning("between flows")
    line = captured.find("between flows")
    assert not {"request_id", "job_id", "tenant_id", "meta_trace_id"} & set(line)
