"""OpenTelemetry tracing, off unless `TRACING_OTLP_ENDPOINT` is set.

On, each process exports its spans over OTLP/HTTP (to an OpenTelemetry Collector, Jaeger,
Tempo, ...) and one customer message reads as one trace:

    POST /api/webhooks/meta           server span (`TracingMiddleware`, every HTTP request)
      INSERT parley                   each SQL statement (`instrument_engine`)
      job webhooks.process_event      consumer span in the worker, continuing the request's
        SELECT / INSERT parley ...      trace (`inject` puts the context in the job's kwargs,
        realtime.publish message:new    `job_span` picks it up), the socket event (api.events)

and a reply as `POST .../messages` → `job inbox.send_message` → `graph POST {id}/messages`
(api.meta.graph: endpoint, status, Meta's error code and trace id). Statements carry their
text with placeholders, never parameters; spans carry ids, never tokens or bodies.

Off, nothing is set up: no SDK objects, no engine listeners, no middleware in the app, and
the helpers here return at once (`span` yields OpenTelemetry's non-recording span).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from arq.worker import Retry
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext, ExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict, WrappedLogger

from api.config import TracingSettings
from api.context import current_request
from api.db import get_engine

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

logger = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "parley"
MAX_STATEMENT_CHARS = 2000
# Probes and scrapes, every few seconds: not worth a trace each.
UNTRACED_PATH_SUFFIXES = ("/healthz", "/readyz", "/metrics")
_SPAN_ATTRIBUTE = "_parley_span"

_propagator = TraceContextTextMapPropagator()


@dataclass
class _State:
    tracer: Tracer | None = None
    provider: TracerProvider | None = None  # the one configure_tracing made
    engines: list[Engine] = field(default_factory=list)


_state = _State()


def enabled() -> bool:
    return _state.tracer is not None


def traces_url(endpoint: str) -> str:
    """`http://collector:4318` → `http://collector:4318/v1/traces` (a full URL is kept)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if urlsplit(endpoint).path else f"{endpoint}/v1/traces"


def configure_tracing(settings: TracingSettings, default_service_name: str) -> bool:
    """Start exporting this process's spans when an endpoint is configured (once per
    process; later calls change nothing). Returns whether tracing is on."""
    if not settings.otlp_endpoint or enabled():
        return enabled()
    # Imported here: the SDK and the exporter (with protobuf) cost every process ~7 MB and
    # 0.2 s at start; off, only the API (the no-op) is loaded.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: settings.service_name or default_service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint)))
    )
    # Parley's spans come from this module only, so the provider stays ours rather than
    # OpenTelemetry's global one (which would also switch on FastAPI's own spans, see
    # FASTAPI_TELEMETRY_OFF). The SDK flushes it at exit.
    enable(provider)
    _state.provider = provider
    instrument_engine(get_engine())
    logger.info("tracing on: spans go to %s", traces_url(settings.otlp_endpoint))
    return True


def enable(provider: trace.TracerProvider) -> None:
    """Trace with `provider` (configure_tracing's, or a test's in-memory one)."""
    _state.tracer = provider.get_tracer(INSTRUMENTATION_NAME)


def disable() -> None:
    """Back to off (tests): the engines' listeners removed, and the exporter configured by
    `configure_tracing`, if any, flushed and stopped (this blocks while it sends)."""
    for engine in _state.engines:
        for name, listener in _ENGINE_LISTENERS.items():
            if event.contains(engine, name, listener):
                event.remove(engine, name, listener)
    _state.engines.clear()
    _state.tracer = None
    if _state.provider is not None:
        _state.provider.shutdown()
        _state.provider = None


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[Span]:
    """A child of the current span for the block (an error marks it failed and is
    recorded); off, the non-recording span, on which setting attributes does nothing."""
    tracer = _state.tracer
    if tracer is None:
        yield trace.INVALID_SPAN
        return
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as current:
        yield current


def annotate(**attributes: AttributeValue | None) -> None:
    """Set attributes on the current span (e.g. ids learnt mid-request); None skipped."""
    if _state.tracer is None:
        return
    current = trace.get_current_span()
    for key, value in attributes.items():
        if value is not None:
            current.set_attribute(key, value)


def fail(current: Span, description: str) -> None:
    """Mark a span failed without an exception (e.g. Meta answered an error)."""
    current.set_status(Status(StatusCode.ERROR, description))


# --- jobs -------------------------------------------------------------------------------


def inject() -> dict[str, str] | None:
    """The current trace context to carry in a job's kwargs (None when tracing is off)."""
    if _state.tracer is None:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier or None


@contextmanager
def job_span(*, function: str, queue: str, carrier: dict[str, str] | None) -> Iterator[None]:
    """A span for one job run, a child of the span that enqueued it (from `carrier`)."""
    tracer = _state.tracer
    if tracer is None:
        yield
        return
    parent = _propagator.extract(carrier) if isinstance(carrier, dict) else None
    with tracer.start_as_current_span(
        f"job {function}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "arq",
            "messaging.destination.name": queue,
            "messaging.operation.type": "process",
            "parley.job": function,
        },
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield
        except Exception as exc:
            _record_job_exception(current, exc)
            raise


def _record_job_exception(current: Span, exc: Exception) -> None:
    # arq's Retry is how a job asks to run again later (rate limits, backoff): not a failure.
    if isinstance(exc, Retry):
        current.set_attribute("parley.job.retry_in_ms", int(exc.defer_score or 0))
        return
    current.record_exception(exc)
    current.set_status(Status(StatusCode.ERROR, type(exc).__name__))


# --- database ---------------------------------------------------------------------------


def instrument_engine(engine: AsyncEngine | Engine) -> None:
    """A client span per SQL statement run inside a traced operation (statements outside
    any, e.g. pool pings, are not worth a trace of their own). Idempotent."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if sync_engine in _state.engines:
        return
    for name, listener in _ENGINE_LISTENERS.items():
        event.listen(sync_engine, name, listener)
    _state.engines.append(sync_engine)


def _before_cursor_execute(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    tracer = _state.tracer
    if tracer is None or context is None or not trace.get_current_span().is_recording():
        return
    words = statement.split(None, 1)
    operation = words[0].upper() if words else "SQL"
    database = conn.engine.url.database or "postgres"
    current = tracer.start_span(
        f"{operation} {database}",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": "postgresql",
            "db.namespace": database,
            "db.operation.name": operation,
            "db.query.text": statement[:MAX_STATEMENT_CHARS],
        },
    )
    setattr(context, _SPAN_ATTRIBUTE, current)


def _after_cursor_execute(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    current = getattr(context, _SPAN_ATTRIBUTE, None)
    if isinstance(current, Span):
        rows = getattr(cursor, "rowcount", -1)
        if isinstance(rows, int) and rows >= 0:
            current.set_attribute("db.response.returned_rows", rows)
        current.end()
        setattr(context, _SPAN_ATTRIBUTE, None)


def _handle_error(exception_context: ExceptionContext) -> None:
    current = getattr(exception_context.execution_context, _SPAN_ATTRIBUTE, None)
    if isinstance(current, Span):
        error = exception_context.original_exception
        name = type(getattr(error, "__cause__", None) or error).__name__
        current.set_attribute("error.type", name)
        current.set_status(Status(StatusCode.ERROR, name))
        current.end()
        setattr(exception_context.execution_context, _SPAN_ATTRIBUTE, None)


_ENGINE_LISTENERS: dict[str, Callable[..., None]] = {
    "before_cursor_execute": _before_cursor_execute,
    "after_cursor_execute": _after_cursor_execute,
    "handle_error": _handle_error,
}


# --- HTTP -------------------------------------------------------------------------------


# FastAPI's own OpenTelemetry support (on as soon as a global tracer provider exists) puts
# the raw path and query string on its spans: invitation tokens, OAuth codes, the webhook
# verify token. The api turns it off (`create_app`) and uses `TracingMiddleware` instead.
FASTAPI_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


class TracingMiddleware:
    """A server span per HTTP request, named by its route template (`POST
    /api/webhooks/meta`): no raw path or query string (they can carry tokens) on it.
    Continues a `traceparent` sent by a proxy in front."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer = _state.tracer
        path = str(scope.get("path", ""))
        if tracer is None or scope["type"] != "http" or path.endswith(UNTRACED_PATH_SUFFIXES):
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope.get("headers") or []
        }
        method = str(scope.get("method", "HTTP"))
        status: list[int] = []

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "url.scheme": str(scope.get("scheme")),
        }
        if (request := current_request()) is not None:  # the id the log lines carry
            attributes["parley.request_id"] = request.request_id
        with tracer.start_as_current_span(
            method,
            context=_propagator.extract(headers),
            kind=SpanKind.SERVER,
            attributes=attributes,
        ) as current:
            try:
                await self.app(scope, receive, send_status)
            finally:
                _finish_server_span(current, scope, method, status[0] if status else None)


def route_template(scope: Scope) -> str | None:
    """The matched route's whole template (`/api/inbox/conversations/{conversation_id}`).
    FastAPI keeps included routers nested, so `scope["route"].path` lacks the outer
    prefixes (`/api`); the effective route context FastAPI records has the whole one."""
    fastapi_scope = scope.get("fastapi")
    context = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    for candidate in (
        getattr(context, "path_format", None),
        getattr(scope.get("route"), "path", None),
    ):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _finish_server_span(current: Span, scope: Scope, method: str, status: int | None) -> None:
    route = route_template(scope)
    if route is not None:
        current.update_name(f"{method} {route}")
        current.set_attribute("http.route", route)
    if status is not None:
        current.set_attribute("http.response.status_code", status)
        if status >= 500:
            current.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))


# --- logs -------------------------------------------------------------------------------


def add_trace_ids(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current trace and span ids, when tracing is on."""
    if _state.tracer is None:
        return event_dict
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
