"""Fetching inbound media into object storage, one attachment per job (never on the ingest
path). The message is visible at once with a `pending` attachment and updates when the
file is stored; retryable failures retry with backoff, permanent ones mark it `failed`."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.channels.adapters import FetchedMedia
from api.crypto import DecryptionError, SecretBox
from api.errors import AppError
from api.inbox.ingest import FETCH_MEDIA_JOB
from api.inbox.views import emit_message
from api.meta.errors import ErrorAction, GraphError
from api.models import Attachment, AttachmentState, Channel, ChannelKind, Message
from api.pagination import beyond
from api.vault import open_token

MAX_MEDIA_ATTEMPTS = 5
# The re-drive of downloads whose job Redis lost (DESIGN invariant 4). Each try stamps the
# row (attempts, updated_at), so "stale" means: no try for this long. A job still queued
# or running collapses with the re-enqueue (same job id), so a short grace is harmless.
MEDIA_STALE_AFTER = timedelta(minutes=5)
# Giving up must wait until no try can still be running (a job's timeout is 300 s).
MEDIA_GIVE_UP_AFTER = timedelta(minutes=10)
GAVE_UP_REASON = "The file could not be downloaded from Meta after several attempts."

Key = tuple[datetime, uuid.UUID]  # (updated_at, id): the sweeper's keyset position


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


def media_job_id(attachment_id: uuid.UUID) -> str:
    return f"media:{attachment_id}"


def _stale_pending(older_than: timedelta, after: Key | None) -> ColumnElement[bool]:
    # The database's clock, the same one that stamped updated_at.
    criteria = [
        Attachment.state == AttachmentState.PENDING,
        Attachment.updated_at < func.now() - older_than,
    ]
    if after is not None:
        criteria.append(beyond(Attachment.updated_at, Attachment.id, after))
    return and_(*criteria)


async def requeue_stale_media(session: AsyncSession, after: Key | None, limit: int) -> list[Key]:
    """Enqueue (after commit) the download of each pending attachment with tries left and
    no try for MEDIA_STALE_AFTER, under the ingest path's job id. Across tenants (a
    system job)."""
    rows = await session.execute(
        select(Attachment.updated_at, Attachment.id)
        .where(
            _stale_pending(MEDIA_STALE_AFTER, after),
            Attachment.attempts < MAX_MEDIA_ATTEMPTS,
        )
        .order_by(Attachment.updated_at, Attachment.id)
        .limit(limit)
    )
    keys = [(updated_at, attachment_id) for updated_at, attachment_id in rows]
    for _, attachment_id in keys:
        jobs.enqueue_job(
            session, FETCH_MEDIA_JOB, str(attachment_id), job_id=media_job_id(attachment_id)
        )
    return keys


async def fail_exhausted_media(session: AsyncSession, after: Key | None, limit: int) -> list[Key]:
    """Mark `failed` each pending attachment whose tries are used up (its jobs ended without
    an outcome, e.g. killed or lost), so it is not re-driven forever; emit each change.
    SKIP LOCKED: a try recording its outcome right now wins."""
    statement = (
        select(Attachment)
        .where(
            _stale_pending(MEDIA_GIVE_UP_AFTER, after),
            Attachment.attempts >= MAX_MEDIA_ATTEMPTS,
        )
        .order_by(Attachment.updated_at, Attachment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    attachments = list((await session.execute(statement)).scalars())
    keys = [(a.updated_at, a.id) for a in attachments]  # before the update moves updated_at
    for attachment in attachments:
        attachment.state, attachment.error = AttachmentState.FAILED, GAVE_UP_REASON
    for message_id in dict.fromkeys(a.message_id for a in attachments):
        message = await session.get(Message, message_id)
        if message is not None:
            await emit_message(session, message)
    return keys


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
