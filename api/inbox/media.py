"""Fetching inbound media into object storage, one attachment per job (never on the ingest
path). The message is visible at once with a `pending` attachment and updates when the
file is stored; retryable failures retry with backoff, permanent ones mark it `failed`."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.channels.adapters import FetchedMedia
from api.crypto import DecryptionError, SecretBox
from api.errors import AppError
from api.inbox.views import emit_message
from api.meta.errors import ErrorAction, GraphError
from api.models import Attachment, AttachmentState, Channel, ChannelKind, Message
from api.vault import open_token

MAX_MEDIA_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class MediaPlan:
    attachment_id: uuid.UUID
    kind: ChannelKind
    token: str
    url: str | None
    media_id: str | None
    key: str


def storage_key(attachment: Attachment) -> str:
    """Keys start with the tenant, so a tenant's files are easy to find, move or delete."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", attachment.filename or attachment.kind)[:100] or "file"
    return f"{attachment.tenant_id}/{attachment.message_id}/{attachment.id}/{name}"


class MediaFetch:
    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self.session = session
        self.box = box

    async def plan(self, attachment_id: uuid.UUID) -> MediaPlan | None:
        attachment = await self.session.get(Attachment, attachment_id, with_for_update=True)
        if attachment is None or attachment.state is AttachmentState.STORED:
            return None
        message = await self.session.get(Message, attachment.message_id)
        channel = await self.session.get(Channel, message.channel_id) if message else None
        if channel is None:
            return None
        try:
            token = open_token(self.box, channel)
        except (DecryptionError, AppError):
            await self.fail(attachment_id, "The channel's token is unavailable; reconnect it.")
            return None
        attachment.attempts += 1
        return MediaPlan(
            attachment.id,
            channel.kind,
            token,
            attachment.source_url,
            attachment.source_media_id,
            storage_key(attachment),
        )

    async def stored(self, attachment_id: uuid.UUID, key: str, media: FetchedMedia) -> None:
        attachment = await self._attachment(attachment_id)
        attachment.state = AttachmentState.STORED
        attachment.storage_key = key
        attachment.size = len(media.body)
        attachment.mime_type = attachment.mime_type or media.mime_type
        attachment.sha256 = hashlib.sha256(media.body).hexdigest()
        attachment.error = None
        await self._announce(attachment)

    async def fail(self, attachment_id: uuid.UUID, reason: str) -> None:
        attachment = await self._attachment(attachment_id)
        attachment.state = AttachmentState.FAILED
        attachment.error = reason[:500]
        await self._announce(attachment)

    async def _attachment(self, attachment_id: uuid.UUID) -> Attachment:
        attachment = await self.session.get(Attachment, attachment_id, with_for_update=True)
        assert attachment is not None
        return attachment

    async def _announce(self, attachment: Attachment) -> None:
        message = await self.session.get(Message, attachment.message_id)
        if message is not None:
            await emit_message(self.session, message)


def check_digest(media: FetchedMedia) -> None:
    """WhatsApp tells the sha256 of the file; a mismatch means a corrupt or wrong download.
    Accepted as hex or base64, since Meta's payloads have been seen with both."""
    if not media.sha256:
        return
    digest = hashlib.sha256(media.body).digest()
    expected = media.sha256.strip()
    if expected.lower() != digest.hex() and expected != base64.b64encode(digest).decode():
        raise GraphError(None, None, None, "The downloaded file does not match its sha256")


def is_permanent(error: GraphError, attempts: int) -> bool:
    gone = (
        error.http_status in (400, 401, 403, 404, 410, 413) or error.action is ErrorAction.PERMANENT
    )
    return gone or error.action is ErrorAction.REAUTH or attempts >= MAX_MEDIA_ATTEMPTS
