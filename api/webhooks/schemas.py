from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from api.models import ChannelKind, WebhookEventStatus


class WebhookEventOut(BaseModel):
    """A stored delivery as its tenant's admins see it (the raw body is not exposed)."""

    id: uuid.UUID
    object: str | None
    status: WebhookEventStatus
    attempts: int
    last_error: str | None
    result: str | None
    received_at: datetime
    processed_at: datetime | None
    channel_ids: list[uuid.UUID]


class ChannelWebhookStats(BaseModel):
    channel_id: uuid.UUID
    channel_name: str
    kind: ChannelKind
    last_event_at: datetime | None
    lag_ms: float | None
    processed_24h: int
    failed: int
    dead: int
    pending: int
