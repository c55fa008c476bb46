from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin
from api.models.channel import Channel
from api.models.contact import Contact
from api.models.user import pg_enum


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"


class Conversation(IdMixin, TenantMixin, TimestampMixin, Base):
    """One thread per (channel, contact)."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel_id", "contact_id"),
        # The inbox list: newest activity first, keyset-paginated per tenant.
        Index("ix_conversations_tenant_activity", "tenant_id", "last_message_at", "id"),
        # The same order inside a status (All / open) and inside a folder (Mine or
        # Unassigned / open).
        Index(
            "ix_conversations_tenant_status_activity",
            "tenant_id",
            "status",
            "last_message_at",
            "id",
            postgresql_include=["channel_id", "assignee_id"],
        ),
        Index(
            "ix_conversations_tenant_assignee_activity",
            "tenant_id",
            "assignee_id",
            "status",
            "last_message_at",
            "id",
        ),
        # The open counts per channel and folder, read from this index alone. Partial on
        # a literal predicate: under row-level security `status = 'open'` cannot be an
        # index condition (enum equality is not LEAKPROOF), but it can select a partial
        # index (api.inbox.listing writes it as a literal for that reason).
        Index(
            "ix_conversations_open_counts",
            "tenant_id",
            "channel_id",
            "assignee_id",
            postgresql_where=text("status = 'open' AND deleted_at IS NULL"),
        ),
        # The open list (the inbox's default view), newest first: under row-level security
        # `status` cannot be an index condition (see above), so without this a deep page
        # filtered the tenant's whole activity index row by row.
        Index(
            "ix_conversations_open_activity",
            "tenant_id",
            "last_message_at",
            "id",
            postgresql_where=text("status = 'open' AND deleted_at IS NULL"),
        ),
        # The trash (soft-deleted, restorable for 30 days) and its purge.
        Index(
            "ix_conversations_deleted",
            "tenant_id",
            "deleted_at",
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
        # Window filters ("expiring soon") are ranges of the customer's last message.
        Index("ix_conversations_tenant_inbound", "tenant_id", "last_inbound_at"),
        # Label filter; unlabelled conversations (most) stay out of the index.
        Index(
            "ix_conversations_labels",
            "tenant_id",
            "labels",
            postgresql_using="gin",
            postgresql_where=text("cardinality(labels) > 0"),
        ),
        # The snooze wake-up reads only snoozed rows, across tenants.
        Index(
            "ix_conversations_snoozed_until",
            "snoozed_until",
            postgresql_where=text("status = 'snoozed'"),
        ),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[ConversationStatus] = mapped_column(
        pg_enum(ConversationStatus, "conversation_status"),
        default=ConversationStatus.OPEN,
        server_default=ConversationStatus.OPEN.value,
    )
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    labels: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default=text("'{}'")
    )
    unread_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_message_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_inbound_at: Mapped[datetime | None]
    # Soft delete: hidden from every list, restorable for 30 days, then purged.
    deleted_at: Mapped[datetime | None]
    last_message_preview: Mapped[str | None] = mapped_column(String(280))
    snoozed_until: Mapped[datetime | None]

    channel: Mapped[Channel] = relationship(lazy="raise")
    contact: Mapped[Contact] = relationship(lazy="raise")
