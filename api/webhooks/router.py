from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import PlainTextResponse

from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden
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


@router.post("/meta")
async def receive(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> dict[str, str]:
    """Store a signed delivery durably, then acknowledge. Processing happens in a worker."""
    body = await request.body()
    await WebhookIngest(session, settings.meta.app_secret).receive(body, signature)
    return {"status": "received"}
