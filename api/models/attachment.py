from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin
from api.models.user import pg_enum


class AttachmentState(StrEnum):
    PENDING = "pending"
    STORED = "stored"
    FAILED = "failed"


class Attachment(IdMixin, TenantMixin, TimestampMixin, Base):
    """A file on a message. Inbound media is fetched by its own job and kept in S3-compatible
    storage; outbound files are uploaded there by the browser (api.uploads) before the send.
    The SPA only ever gets short-lived presigned URLs for them."""

    __tablename__ = "attachments"
    __table_args__ = (
        # The media sweeper's scan of downloads still pending (api.inbox.media).
        Index(
            "ix_attachments_pending",
            "updated_at",
            "id",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(128))
    storage_key: Mapped[str | None] = mapped_column(String(512))
    source_url: Mapped[str | None] = mapped_column(Text)
    # Meta's id for the file: an inbound WhatsApp media id, or for an outbound file the
    # WhatsApp media id / Messenger attachment id it was uploaded as (so a retry does not
    # upload it again), usable until `media_id_expires_at`.
    source_media_id: Mapped[str | None] = mapped_column(String(255))
    media_id_expires_at: Mapped[datetime | None]
    state: Mapped[AttachmentState] = mapped_column(
        pg_enum(AttachmentState, "attachment_state"), default=AttachmentState.PENDING
    )
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    position: Mapped[int] = mapped_column(default=0, server_default=text("0"))
