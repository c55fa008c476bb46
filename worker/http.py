"""Each arq worker's own small HTTP server, on the worker's event loop:

- `GET /metrics`: Prometheus exposition (the job metrics, plus `parley_queue_depth` read
  from Redis at scrape time); `Authorization: Bearer <METRICS_TOKEN>` when one is set;
- `GET /healthz`: liveness, i.e. the worker's event loop answers;
- `GET /readyz`: readiness, PostgreSQL and Redis answer (503 otherwise).

`WORKER_HTTP_PORT` (`WorkerSettings`) and `WEBHOOK_WORKER_HTTP_PORT`
(`WebhookWorkerSettings`) choose the port, `WORKER_HTTP_HOST` the address; port 0 turns
the server off. HTTP/1.1, one request per connection: it serves probes and scrapes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import SecretStr

from api import health
from api.config import Settings, get_settings
from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.observability import metrics
from api.redis import get_redis

logger = logging.getLogger(__name__)

READ_TIMEOUT_SECONDS = 5.0
MAX_REQUEST_HEAD_BYTES = 8192
QUEUES = (QUEUE_NAME, WEBHOOK_QUEUE_NAME)
CHECKS: Mapping[str, health.Check] = {
    "postgres": health.check_postgres,
    "redis": health.check_redis,
}
JSON = "application/json"
CTX_KEY = "http_server"

Hook = Callable[[dict[str, Any]], Awaitable[None]]


class Answer:
    def __init__(self, status: int, body: bytes, content_type: str = JSON) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type

    @classmethod
    def json(cls, status: int, payload: Any) -> Answer:
        return cls(status, json.dumps(payload).encode())

    def encode(self, *, head_only: bool = False) -> bytes:
        reason = HTTPStatus(self.status).phrase
        head = (
            f"HTTP/1.1 {self.status} {reason}\r\n"
            f"Content-Type: {self.content_type}\r\n"
            f"Content-Length: {len(self.body)}\r\n"
            "Cache-Control: no-store\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + (b"" if head_only else self.body)


class WorkerHTTPServer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        token: SecretStr,
        queues: Sequence[str] = QUEUES,
        checks: Mapping[str, health.Check] = CHECKS,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.queues = list(queues)
        self.checks = checks
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=MAX_REQUEST_HEAD_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]  # the real one when 0 was asked
        logger.info("worker HTTP server on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_SECONDS)
            method, target, headers = _parse(head)
            answer = await self._answer(method, target, headers)
            writer.write(answer.encode(head_only=method == "HEAD"))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # a client that sends nothing usable gets nothing
        except ValueError:
            writer.write(Answer.json(400, {"error": "bad_request"}).encode())
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, method: str, target: str, headers: Mapping[str, str]) -> Answer:
        path = target.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return Answer.json(405, {"error": "method_not_allowed", "detail": "GET only."})
        if path == "/healthz":
            return Answer.json(200, {"status": "ok"})
        if path == "/readyz":
            response = await health.readiness(self.checks)
            return Answer(response.status_code, bytes(response.body))
        if path == "/metrics":
            return await self._metrics(headers.get("authorization"))
        return Answer.json(404, {"error": "not_found", "detail": "Not found."})

    async def _metrics(self, authorization: str | None) -> Answer:
        if not metrics.authorized(authorization, self.token):
            return Answer.json(401, metrics.unauthorized_body())
        await metrics.QUEUE_DEPTH.refresh(get_redis(), self.queues)
        return Answer(200, metrics.exposition(), CONTENT_TYPE_LATEST)


def _parse(head: bytes) -> tuple[str, str, dict[str, str]]:
    """The request line and headers (lower-cased names); ValueError when malformed."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/") or not target.startswith("/"):
        raise ValueError("not an HTTP request line")
    headers: dict[str, str] = {}
    for line in filter(None, lines[1:]):
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("malformed header")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers


def serving(hook: Hook, port: Callable[[Settings], int]) -> Hook:
    """`hook` (an arq `on_startup`), then this worker's HTTP server on `port(settings)`,
    kept in the worker's context for `stop`. Port 0: no server; a port already taken (a
    second worker on the same host): no server either, and an error in the log."""

    async def startup(ctx: dict[str, Any]) -> None:
        await hook(ctx)
        settings = get_settings()
        chosen = port(settings)
        if not chosen:
            return
        host = settings.workers.http_host
        server = WorkerHTTPServer(host=host, port=chosen, token=settings.metrics.token)
        try:
            await server.start()
        except OSError as exc:
            # The jobs matter more than their metrics: run on, and say how to fix it.
            logger.error(
                "worker HTTP server: cannot listen on %s:%d (%s); this worker runs without "
                "/metrics, /healthz and /readyz. Give each worker on one host its own "
                "WORKER_HTTP_PORT / WEBHOOK_WORKER_HTTP_PORT (0 turns the server off).",
                host,
                chosen,
                exc.strerror or type(exc).__name__,
            )
            return
        ctx[CTX_KEY] = server

    return startup


async def stop(ctx: dict[str, Any]) -> None:
    """Close the worker's HTTP server (an arq `on_shutdown` step; a no-op without one)."""
    server = ctx.pop(CTX_KEY, None)
    if isinstance(server, WorkerHTTPServer):
        await server.stop()
