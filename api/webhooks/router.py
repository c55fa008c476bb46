from __future__ import annotations

import hmac
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from api.auth.deps import OperationsScope
from api.config import get_settings
from api.deps import SessionDep, SettingsDep
from api.errors import AppError, Forbidden
from api.models import WebhookEventStatus
from api.observability import metrics, tracing
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.webhooks.batching import batcher_for
from api.webhooks.operations import WebhookOperations
from api.webhooks.schemas import ChannelWebhookStats, WebhookEventOut
from api.webhooks.service import WebhookIngest

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class Received(BaseModel):
    status: Literal["received"] = "received"


RECEIVED_BODY = Received().model_dump_json().encode()


@router.get("/meta", response_class=PlainTextResponse)
async def verify_subscription(
    settings: SettingsDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=512)] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
) -> str:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    token_ok = verify_token is not None and hmac.compare_digest(
        verify_token.encode(), settings.meta.verify_token.encode()
    )
    if mode != "subscribe" or not token_ok or challenge is None:
        raise Forbidden(
            "Verification failed: wrong mode or verify token.", code="verification_failed"
        )
    return challenge


def delivery_result(exc: BaseException) -> str:
    """`parley_webhook_deliveries_total`'s result for a delivery that raised: it is
    counted after the commit, so a failed commit is an `error` (answered 503)."""
    if getattr(exc, "status_code", None) == 413:
        return "too_large"
    if isinstance(exc, AppError) and exc.code == "invalid_signature":
        return "bad_signature"
    return "error"  # even after the row was written: nothing was committed


@router.post(
    "/meta",
    responses={200: {"model": Received}},
    # Read from the request directly (no dependency to solve on Meta's hottest path).
    openapi_extra={
        "parameters": [
            {
                "name": "X-Hub-Signature-256",
                "in": "header",
                "required": True,
                "description": "`sha256=` and the HMAC-SHA256 of the raw body with the app secret.",
                "schema": {"type": "string"},
            }
        ]
    },
)
async def receive(request: Request) -> Response:
    """Store a signed delivery durably, then acknowledge. Processing happens in a worker.

    Deliveries arriving together share one commit (`api.webhooks.batching`); each is
    acknowledged only once its own row is committed and its job enqueued."""
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


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/events")
async def list_events(
    scope: OperationsScope,
    session: SessionDep,
    status: WebhookEventStatus | None = None,
    channel_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[WebhookEventOut]:
    """Deliveries that concerned this tenant's channels, newest first."""
    return await WebhookOperations(session, scope).list_events(
        status=status, channel_id=channel_id, cursor=cursor, limit=limit
    )


@router.post("/events/{event_id}/replay", status_code=status.HTTP_202_ACCEPTED)
async def replay_event(
    event_id: uuid.UUID, scope: OperationsScope, session: SessionDep
) -> WebhookEventOut:
    """Process a delivery again (idempotent: nothing lands twice)."""
    return await WebhookOperations(session, scope).replay(event_id)


@router.get("/channels")
async def channel_stats(scope: OperationsScope, session: SessionDep) -> Page[ChannelWebhookStats]:
    """Per channel: last event, processing lag, failures and backlog."""
    return Page(items=await WebhookOperations(session, scope).channel_stats())
