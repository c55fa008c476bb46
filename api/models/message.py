from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin
from api.models.user import pg_enum


class MessageDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Message(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # Idempotent processing: a provider id lands once per channel.
        UniqueConstraint("channel_id", "external_id"),
        # A client's Idempotency-Key creates one message per tenant.
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_messages_conversation_order", "conversation_id", "sort_at", "id"),
        # Replies in flight only, for the outbound re-drive (api.inbox.redrive).
        Index(
            "ix_messages_in_flight",
            "status",
            "updated_at",
            "id",
            postgresql_where=sql_text("status IN ('queued', 'sending')"),
        ),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    direction: Mapped[MessageDirection] = mapped_column(
        pg_enum(MessageDirection, "message_direction")
    )
    type: Mapped[str] = mapped_column(String(32), default="text", server_default="text")
    text: Mapped[str | None] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=sql_text("'{}'::jsonb")
    )
    external_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[MessageStatus] = mapped_column(pg_enum(MessageStatus, "message_status"))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_reason: Mapped[str | None] = mapped_column(Text)
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    provider_timestamp: Mapped[datetime | None]
    # Provider time for inbound messages, creation time for ours: the thread's order.
    sort_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default=sql_text("0"))
    # The message this one quotes (Messenger reply_to.mid / WhatsApp context.id).
    reply_to_external_id: Mapped[str | None] = mapped_column(String(255))
    # [{emoji, by: contact|business, at}]: at most one reaction per side, as on Meta.
    reactions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=sql_text("'[]'::jsonb")
    )
    # Sent by the business from another tool (Meta Business Suite, another app).
    written_elsewhere: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))
    status_at: Mapped[datetime | None]
    # Delivery details from the provider: pricing, conversation, callback data.
    status_details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=sql_text("'{}'::jsonb")
    )
