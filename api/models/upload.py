from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class Upload(IdMixin, TenantMixin, TimestampMixin, Base):
    """A file a browser was allowed to PUT to object storage (a presigned URL), waiting to
    be sent as an attachment. A send uses it once: it then names its message, and the
    message's attachment keeps the same storage key. Unused ones are deleted after
    `STORAGE_UPLOAD_RETENTION_HOURS`."""

    __tablename__ = "uploads"
    __table_args__ = (
        # The clean-up walks only uploads never used, oldest first.
        Index(
            "ix_uploads_unused",
            "created_at",
            "id",
            postgresql_where=sql_text("message_id IS NULL"),
        ),
    )

    uploader_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    # Set once, by the send that used it (then never reused, even if the message goes).
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), unique=True
    )
    consumed_at: Mapped[datetime | None]
