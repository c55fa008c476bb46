from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class PendingStatus(IdMixin, Base):
    """A delivery status that arrived before its message had its provider id; applied when
    the message lands (DESIGN invariant 3)."""

    __tablename__ = "pending_statuses"
    __table_args__ = (UniqueConstraint("channel_id", "external_id", "status"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class MessageTemplate(IdMixin, TenantMixin, TimestampMixin, Base):
    """A WhatsApp template of one WABA: synced from Graph (api.templates.sync), its status kept
    current by `message_template_status_update` webhooks."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "waba_id", "name", "language"),)

    waba_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    components: Mapped[list[Any]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # POSITIONAL ({{1}}) or NAMED ({{first_name}}) body/header variables.
    parameter_format: Mapped[str | None] = mapped_column(String(16))
    quality_score: Mapped[str | None] = mapped_column(String(16))
    # When a sync from the WABA last saw it (null: known from a status webhook only).
    synced_at: Mapped[datetime | None]


class WebhookEventRoute(Base):
    """Which tenants' channels a delivery concerned, so each tenant's admins see (and can
    replay) their own events. Written before processing, so failures are attributable."""

    __tablename__ = "webhook_event_routes"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
