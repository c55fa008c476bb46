from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin
from api.models.user import pg_enum


class ChannelKind(StrEnum):
    MESSENGER = "messenger"
    WHATSAPP = "whatsapp"


class ChannelStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    DISCONNECTED = "disconnected"


class Channel(IdMixin, TenantMixin, TimestampMixin, Base):
    """A connected Messenger page or WhatsApp phone number.

    `external_id` (page id or phone_number_id) is unique per kind across all tenants:
    an external id is connected to at most one tenant at a time.
    """

    __tablename__ = "channels"
    __table_args__ = (
        # Connected to at most one tenant at a time; disconnected rows keep their history.
        Index(
            "uq_channels_kind_external_id_live",
            "kind",
            "external_id",
            unique=True,
            postgresql_where=text("status <> 'disconnected'"),
        ),
    )

    kind: Mapped[ChannelKind] = mapped_column(pg_enum(ChannelKind, "channel_kind"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    display_phone_number: Mapped[str | None] = mapped_column(String(32))
    waba_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ChannelStatus] = mapped_column(
        pg_enum(ChannelStatus, "channel_status"), default=ChannelStatus.ACTIVE
    )
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    token_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_key_id: Mapped[str | None] = mapped_column(String(32))
    last_event_at: Mapped[datetime | None]
    meta_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("meta_accounts.id", ondelete="SET NULL")
    )
    token_expires_at: Mapped[datetime | None]
    token_checked_at: Mapped[datetime | None]
    history_import_status: Mapped[str] = mapped_column(
        String(16), default="none", server_default="none"
    )
    history_imported: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    history_total: Mapped[int | None]
    history_error: Mapped[str | None] = mapped_column(String(500))
    # WhatsApp number health from Meta (phone_number_quality_update / discovery).
    quality_rating: Mapped[str | None] = mapped_column(String(16))
    messaging_limit: Mapped[str | None] = mapped_column(String(32))
    # Tell Meta when the team reads a conversation (Messenger `mark_seen`, WhatsApp read
    # receipts): customers then see their messages as seen. Off unless an admin turns it on.
    send_read_receipts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
