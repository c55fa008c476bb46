"""Meta's deliveries straight to their handler, ahead of FastAPI's router.

`POST /api/webhooks/meta` is the api's hottest path (a campaign's replies arrive by the
thousand per second) and needs nothing the router offers: no dependencies, no validation,
no response model. FastAPI's routing costs several times the rest of the request
(matching, the exception and exit-stack layers, the endpoint wrapper), so `WebhookLane`,
the innermost middleware, answers this one method and path itself. Every middleware
outside it still applies (security headers, request id and logs, metrics, tracing, CORS,
body limits) and errors get the app's own exception handlers, so the answers are the
same as the route's; everything else goes on to the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, cast

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from api.config import get_settings
from api.errors import AppError
from api.observability import metrics, tracing
from api.security.body_limit import WEBHOOK_PATH
from api.webhooks.batching import batcher_for
from api.webhooks.service import WebhookIngest


class Received(BaseModel):
    status: Literal["received"] = "received"


RECEIVED_BODY = Received().model_dump_json().encode()


def delivery_result(exc: BaseException) -> str:
    """`parley_webhook_deliveries_total`'s result for a delivery that raised: it is
    counted after the commit, so a failed commit is an `error` (answered 503)."""
    if getattr(exc, "status_code", None) == 413:
        return "too_large"
    if isinstance(exc, AppError) and exc.code == "invalid_signature":
        return "bad_signature"
    return "error"  # even after the row was written: nothing was committed


async def receive_delivery(request: Request) -> Response:
    """Verify, store durably (group commit), enqueue, then 200; counted in metrics."""
    ingest = WebhookIngest(batcher_for(request.app.state), get_settings().meta.app_secret)
    result = "error"
    try:
        signature = request.headers.get("x-hub-signature-256")
        receipt = await ingest.receive(await request.body(), signature)
        tracing.annotate(**{"parley.webhook.event_id": str(receipt.event_id)})
        result = "duplicate" if receipt.duplicate else "accepted" if receipt.object else "malformed"
    except BaseException as exc:
        result = delivery_result(exc)
        raise
    finally:
        metrics.webhook_delivery(ingest.object, result)
    return Response(RECEIVED_BODY, media_type="application/json")


Handler = Callable[[Request, Exception], Awaitable[Response]]


class _Route:
    """What metrics and tracing read off `scope["route"]`: the route's template."""

    path = WEBHOOK_PATH


class WebhookLane:
    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api  # whose exception handlers answer the lane's errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http" and scope["path"] == WEBHOOK_PATH and scope["method"] == "POST"
        ):
            await self.app(scope, receive, send)
            return
        scope["route"] = _Route
        request = Request(scope, receive)
        try:
            response = await receive_delivery(request)
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Handler | None:
        """The app's handler for `exc`'s class or its nearest base, as Starlette picks."""
        handlers = self.api.exception_handlers
        for cls in type(exc).__mro__:
            if cls in handlers:
                return cast(Handler, handlers[cls])
        return None
