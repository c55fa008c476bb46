"""Request body size limits, before anything reads the body.

A declared `Content-Length` above the route's limit is answered 413 before the app sees
the request. A body without one (chunked) is counted as it streams in: once it passes the
limit, reading it raises, whatever the app answered meanwhile is dropped, and the client
gets the same 413. Meta's webhook route has its own, larger limit (Meta batches deliveries
into one POST).

Either way the rest of the body is read and thrown away (up to `DRAIN_FACTOR` times the
limit) before the 413 goes out: a server that answers and closes while the client is still
uploading makes most clients report a connection reset instead of the readable 413. A body
larger still is cut off (nothing that big is a legitimate request).
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.config import SecuritySettings
from api.observability import metrics

WEBHOOK_PATH = "/api/webhooks/meta"
DRAIN_FACTOR = 4


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit. An HTTPException, so
    FastAPI's body parsing lets it through rather than turning it into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


def _body(limit: int) -> bytes:
    detail = f"The request body is larger than {limit} bytes."
    return json.dumps({"error": "payload_too_large", "detail": detail}).encode()


async def send_too_large(send: Send, limit: int) -> None:
    body = _body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def drain(receive: Receive, budget: int) -> None:
    """Read and discard what is left of the request body, at most `budget` bytes."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: SecuritySettings) -> None:
        self.app = app
        self.default_limit = settings.max_body_bytes
        self.webhook_limit = settings.max_webhook_body_bytes

    def limit_for(self, path: str) -> int:
        return self.webhook_limit if path == WEBHOOK_PATH else self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        length = declared_length(scope)
        if length is not None and length > limit:
            if scope.get("path") == WEBHOOK_PATH:  # refused before the route could count it
                metrics.webhook_delivery(None, "too_large")
            if length <= limit * DRAIN_FACTOR:
                await drain(receive, length)
            await send_too_large(send, limit)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:  # the app's answer to the aborted read: replaced
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await drain(receive, limit * DRAIN_FACTOR - received)
            await send_too_large(send, limit)
