from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin
from api.models.user import pg_enum


class MetaAccountStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    REVOKED = "revoked"


class MetaAccount(IdMixin, TenantMixin, TimestampMixin, Base):
    """The Facebook user who connected channels for a tenant, with their long-lived token."""

    __tablename__ = "meta_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "fb_user_id"),)

    fb_user_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    token_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_key_id: Mapped[str | None] = mapped_column(String(32))
    token_expires_at: Mapped[datetime | None]
    data_access_expires_at: Mapped[datetime | None]
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    # {scope: [target ids]} from /debug_token: which pages / WABAs / businesses were granted.
    granular_scopes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[MetaAccountStatus] = mapped_column(
        pg_enum(MetaAccountStatus, "meta_account_status"), default=MetaAccountStatus.ACTIVE
    )
    connected_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class OAuthState(IdMixin, Base):
    """A Facebook Login `state`: bound to the user who started it, single use, short-lived.
    Only its hash is stored."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WhatsAppBusinessAccount(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "whatsapp_business_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "waba_id"),)

    meta_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("meta_accounts.id", ondelete="SET NULL")
    )
    business_id: Mapped[str | None] = mapped_column(String(64))
    waba_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    # Latest account_update from Meta (restriction, violation, offboarding...).
    account_status: Mapped[str | None] = mapped_column(String(64))
    account_event: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )


class DataDeletionStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


class DataDeletionRequest(IdMixin, Base):
    """Meta's data-deletion callback for one Facebook user; its status page is public."""

    __tablename__ = "data_deletion_requests"

    confirmation_code: Mapped[str] = mapped_column(String(64), unique=True)
    fb_user_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[DataDeletionStatus] = mapped_column(
        pg_enum(DataDeletionStatus, "data_deletion_status"), default=DataDeletionStatus.PENDING
    )
    summary: Mapped[str | None] = mapped_column(String(500))
    requested_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
