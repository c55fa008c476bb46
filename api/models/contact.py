from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class Contact(IdMixin, TenantMixin, TimestampMixin, Base):
    """A customer as seen by one channel: PSID for Messenger, wa_id for WhatsApp."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    business_user_id: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    # Soft delete: hidden everywhere, restorable for 30 days, then purged.
    deleted_at: Mapped[datetime | None]
