"""Sending an uploaded file (api.inbox.outbox): the tenant's own upload, used once, of a
type and size the channel takes, with a caption only where Meta shows one, and really in
object storage; the message then gets an outbound attachment with the upload's key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import AppError, NotFound, ServiceUnavailable
from api.models import Attachment, AttachmentState, Channel, ChannelKind, Message, Upload
from api.storage import Storage, StorageError
from api.tenancy import TenantScope
from api.uploads.limits import (
    MAX_CAPTION_LENGTH,
    Allowance,
    accepted_on,
    channel_name,
    file_type,
    megabytes,
)
from api.uploads.repository import UploadRepository

# Message types of files, on either channel.
ATTACHMENT_TYPES = frozenset({"image", "video", "audio", "document", "file"})


class AttachmentRefused(AppError):
    status_code = 422


@dataclass(frozen=True, slots=True)
class PreparedAttachment:
    upload: Upload
    message_type: str  # image | video | audio | document (WhatsApp) | file (Messenger)


class AttachmentSends:
    def __init__(self, session: AsyncSession, scope: TenantScope, storage: Storage) -> None:
        self.uploads = UploadRepository(session, scope)
        self.storage = storage

    async def prepare(
        self, channel: Channel, upload_id: uuid.UUID, caption: str | None
    ) -> PreparedAttachment:
        """The upload, locked, if this channel may send it with this caption."""
        upload = await self.uploads.for_update(upload_id)
        if upload is None:
            raise NotFound("Upload not found.", code="upload_not_found")
        if upload.consumed_at is not None:
            raise AttachmentRefused(
                "This upload was already sent in another message; upload the file again.",
                code="upload_already_used",
            )
        allowance = _allowance(channel.kind, upload)
        _check_caption(channel.kind, allowance.message_type, caption)
        return PreparedAttachment(upload, allowance.message_type)

    async def check_stored(self, prepared: PreparedAttachment) -> None:
        """The browser's PUT really happened (the store has the object, at its size)."""
        upload = prepared.upload
        try:
            stored = await self.storage.head(upload.storage_key)
        except StorageError as exc:
            raise ServiceUnavailable(
                "Object storage is unavailable; try again shortly.", code="storage_unavailable"
            ) from exc
        if stored is None or stored.size != upload.size:
            raise AttachmentRefused(
                f"The file {upload.filename!r} has not been uploaded (or not completely): "
                "PUT it to the upload URL first, or upload it again if the URL expired.",
                code="upload_missing",
            )

    @staticmethod
    def attach(message: Message, prepared: PreparedAttachment) -> Attachment:
        """The message's attachment (stored already: the browser put it there), and the
        upload marked used by this message."""
        upload = prepared.upload
        upload.message_id = message.id
        upload.consumed_at = datetime.now(UTC)
        return Attachment(
            id=uuid.uuid4(),
            tenant_id=message.tenant_id,
            message_id=message.id,
            kind=prepared.message_type,
            mime_type=upload.content_type,
            size=upload.size,
            filename=upload.filename,
            storage_key=upload.storage_key,
            state=AttachmentState.STORED,
            position=0,
        )


def _allowance(kind: ChannelKind, upload: Upload) -> Allowance:
    known = file_type(upload.content_type)
    allowance = known.on(kind) if known else None
    name = channel_name(kind)
    if known is None or allowance is None:
        label = known.label if known else upload.content_type
        raise AttachmentRefused(
            f"{name} does not accept {label}. It accepts: {accepted_on(kind)}.",
            code="attachment_not_allowed_on_channel",
        )
    if upload.size > allowance.max_bytes:
        raise AttachmentRefused(
            f"{name} accepts {known.label} of at most {megabytes(allowance.max_bytes)}; "
            f"this file is {megabytes(upload.size)}.",
            code="attachment_not_allowed_on_channel",
        )
    return allowance


def _check_caption(kind: ChannelKind, message_type: str, caption: str | None) -> None:
    if caption is None:
        return
    if kind is ChannelKind.MESSENGER:
        raise AttachmentRefused(
            "Messenger attachments carry no caption: send the text as its own message.",
            code="caption_not_supported",
        )
    if message_type == "audio":
        raise AttachmentRefused(
            "WhatsApp audio carries no caption: send the text as its own message.",
            code="caption_not_supported",
        )
    if len(caption) > MAX_CAPTION_LENGTH:
        raise AttachmentRefused(
            f"A WhatsApp caption is at most {MAX_CAPTION_LENGTH} characters "
            f"(this one has {len(caption)}).",
            code="caption_too_long",
        )


def attachment_preview(prepared: PreparedAttachment, caption: str | None) -> str:
    """The conversation list's preview line for a file sent: its caption, else its name."""
    return caption or f"📎 {prepared.upload.filename}"
