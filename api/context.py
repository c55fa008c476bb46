"""Who is on the other end of the current request: client IP, user agent, request id.

A pure ASGI middleware fills a context variable at the start of each HTTP request, so
services deep in the call stack (the audit log, rate limits) can read it without every
function taking the `Request`. Outside a request (jobs, CLI) it is empty.

The request id (the caller's `X-Request-ID` when it is short and printable, else a new
one) is bound to every log line the request writes and sent back in `X-Request-ID`, so a
user's report of a failed call finds its log lines.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability import logs

REQUEST_ID_HEADER = "X-Request-ID"


@dataclass(frozen=True, slots=True)
class RequestInfo:
    request_id: str
    ip: str | None
    user_agent: str | None


_current: ContextVar[RequestInfo | None] = ContextVar("parley_request", default=None)


def current_request() -> RequestInfo | None:
    return _current.get()


class RequestContextMiddleware:
    """Reads the client address as uvicorn reports it (behind a proxy, run uvicorn with
    `--proxy-headers --forwarded-allow-ips=<proxy>` so it is the real client's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        agent = headers.get(b"user-agent", b"").decode("latin-1")[:400] or None
        client = scope.get("client")
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else ""
        info = RequestInfo(
            request_id=request_id or uuid.uuid4().hex,
            ip=client[0] if client else None,
            user_agent=agent,
        )

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = info.request_id
            await send(message)

        token = _current.set(info)
        try:
            with logs.bound(request_id=info.request_id):
                await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
