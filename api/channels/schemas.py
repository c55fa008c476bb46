from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from api.models import ChannelKind, ChannelStatus


class ChannelOut(BaseModel):
    """A connected page or number. Tokens are never part of it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ChannelKind
    external_id: str
    name: str
    status: ChannelStatus
    waba_id: str | None = None
    display_phone_number: str | None = None
    is_primary: bool
    last_event_at: datetime | None
    created_at: datetime


class ChannelSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ChannelKind
    name: str
