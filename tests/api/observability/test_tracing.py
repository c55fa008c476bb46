"""OpenTelemetry tracing: off by default with nothing set up; on, a processed webhook is one
trace (request → job → statements → socket events) and a reply another (request → job →
Graph call), with the parent links right. Spans are caught with the SDK's in-memory
exporter; the jobs are taken from Redis as the worker would take them."""

from __future__ import annotations

import ast
import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import pytest
import respx
from arq import Retry
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import ValidationError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.config import TracingSettings
from api.jobs import QUEUE_NAME, TRACE_KWARG, WEBHOOK_QUEUE_NAME
from api.main import create_app
from api.observability import tracing
from api.redis import get_redis
from tests.api.inbox.test_router import customer_writes
from tests.api.observability.test_logs import Captured, captured
from tests.helpers import create_account, create_messenger_channel, messenger_text_payload, signed
from tests.processes import serving
from worker import tasks
from worker.instrument import instrumented

__all__ = ["captured"]

TEXT = "Please cancel order 7781, my card was charged twice"


@pytest.fixture
def spans(engine: AsyncEngine) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    tracing.instrument_engine(engine)
    yield exporter
    tracing.disable()
    provider.shutdown()


@pytest.fixture
async def traced_client(
    spans: InMemorySpanExporter, sessionmaker: object, redis: object
) -> AsyncIterator[httpx.AsyncClient]:
    """The api built while tracing is on (its server-span middleware in the stack)."""
    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        yield client


def named(finished: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    matching = [s for s in finished if s.name == name]
    assert len(matching) == 1, [s.name for s in finished]
    return matching[0]


def children(finished: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in finished if s.parent is not None and s.parent.span_id == parent_id(parent)]


def parent_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def trace_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.trace_id)


def statements(spans: list[ReadableSpan]) -> list[str]:
    return [str(s.attributes.get("db.query.text")) for s in spans if s.attributes]


async def run_queued(queue: str, function: str, name: str, task: Any) -> Any:
    """Take the job off the queue as arq would and run it in the worker's wrapper."""
    jobs = [j for j in await get_redis().queued_jobs(queue_name=queue) if j.function == function]
    assert len(jobs) == 1, jobs
    job = jobs[0]
    assert TRACE_KWARG in job.kwargs  # the enqueuing request's trace context travels along
    ctx = {"job_id": job.job_id, "job_try": 1, "enqueue_time": job.enqueue_time}
    return await instrumented(task, name=name, queue=queue)(ctx, *job.args, **job.kwargs)


# --- off --------------------------------------------------------------------------------


async def test_off_nothing_is_set_up(engine: AsyncEngine) -> None:
    assert not tracing.configure_tracing(TracingSettings(otlp_endpoint=""), "parley-api")
    assert not tracing.enabled()
    assert tracing.inject() is None
    app = create_app()
    assert "TracingMiddleware" not in [getattr(m.cls, "__name__", "") for m in app.user_middleware]
    assert not event.contains(engine.sync_engine, "before_cursor_execute", _listener())
    with tracing.span("anything") as span:
        assert not span.is_recording()
    with tracing.job_span(function="f", queue="q", carrier={"traceparent": "x"}):
        pass


def test_off_the_sdk_and_exporter_are_not_even_loaded() -> None:
    """Every process imports these modules at start; off, only OpenTelemetry's API is."""
    script = (
        "import sys, api.main, realtime.main, worker.main, api.logging; "
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('opentelemetry.')}))"
    )
    env = {**os.environ, "ENVIRONMENT": "test", "TRACING_OTLP_ENDPOINT": ""}
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    loaded = set(ast.literal_eval(done.stdout.strip()))
    assert "trace" in loaded
    assert not {"sdk", "exporter"} & loaded


def _listener() -> Any:
    return tracing._before_cursor_execute


def test_the_endpoint_must_be_an_http_url_and_gets_the_traces_path() -> None:
    with pytest.raises(ValidationError):
        TracingSettings(otlp_endpoint="collector:4318")
    with pytest.raises(ValidationError):
        TracingSettings(sample_ratio=1.5)
    assert tracing.traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert tracing.traces_url("https://otlp.example.com/v1/traces") == (
        "https://otlp.example.com/v1/traces"
    )


# --- a webhook ------------------------------------------------------------------------


async def test_a_processed_webhook_is_one_trace_request_job_statements_and_socket_events(
    traced_client: httpx.AsyncClient, session: AsyncSession, spans: InMemorySpanExporter
) -> None:
    account = await create_account(traced_client)
    channel = await create_messenger_channel(session, account.tenant_id)
    spans.clear()

    body, headers = signed(messenger_text_payload(channel.external_id, "555", TEXT))
    assert (
        await traced_client.post("/api/webhooks/meta", content=body, headers=headers)
    ).is_success
    outcome = await run_queued(
        WEBHOOK_QUEUE_NAME,
        "webhooks.process_event",
        "webhooks.process_event",
        tasks.process_webhook_event,
    )

    assert outcome == "processed"
    finished = spans.get_finished_spans()
    request = named(finished, "POST /api/webhooks/meta")
    assert request.kind is SpanKind.SERVER and request.parent is None
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/api/webhooks/meta"
    assert request.attributes["http.response.status_code"] == 200
    event_id = request.attributes["parley.webhook.event_id"]
    assert any("INSERT INTO webhook_events" in q for q in statements(children(finished, request)))

    job = named(finished, "job webhooks.process_event")
    assert job.kind is SpanKind.CONSUMER
    assert job.attributes is not None and job.attributes["parley.webhook.event_id"] == event_id
    assert job.parent is not None and job.parent.span_id == parent_id(request)
    assert trace_id(job) == trace_id(request)
    under_job = children(finished, job)
    job_statements = statements([s for s in under_job if s.kind is SpanKind.CLIENT])
    assert any("INSERT INTO messages" in q for q in job_statements)  # in a CTE
    emits = [s.name for s in under_job if s.kind is SpanKind.PRODUCER]
    assert emits == ["emit message:new", "emit conversation:updated"]
    assert all(trace_id(s) == trace_id(request) for s in finished)
    # Statements carry their text with placeholders, never the values bound to them.
    assert all(TEXT not in q for q in statements(list(finished)))


# --- a reply --------------------------------------------------------------------------


async def send_reply(
    client: httpx.AsyncClient,
    session: AsyncSession,
    spans: InMemorySpanExporter,
    graph: respx.MockRouter,
    answer: httpx.Response,
) -> Any:
    """Queues an agent's reply from a fresh workspace (spans cleared first), lets Meta's
    send API give `answer`, runs the queued send job and returns its outcome."""
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    conversation = await customer_writes(client, session, channel.external_id)
    spans.clear()
    response = await client.post(
        f"/api/inbox/conversations/{conversation.id}/messages",
        json={"text": TEXT},
        headers=account.headers,
    )
    assert response.status_code == 202, response.text
    graph.post(f"/{channel.external_id}/messages").mock(return_value=answer)
    return await run_queued(
        QUEUE_NAME, "inbox.send_message", "inbox.send_message", tasks.send_message
    )


async def test_a_reply_is_one_trace_request_job_graph_call(
    traced_client: httpx.AsyncClient,
    session: AsyncSession,
    spans: InMemorySpanExporter,
    graph: respx.MockRouter,
) -> None:
    answer = httpx.Response(
        200,
        json={"recipient_id": "555", "message_id": "m_1"},
        headers={"x-fb-trace-id": "AgraphTrace1"},
    )

    outcome = await send_reply(traced_client, session, spans, graph, answer)

    assert outcome == "sent"
    finished = spans.get_finished_spans()
    request = named(finished, "POST /api/inbox/conversations/{conversation_id}/messages")
    job = named(finished, "job inbox.send_message")
    assert job.parent is not None and job.parent.span_id == parent_id(request)
    call = named(finished, "graph POST /{id}/messages")
    assert call.kind is SpanKind.CLIENT
    assert call.parent is not None and call.parent.span_id == parent_id(job)
    assert call.attributes is not None
    assert dict(call.attributes) == {
        "http.request.method": "POST",
        "parley.graph.endpoint": "/{id}/messages",
        "http.response.status_code": 200,
        "meta.trace_id": "AgraphTrace1",
    }
    assert call.status.status_code is StatusCode.UNSET


async def test_a_refused_send_marks_the_graph_span_failed_with_metas_code(
    traced_client: httpx.AsyncClient,
    session: AsyncSession,
    spans: InMemorySpanExporter,
    graph: respx.MockRouter,
) -> None:
    answer = httpx.Response(
        400,
        json={"error": {"message": "(#551) Not available", "code": 551, "fbtrace_id": "Abody"}},
    )

    assert await send_reply(traced_client, session, spans, graph, answer) == "failed 551"

    call = named(spans.get_finished_spans(), "graph POST /{id}/messages")
    assert call.attributes is not None
    assert call.attributes["meta.error_code"] == "551"
    assert call.attributes["http.response.status_code"] == 400
    assert call.attributes["meta.trace_id"] == "Abody"
    assert call.status.status_code is StatusCode.ERROR
    assert [e.name for e in call.events] == ["exception"]


# --- jobs, probes, logs ---------------------------------------------------------------


def test_a_retry_is_not_a_failed_job_but_an_error_is(spans: InMemorySpanExporter) -> None:
    with (
        pytest.raises(Retry),
        tracing.job_span(function="inbox.send_message", queue="q", carrier=None),
    ):
        raise Retry(defer=5)
    with (
        pytest.raises(ValueError, match="boom"),
        tracing.job_span(function="media.fetch", queue="q", carrier=None),
    ):
        raise ValueError("boom")

    retried, failed = spans.get_finished_spans()
    assert retried.status.status_code is StatusCode.UNSET
    assert retried.attributes is not None
    assert retried.attributes["parley.job.retry_in_ms"] == 5000
    assert failed.status.status_code is StatusCode.ERROR
    assert [e.name for e in failed.events] == ["exception"]


async def test_probes_are_not_traced_and_a_callers_trace_is_continued(
    traced_client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    assert (await traced_client.get("/api/healthz")).is_success
    assert spans.get_finished_spans() == ()

    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = await traced_client.get("/api/auth/me", headers={"traceparent": parent})
    assert response.status_code == 401
    (span,) = spans.get_finished_spans()
    assert span.name == "GET /api/auth/me"
    assert format(trace_id(span), "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span.attributes is not None and span.attributes["http.response.status_code"] == 401
    assert span.attributes["parley.request_id"] == response.headers["X-Request-ID"]


def test_log_lines_carry_the_trace_and_span_ids(
    spans: InMemorySpanExporter, captured: Captured
) -> None:
    with tracing.span("work") as span:
        logging.getLogger("api.traced").info("inside a span")
    logging.getLogger("api.traced").info("outside")

    line = captured.find("inside a span")
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert "trace_id" not in captured.find("outside")


# --- the exporter ---------------------------------------------------------------------


@pytest.fixture
async def otlp_receiver() -> AsyncIterator[tuple[str, list[bytes]]]:
    """An OTLP/HTTP receiver on 127.0.0.1 that keeps the protobuf bodies it gets."""
    received: list[bytes] = []

    async def traces(request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        received.append(await request.body())
        return Response(b"", media_type="application/x-protobuf")

    app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    async with serving(app) as url:
        yield url, received


async def test_configured_spans_are_exported_over_otlp_http(
    otlp_receiver: tuple[str, list[bytes]], engine: AsyncEngine
) -> None:
    endpoint, received = otlp_receiver
    settings = TracingSettings(otlp_endpoint=endpoint, service_name="parley-test")
    try:
        assert tracing.configure_tracing(settings, "parley-api")
        assert event.contains(engine.sync_engine, "before_cursor_execute", _listener())
        with tracing.span("exported"):
            pass
    finally:
        # Flushes the batch: in a thread, since the receiver runs on this event loop.
        await asyncio.to_thread(tracing.disable)

    assert len(received) == 1
    assert b"exported" in received[0] and b"parley-test" in received[0]
