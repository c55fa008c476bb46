from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin
from api.models.user import pg_enum


class WebhookEventStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    DEAD = "dead"


class WebhookEvent(IdMixin, Base):
    """Every verified delivery from Meta, raw bytes kept, before anything is parsed.

    Not tenant-owned: a delivery is routed to tenants only when it is processed.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_status_received", "status", "received_at"),
        # The backlog per channel (operators' "pending"), before a worker has routed it.
        Index(
            "ix_webhook_events_pending_keys",
            "channel_keys",
            postgresql_using="gin",
            postgresql_where=text("status = 'received'"),
        ),
    )

    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)
    object: Mapped[str | None] = mapped_column(String(64))
    # The page / phone number / WABA ids the body names, read at ingest without a lookup.
    channel_keys: Mapped[list[str] | None] = mapped_column(ARRAY(String(64)))
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[WebhookEventStatus] = mapped_column(
        pg_enum(WebhookEventStatus, "webhook_event_status"), default=WebhookEventStatus.RECEIVED
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    # What processing did, for operators: "1 message", "unrouted: page 123 ...".
    result: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
