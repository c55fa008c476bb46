"""The api's Prometheus endpoint and the series it moves: HTTP requests by route template,
webhook deliveries by outcome, Graph calls by endpoint template and error code, sends by
status. Real app, PostgreSQL and Redis; Meta mocked at the boundary (respx)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import respx
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.meta.errors import GraphError
from api.meta.graph import GraphClient
from api.observability import metrics
from tests.api.inbox.test_router import setup_conversation
from tests.helpers import messenger_text_payload, signed
from tests.worker.test_send_message import queue_reply
from worker import tasks

WEBHOOK = "/api/webhooks/meta"


def sample(name: str, **labels: str) -> float:
    """The current value of one series of this process's registry (0 when never set)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def deliveries(object_: str, result: str) -> float:
    return sample("parley_webhook_deliveries_total", object=object_, result=result)


def requests(route: str, status: str, method: str = "GET") -> float:
    return sample("parley_http_requests_total", method=method, route=route, status=status)


# --- the endpoint -------------------------------------------------------------------------


async def test_metrics_are_served_in_prometheus_text_outside_the_api(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/api/healthz")
    scrapes = requests("/metrics", "200")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert requests("/metrics", "200") == scrapes + 1  # scrapes are counted, by route
    assert response.headers["content-type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"parley_http_requests", "parley_http_request_duration_seconds"} <= names
    assert "process_resident_memory_bytes" in names


async def test_metrics_are_not_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    assert "/metrics" not in paths and not any(path.endswith("/metrics") for path in paths)


async def test_a_metrics_token_is_required_when_one_is_set(sessionmaker: object) -> None:
    from api.main import create_app

    settings = get_settings().model_copy(deep=True)
    settings.metrics.token = SecretStr("s3cret-scrape-token")
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get(
            "/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}
        )
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["error"] == "unauthorized"
    assert "s3cret" not in missing.text
    assert right.status_code == 200 and "parley_http_requests_total" in right.text


# --- HTTP -----------------------------------------------------------------------------


async def test_requests_are_labelled_by_route_template_never_the_raw_path(
    client: httpx.AsyncClient,
) -> None:
    template = "/api/inbox/conversations/{conversation_id}"
    before = requests(template, "401")
    conversation_id = uuid.uuid4()
    for _ in range(2):
        assert (await client.get(f"/api/inbox/conversations/{conversation_id}")).status_code == 401
    assert requests(template, "401") == before + 2
    exposed = (await client.get("/metrics")).text
    assert str(conversation_id) not in exposed
    assert (
        sample("parley_http_request_duration_seconds_count", method="GET", route=template)
        >= before + 2
    )


async def test_unknown_paths_count_as_unmatched(client: httpx.AsyncClient) -> None:
    before = requests("unmatched", "404")
    assert (await client.get(f"/api/no-such-thing/{uuid.uuid4()}")).status_code == 404
    assert requests("unmatched", "404") == before + 1


# --- webhook deliveries -------------------------------------------------------------------


async def test_a_signed_delivery_counts_accepted_then_duplicate(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    accepted, duplicate = deliveries("page", "accepted"), deliveries("page", "duplicate")
    ok = requests(WEBHOOK, "200", "POST")
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    for _ in range(2):
        assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 200
    assert deliveries("page", "accepted") == accepted + 1
    assert deliveries("page", "duplicate") == duplicate + 1
    assert requests(WEBHOOK, "200", "POST") == ok + 2


async def test_a_bad_signature_counts_bad_signature(client: httpx.AsyncClient) -> None:
    before, accepted = deliveries("unknown", "bad_signature"), deliveries("page", "accepted")
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"), secret="not-ours")
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 401
    assert deliveries("unknown", "bad_signature") == before + 1
    assert deliveries("page", "accepted") == accepted


async def test_a_signed_body_that_names_no_object_counts_malformed(
    client: httpx.AsyncClient,
) -> None:
    before = deliveries("unknown", "malformed")
    body, headers = signed(b"[not, json")
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 200
    assert deliveries("unknown", "malformed") == before + 1


async def test_an_oversized_delivery_counts_too_large(client: httpx.AsyncClient) -> None:
    before = deliveries("unknown", "too_large")
    refused = requests("unmatched", "413", "POST")
    body, headers = signed(b"x" * (get_settings().security.max_webhook_body_bytes + 1))
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 413
    assert deliveries("unknown", "too_large") == before + 1
    # Refused before routing: no route answered it.
    assert requests("unmatched", "413", "POST") == refused + 1


async def test_a_delivery_the_database_cannot_store_counts_error(
    client: httpx.AsyncClient, monkeypatch: object
) -> None:
    from sqlalchemy.exc import OperationalError

    from api.webhooks import service

    async def down(*_: object) -> None:
        raise OperationalError("INSERT", {}, ConnectionRefusedError("database down"))

    monkeypatch.setattr(service.WebhookIngest, "_store", down)  # type: ignore[attr-defined]
    before, accepted = deliveries("page", "error"), deliveries("page", "accepted")
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 503
    # Verified, so its object is known; not stored, so an error.
    assert deliveries("page", "error") == before + 1
    assert deliveries("page", "accepted") == accepted


async def test_a_delivery_whose_commit_fails_counts_error_not_accepted(
    client: httpx.AsyncClient, monkeypatch: object
) -> None:
    from sqlalchemy.exc import OperationalError

    from api import db

    async def commit_fails(*_: object) -> None:
        raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    monkeypatch.setattr(db, "commit", commit_fails)  # type: ignore[attr-defined]
    error, accepted = deliveries("page", "error"), deliveries("page", "accepted")
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 503
    # Counted after the commit: the stored row was rolled back, so it was not accepted.
    assert deliveries("page", "accepted") == accepted
    assert deliveries("page", "error") == error + 1


# --- processing -----------------------------------------------------------------------


async def test_processing_records_the_ingest_lag_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from sqlalchemy import select

    from api.models import WebhookEvent

    lag_count = sample("parley_webhook_ingest_lag_seconds_count", object="page")
    processed = sample("parley_webhook_events_total", result="processed")
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 200
    event_id = (await session.execute(select(WebhookEvent.id))).scalar_one()

    await tasks.process_webhook_event({"job_try": 1}, str(event_id))
    await tasks.process_webhook_event({"job_try": 1}, str(event_id))  # already done: no-op

    assert sample("parley_webhook_ingest_lag_seconds_count", object="page") == lag_count + 1
    assert sample("parley_webhook_events_total", result="processed") == processed + 1
    assert sample("parley_webhook_ingest_lag_seconds_bucket", object="page", le="+Inf") >= 1


async def test_a_malformed_event_counts_failed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from sqlalchemy import select

    from api.models import WebhookEvent

    failed = sample("parley_webhook_events_total", result="failed")
    body, headers = signed(b"[not, json")
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 200
    event_id = (await session.execute(select(WebhookEvent.id))).scalar_one()
    assert await tasks.process_webhook_event({"job_try": 1}, str(event_id)) == "dead"
    assert sample("parley_webhook_events_total", result="failed") == failed + 1


# --- Graph API and sends --------------------------------------------------------------------


def graph_calls(endpoint: str, status: str, error_code: str, method: str = "POST") -> float:
    return sample(
        "parley_graph_requests_total",
        method=method,
        endpoint=endpoint,
        status=status,
        error_code=error_code,
    )


async def test_graph_calls_are_counted_by_endpoint_template_and_error_code(
    graph: respx.MockRouter,
) -> None:
    client = GraphClient(get_settings())
    graph.post("/104000000000001/messages").respond(200, json={"message_id": "m_1"})
    graph.post("/109000000000001/messages").respond(
        400, json={"error": {"code": 131047, "message": "Re-engagement message"}}
    )
    graph.get("/me").mock(side_effect=httpx.ConnectError("unreachable"))
    ok = graph_calls("/{id}/messages", "2xx", "")
    refused = graph_calls("/{id}/messages", "400", "131047")
    network = graph_calls("/me", "network", "", method="GET")
    timed = sample(
        "parley_graph_request_duration_seconds_count", method="POST", endpoint="/{id}/messages"
    )

    await client.request("POST", "104000000000001/messages", token="t", json={})
    for path, method in (("109000000000001/messages", "POST"), ("me", "GET")):
        try:
            await client.request(method, path, token="t")
        except GraphError:
            pass
        else:
            raise AssertionError(f"{path} should have failed")
    await client.aclose()

    assert graph_calls("/{id}/messages", "2xx", "") == ok + 1
    assert graph_calls("/{id}/messages", "400", "131047") == refused + 1
    assert graph_calls("/me", "network", "", method="GET") == network + 1
    assert (
        sample(
            "parley_graph_request_duration_seconds_count",
            method="POST",
            endpoint="/{id}/messages",
        )
        == timed + 2
    )
    exposed = metrics.exposition().decode()
    assert "104000000000001" not in exposed and "109000000000001" not in exposed


def sends(status: str) -> float:
    return sample("parley_messages_sent_total", channel="messenger", status=status)


async def reply_meta_answers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    graph: respx.MockRouter,
    status_code: int,
    answer: dict[str, Any],
) -> str:
    """Queues a Messenger reply to which Meta's send API answers `answer`; its message id."""
    message_id, page_id = await queue_reply(client, session)
    graph.post(f"/{page_id}/messages").respond(status_code, json=answer)
    return message_id


async def test_sends_are_counted_by_channel_and_status(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    sent = sends("sent")
    answer = {"recipient_id": "555", "message_id": "m_abc"}
    message_id = await reply_meta_answers(client, session, graph, 200, answer)
    assert await tasks.send_message({"job_try": 1}, message_id) == "sent"
    assert await tasks.send_message({"job_try": 1}, message_id) == "skipped"  # a re-run
    assert sends("sent") == sent + 1


async def test_a_failed_send_is_counted_failed(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    failed = sends("failed")
    answer = {"error": {"code": 551, "error_subcode": 1545041, "message": "unavailable"}}
    message_id = await reply_meta_answers(client, session, graph, 400, answer)
    assert await tasks.send_message({"job_try": 1}, message_id) == "failed 551/1545041"
    assert sends("failed") == failed + 1
    assert graph_calls("/{id}/messages", "400", "551/1545041") >= 1


async def test_a_retryable_send_error_is_counted_retry(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    from arq import Retry

    retry = sends("retry")
    answer = {"error": {"code": 2, "message": "Service temporarily unavailable"}}
    message_id = await reply_meta_answers(client, session, graph, 500, answer)
    with pytest.raises(Retry):  # a retryable error defers the job
        await tasks.send_message({"job_try": 1}, message_id)
    assert sends("retry") == retry + 1
    assert graph_calls("/{id}/messages", "500", "2") >= 1


async def test_the_inbox_flow_moves_the_series_end_to_end(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A customer's message through the real webhook route and worker task."""
    accepted = deliveries("page", "accepted")
    lag = sample("parley_webhook_ingest_lag_seconds_count", object="page")
    await setup_conversation(client, session)
    assert deliveries("page", "accepted") == accepted + 1
    assert sample("parley_webhook_ingest_lag_seconds_count", object="page") == lag + 1
