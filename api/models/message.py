from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin
from api.models.user import pg_enum


class MessageDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    # A teammate's private note in the thread: never sent to Meta (see NOTE_NEVER_SENT).
    NOTE = "note"


class MessageStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


# What message search matches: every language, so no stemming or stop words ('simple').
SEARCH_VECTOR_SQL = "to_tsvector('simple'::regconfig, COALESCE(text, ''::text))"

# A business reaction not yet confirmed by Meta (api.inbox.reactions): what the re-drive
# of lost reaction jobs looks for, through a partial index that holds only those.
REACTION_PENDING_SQL = "reactions @> '[{\"pending\": true}]'::jsonb"

# Failed replies, for the reports' failures by reason (api.reports): a small partial index.
FAILED_SQL = "status = 'failed'"

# A note stays in Parley: the database refuses one that would ever be queued or sent.
NOTE_NEVER_SENT = "direction <> 'note' OR (status = 'received' AND external_id IS NULL)"


class Message(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # Idempotent processing: a provider id lands once per channel.
        UniqueConstraint("channel_id", "external_id"),
        # A client's Idempotency-Key creates one message per tenant and author (sends with
        # no author, e.g. automations, share the tenant's key space: NULLS NOT DISTINCT).
        Index(
            "uq_messages_idempotency",
            "tenant_id",
            "author_user_id",
            "idempotency_key",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=sql_text("idempotency_key IS NOT NULL"),
        ),
        Index("ix_messages_conversation_order", "conversation_id", "sort_at", "id"),
        # Replies in flight only, for the outbound re-drive (api.inbox.redrive).
        Index(
            "ix_messages_in_flight",
            "status",
            "updated_at",
            "id",
            postgresql_where=sql_text("status IN ('queued', 'sending')"),
        ),
        Index(
            "ix_messages_reaction_pending",
            "updated_at",
            "id",
            postgresql_where=sql_text(REACTION_PENDING_SQL),
        ),
        # Reports (api.reports): a tenant's messages per day, read from the index alone.
        Index(
            "ix_messages_tenant_sort_at",
            "tenant_id",
            "sort_at",
            postgresql_include=["channel_id", "direction", "status"],
        ),
        Index(
            "ix_messages_tenant_failed",
            "tenant_id",
            "sort_at",
            postgresql_where=sql_text(FAILED_SQL),
        ),
        # Full-text search within a tenant (btree_gin puts tenant_id in the same GIN index).
        Index("ix_messages_search", "tenant_id", "search_vector", postgresql_using="gin"),
        CheckConstraint(NOTE_NEVER_SENT, name="note_never_sent"),
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
    # SHA-256 of the send request behind an idempotency key: a reused key with another
    # request is refused instead of answering with an unrelated message.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Sent by an automation, not written by a person: never under the HUMAN_AGENT tag.
    automated: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))
    # The Messenger message tag this reply goes (or went) out with (HUMAN_AGENT only).
    tag: Mapped[str | None] = mapped_column(String(32))
    # How often a person asked to send this failed message again (part of its job id).
    retry_count: Mapped[int] = mapped_column(default=0, server_default=sql_text("0"))
    provider_timestamp: Mapped[datetime | None]
    # Provider time for inbound messages, creation time for ours: the thread's order.
    sort_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default=sql_text("0"))
    # The message this one quotes (Messenger reply_to.mid / WhatsApp context.id).
    reply_to_external_id: Mapped[str | None] = mapped_column(String(255))
    # [{emoji, by: contact|business, at}]: at most one reaction per side, as on Meta. The
    # business's carries its sync state with Meta while pending (api.inbox.reactions).
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
    # The text's lexemes, kept by PostgreSQL: search filters on it without re-parsing the
    # text, whichever plan it picks. Never loaded by the ORM.
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(SEARCH_VECTOR_SQL, persisted=True),
        deferred=True,
        deferred_raiseload=True,
    )
