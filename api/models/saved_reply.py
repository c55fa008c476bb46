from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class SavedReply(IdMixin, TenantMixin, TimestampMixin, Base):
    """A canned response the team inserts by typing `/shortcut` in the composer."""

    __tablename__ = "saved_replies"
    # Also serves the prefix search: tenant_id, then shortcut in order.
    __table_args__ = (UniqueConstraint("tenant_id", "shortcut"),)

    shortcut: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
