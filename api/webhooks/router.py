from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import PlainTextResponse

from api.auth.deps import OperationsScope
from api.deps import SessionDep, SettingsDep
from api.errors import AppError, Forbidden
from api.models import WebhookEventStatus
from api.observability import metrics, tracing
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.webhooks.operations import WebhookOperations
from api.webhooks.schemas import ChannelWebhookStats, WebhookEventOut
from api.webhooks.service import WebhookIngest

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


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


@dataclass
class Delivery:
    object: str | None = None
    result: str = "error"


async def count_delivery() -> AsyncIterator[Delivery]:
    """`parley_webhook_deliveries_total`: entered before the session, so it counts the
    outcome after the commit (a failed commit is an `error`, answered 503)."""
    delivery = Delivery()
    try:
        yield delivery
    except Exception as exc:
        if getattr(exc, "status_code", None) == 413:
            delivery.result = "too_large"
        elif isinstance(exc, AppError) and exc.code == "invalid_signature":
            delivery.result = "bad_signature"
        else:  # even after the route said "accepted": nothing was stored
            delivery.result = "error"
        raise
    finally:
        metrics.webhook_delivery(delivery.object, delivery.result)


@router.post("/meta")
async def receive(
    delivery: Annotated[Delivery, Depends(count_delivery, scope="function")],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> dict[str, str]:
    """Store a signed delivery durably, then acknowledge. Processing happens in a worker."""
    body = await request.body()
    receipt = await WebhookIngest(session, settings.meta.app_secret).receive(body, signature)
    tracing.annotate(**{"parley.webhook.event_id": str(receipt.event_id)})
    delivery.object = receipt.object
    delivery.result = (
        "duplicate" if receipt.duplicate else "accepted" if receipt.object else "malformed"
    )
    return {"status": "received"}


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
