from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api import events
from api.models import Channel, ChannelKind, ChannelStatus

EXPIRY_WARNING = timedelta(days=7)


class ChannelHealth(StrEnum):
    OK = "ok"
    EXPIRING = "expiring"
    NEEDS_REAUTH = "needs_reauth"
    DISCONNECTED = "disconnected"


class HistoryImport(BaseModel):
    status: Literal["none", "queued", "running", "done", "failed"]
    imported: int
    total: int | None
    error: str | None


class ChannelOut(BaseModel):
    """A connected page or number. Tokens are never part of it."""

    id: uuid.UUID
    kind: ChannelKind
    external_id: str
    name: str
    status: ChannelStatus
    health: ChannelHealth
    waba_id: str | None = None
    display_phone_number: str | None = None
    is_primary: bool
    last_event_at: datetime | None
    token_expires_at: datetime | None
    token_checked_at: datetime | None
    history_import: HistoryImport
    # Tell Meta when the team reads a conversation (Messenger `mark_seen`, WhatsApp read
    # receipts), so the customer sees their messages as seen.
    send_read_receipts: bool = False
    created_at: datetime


class ChannelSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ChannelKind
    name: str


class ChannelUpdate(BaseModel):
    """Only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    send_read_receipts: bool | None = Field(
        None,
        description="Tell Meta when the team reads a conversation (Messenger mark_seen, "
        "WhatsApp read receipts): the customer sees their messages as seen.",
    )

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return None if value is None else value.strip()

    @model_validator(mode="after")
    def _something(self) -> ChannelUpdate:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give name or send_read_receipts")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: must not be null")
        return self


class AuthorizeUrl(BaseModel):
    authorize_url: str


def health_of(channel: Channel, now: datetime) -> ChannelHealth:
    if channel.status is ChannelStatus.DISCONNECTED:
        return ChannelHealth.DISCONNECTED
    if channel.status is ChannelStatus.NEEDS_REAUTH:
        return ChannelHealth.NEEDS_REAUTH
    if channel.token_expires_at is not None and channel.token_expires_at - now < EXPIRY_WARNING:
        return ChannelHealth.EXPIRING
    return ChannelHealth.OK


def channel_out(channel: Channel, now: datetime) -> ChannelOut:
    status = channel.history_import_status
    return ChannelOut(
        id=channel.id,
        kind=channel.kind,
        external_id=channel.external_id,
        name=channel.name,
        status=channel.status,
        health=health_of(channel, now),
        waba_id=channel.waba_id,
        display_phone_number=channel.display_phone_number,
        is_primary=channel.is_primary,
        last_event_at=channel.last_event_at,
        token_expires_at=channel.token_expires_at,
        token_checked_at=channel.token_checked_at,
        send_read_receipts=bool(channel.send_read_receipts),
        history_import=HistoryImport(
            status=status if status in ("queued", "running", "done", "failed") else "none",
            imported=channel.history_imported,
            total=channel.history_total,
            error=channel.history_error,
        ),
        created_at=channel.created_at,
    )


def emit_channel_updated(session: AsyncSession, channel: Channel) -> ChannelOut:
    """Publish the channel's current state (`channel:updated`) once the session commits."""
    out = channel_out(channel, datetime.now(UTC))
    events.emit(
        session, channel.tenant_id, "channel:updated", {"channel": out.model_dump(mode="json")}
    )
    return out
