"""Prometheus metrics, one registry per process (prometheus_client's default one, which
also carries the process's CPU, memory and file descriptors).

Each process serves its own `/metrics`: the api and the realtime gateway on their app,
each arq worker on its small HTTP server (`worker.http`). Prometheus's `job`/`instance`
labels tell the processes apart, so no series carries a per-process label. Labels hold
templates and closed sets only (route templates, Graph endpoint templates, queue and
function names, outcomes), never ids: a series per page id or per path would grow
without bound.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Concatenate, ParamSpec, TypeVar

from arq.worker import Retry
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import SecretStr
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.meta.errors import GraphError

logger = logging.getLogger(__name__)

# No `*_created` series beside every counter and histogram: Prometheus does not need them
# and they would double the series count.
disable_created_metrics()  # type: ignore[no-untyped-call]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")

# Seconds. Requests and Graph calls are fast; jobs and lags can take minutes.
FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SLOW_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

# --- HTTP (api) -------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "parley_http_requests_total",
    "HTTP requests answered, by route template and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "parley_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["method", "route"],
    buckets=FAST_BUCKETS,
)
UNMATCHED = "unmatched"

# --- webhooks ---------------------------------------------------------------------------

WEBHOOK_DELIVERIES = Counter(
    "parley_webhook_deliveries_total",
    "Meta webhook deliveries received, by object and outcome: accepted (stored, new), "
    "duplicate (already stored), malformed (stored, but not a JSON object naming its "
    "object), bad_signature, too_large, error (not stored: 503).",
    ["object", "result"],
)
WEBHOOK_INGEST_LAG = Histogram(
    "parley_webhook_ingest_lag_seconds",
    "From a delivery's receipt (webhook_events.received_at) to its processing's commit.",
    ["object"],
    buckets=SLOW_BUCKETS,
)
WEBHOOK_EVENTS = Counter(
    "parley_webhook_events_total",
    "Processing runs of stored deliveries: processed, retried (failed, will run again), "
    "failed (given up: dead).",
    ["result"],
)
# Meta's webhook objects; anything else is counted as "other" (labels stay a closed set).
WEBHOOK_OBJECTS = frozenset(
    {"page", "whatsapp_business_account", "instagram", "user", "permissions", "application"}
)

# --- jobs (workers) -----------------------------------------------------------------------

JOB_QUEUE_LATENCY = Histogram(
    "parley_job_queue_latency_seconds",
    "From the time a job was due (enqueued, or its retry's time) to its start.",
    ["queue", "function"],
    buckets=SLOW_BUCKETS,
)
JOB_DURATION = Histogram(
    "parley_job_duration_seconds",
    "Job run time, by outcome: ok, error, retry (will run again), cancelled (timeout, shutdown).",
    ["queue", "function", "result"],
    buckets=SLOW_BUCKETS,
)
QUEUE_DEPTH_TIMEOUT_SECONDS = 1.0

# --- Graph API --------------------------------------------------------------------------

GRAPH_REQUESTS = Counter(
    "parley_graph_requests_total",
    "Graph API calls, by endpoint template, HTTP status (2xx, the status of a failure, or "
    "network) and Meta's error code (code/subcode; empty on success).",
    ["method", "endpoint", "status", "error_code"],
)
GRAPH_DURATION = Histogram(
    "parley_graph_request_duration_seconds",
    "Graph API call time, by endpoint template.",
    ["method", "endpoint"],
    buckets=FAST_BUCKETS,
)
MEDIA_DOWNLOAD = "media_download"
# An edge name (`messages`, `subscribed_apps`, `oauth`, `me`); anything else is an id.
_EDGE = re.compile(r"[a-z][a-z_]{0,39}")

# --- sends ------------------------------------------------------------------------------

MESSAGES_SENT = Counter(
    "parley_messages_sent_total",
    "Outbound message send runs, by channel and outcome: sent, failed (permanent), retry "
    "(a retryable Graph error, backing off), deferred (waiting for a rate-limit slot), "
    "skipped (another run had taken it meanwhile).",
    ["channel", "status"],
)
REACTIONS_SENT = Counter(
    "parley_reactions_sent_total",
    "Outbound reaction send runs, by channel and outcome (as parley_messages_sent_total).",
    ["channel", "status"],
)

# --- realtime ---------------------------------------------------------------------------

SOCKET_CONNECTIONS = Gauge(
    "parley_socket_connections", "Sockets connected to this gateway (authenticated)."
)
SOCKET_CONNECTS = Counter(
    "parley_socket_connects_total",
    "Socket connection attempts: accepted, unauthorized, unavailable.",
    ["result"],
)
SOCKET_EVENTS = Counter(
    "parley_socket_events_total",
    "Socket.IO events: sent (an event fanned out to this gateway's sockets, counted once "
    "per event) and received (client events).",
    ["event", "direction"],
)
UNKNOWN = "unknown"


# --- exposition -------------------------------------------------------------------------


def authorized(header: str | None, token: SecretStr) -> bool:
    """No token configured: open. Otherwise `Authorization: Bearer <token>`, compared in
    constant time."""
    expected = token.get_secret_value()
    if not expected:
        return True
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )


def exposition() -> bytes:
    return generate_latest(REGISTRY)


def unauthorized_body() -> dict[str, str]:
    return {"error": "unauthorized", "detail": "This endpoint needs the metrics bearer token."}


def endpoint(token: SecretStr) -> Callable[[Request], Awaitable[Response]]:
    """A `/metrics` handler for a Starlette or FastAPI app (never in the OpenAPI schema)."""

    async def metrics(request: Request) -> Response:
        if not authorized(request.headers.get("authorization"), token):
            return JSONResponse(
                unauthorized_body(), status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return metrics


# --- HTTP -------------------------------------------------------------------------------


def route_of(scope: Scope) -> str:
    """The matched route's template (`/api/inbox/conversations/{conversation_id}`), never
    the raw path; "unmatched" when no route answered (an unknown path, or a request refused
    before routing: a body over the limit, a CORS preflight)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    if isinstance(route, Mount):  # whatever follows a mount's path is not a template
        return template.rstrip("/") + "/{path}"
    # A route of an included router knows its own part only (`/webhooks/meta`); the
    # segments before it are the routers' literal prefixes (`/api`), read off the path
    # (the route matched it, so they are those literals, never ids).
    path = str(scope.get("path", ""))
    cut = 0
    try:
        for _ in range(path.count("/") - template.count("/")):
            cut = path.index("/", cut + 1)
    except ValueError:  # a path shaped unlike its template: keep the route's own part
        return template
    return path[:cut] + template


class HTTPMetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status. Pure ASGI
    (no body buffering); a request that raises counts as 500, as the client sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            count, duration = self._series(scope["method"], route_of(scope), status)
            count.inc()
            duration.observe(time.perf_counter() - started)

    def _series(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        """The labelled children, looked up once per (method, route, status)."""
        key = (method, route, status)
        series = self._children.get(key)
        if series is None:
            series = (
                HTTP_REQUESTS.labels(method, route, str(status)),
                HTTP_DURATION.labels(method, route),
            )
            self._children[key] = series
        return series


# --- webhooks ---------------------------------------------------------------------------


def webhook_object(value: str | None) -> str:
    if value is None:
        return UNKNOWN
    return value if value in WEBHOOK_OBJECTS else "other"


def webhook_delivery(object_: str | None, result: str) -> None:
    WEBHOOK_DELIVERIES.labels(webhook_object(object_), result).inc()


def webhook_processed(object_: str | None, received_at: datetime, processed_at: datetime) -> None:
    WEBHOOK_EVENTS.labels("processed").inc()
    lag = max(0.0, (processed_at - received_at).total_seconds())
    WEBHOOK_INGEST_LAG.labels(webhook_object(object_)).observe(lag)


def webhook_failed(*, retried: bool) -> None:
    WEBHOOK_EVENTS.labels("retried" if retried else "failed").inc()


# --- jobs -------------------------------------------------------------------------------


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, Retry):
        return "retry"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return "error"


def due_at(score: object) -> datetime | None:
    """arq's score (the epoch milliseconds a job is due at) as a time."""
    if isinstance(score, int | float) and not isinstance(score, bool):
        return datetime.fromtimestamp(score / 1000, UTC)
    return None


@contextmanager
def job_run(
    *,
    function: str,
    queue: str,
    enqueued_at: datetime | None,
    due_at: datetime | None = None,
) -> Iterator[None]:
    """Count one job run: its wait in the queue, its duration and its outcome.

    The wait runs from when the job was due: `due_at` (arq's score: a retry's or a
    deferral's time) when known, else `enqueued_at`."""
    since = due_at or enqueued_at
    if since is not None:
        wait = max(0.0, time.time() - since.timestamp())
        JOB_QUEUE_LATENCY.labels(queue, function).observe(wait)
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        duration = time.perf_counter() - started
        JOB_DURATION.labels(queue, function, _outcome(error)).observe(duration)


class QueueDepth(Collector):
    """`parley_queue_depth{queue}`: jobs waiting in each arq queue (a Redis sorted set;
    deferred jobs included). Read from Redis just before a scrape is rendered (`refresh`,
    bounded by a timeout, so a slow Redis never hangs the scrape: its samples are then
    left out); the registry only renders what the last refresh found."""

    NAME = "parley_queue_depth"
    HELP = "Jobs in each arq queue (ZCARD: ready and deferred), read at scrape time."

    def __init__(self) -> None:
        self.depths: dict[str, int] = {}

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return [GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])]

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])
        for queue, depth in sorted(self.depths.items()):
            family.add_metric([queue], depth)
        return [family] if self.depths else []

    async def refresh(
        self, redis: Redis, queues: Sequence[str], seconds: float = QUEUE_DEPTH_TIMEOUT_SECONDS
    ) -> None:
        try:
            depths = await asyncio.wait_for(_zcards(redis, queues), seconds)
        except Exception as exc:
            logger.warning("queue depth unavailable (%s)", type(exc).__name__)
            self.depths = {}
            return
        self.depths = dict(zip(queues, depths, strict=True))


async def _zcards(redis: Redis, queues: Sequence[str]) -> list[int]:
    async with redis.pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.zcard(queue)
        return [int(count) for count in await pipe.execute()]


QUEUE_DEPTH = QueueDepth()
REGISTRY.register(QUEUE_DEPTH)


# --- Graph API --------------------------------------------------------------------------


def graph_endpoint(path: str) -> str:
    """`104000000000001/messages` → `/{id}/messages`; `oauth/access_token` stays."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    return "/" + "/".join(s if _EDGE.fullmatch(s) else "{id}" for s in segments)


def graph_call(method: str, endpoint: str, started: float, error: GraphError | None) -> None:
    if error is None:
        status, code = "2xx", ""
    else:
        status = "network" if error.http_status is None else str(error.http_status)
        code = "" if error.code is None else error.error_code
    GRAPH_REQUESTS.labels(method, endpoint, status, code).inc()
    GRAPH_DURATION.labels(method, endpoint).observe(time.perf_counter() - started)


def graph_requests(
    call: Callable[Concatenate[S, str, str, P], Awaitable[R]],
) -> Callable[Concatenate[S, str, str, P], Awaitable[R]]:
    """Count and time `GraphClient.request(method, path, ...)` by endpoint template."""

    @functools.wraps(call)
    async def counted(self: S, method: str, path: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
        started, endpoint = time.perf_counter(), graph_endpoint(path)
        try:
            answer = await call(self, method, path, *args, **kwargs)
        except GraphError as error:
            graph_call(method, endpoint, started, error)
            raise
        graph_call(method, endpoint, started, None)
        return answer

    return counted


def graph_downloads(
    call: Callable[Concatenate[S, str, P], Awaitable[R]],
) -> Callable[Concatenate[S, str, P], Awaitable[R]]:
    """Count and time `GraphClient.download(url, ...)` (media URLs: one endpoint label)."""

    @functools.wraps(call)
    async def counted(self: S, url: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            answer = await call(self, url, *args, **kwargs)
        except GraphError as error:
            graph_call("GET", MEDIA_DOWNLOAD, started, error)
            raise
        graph_call("GET", MEDIA_DOWNLOAD, started, None)
        return answer

    return counted


# --- sends ------------------------------------------------------------------------------


def message_sent(channel: str, summary: str) -> None:
    """`summary` is the send's outcome (`sent`, `failed 131047`, `retry 4`, ...)."""
    MESSAGES_SENT.labels(channel, summary.split(" ", 1)[0]).inc()


def reaction_sent(channel: str, summary: str) -> None:
    REACTIONS_SENT.labels(channel, summary.split(" ", 1)[0]).inc()


# --- realtime ---------------------------------------------------------------------------


def socket_connected() -> None:
    SOCKET_CONNECTS.labels("accepted").inc()
    SOCKET_CONNECTIONS.inc()


def socket_refused(reason: str) -> None:
    SOCKET_CONNECTS.labels(reason if reason == "unavailable" else "unauthorized").inc()


def socket_disconnected() -> None:
    SOCKET_CONNECTIONS.dec()


def socket_event(event: str, direction: str) -> None:
    SOCKET_EVENTS.labels(event, direction).inc()
