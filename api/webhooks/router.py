from __future__ import annotations

import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse, Response

from api.auth.deps import OperationsScope
from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden
from api.models import WebhookEventStatus
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.webhooks.lane import Received, receive_delivery
from api.webhooks.operations import WebhookOperations
from api.webhooks.schemas import ChannelWebhookStats, WebhookEventOut

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
    acknowledged only once its own row is committed and its job enqueued. In the api
    (`create_app`) `api.webhooks.lane` answers this route ahead of the router."""
    return await receive_delivery(request)


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
