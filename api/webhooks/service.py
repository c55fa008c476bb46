"""Ingest (DESIGN invariant 2): verify, store the raw body, commit, enqueue, then 200.

The row in `webhook_events` is the durable copy; the queue entry is only a nudge, so a
Redis outage still acknowledges (a sweeper re-enqueues rows left in `received`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import AppError, Unauthorized
from api.models import PendingStatus, WebhookEvent, WebhookEventStatus
from api.pagination import beyond
from api.webhooks.signature import is_valid_signature

if TYPE_CHECKING:
    from api.webhooks.batching import IngestBatcher

PROCESS_JOB = "webhooks.process_event"
MAX_BODY_BYTES = 5 * 1024 * 1024  # Meta's payloads go up to ~3 MB


def dedup_key(body: bytes) -> str:
    """A redelivery of the same payload is byte-identical, so its hash is its identity."""
    return hashlib.sha256(body).hexdigest()


MAX_CHANNEL_KEYS = 32


@dataclass(frozen=True, slots=True)
class Label:
    """What the raw body says about itself, read at ingest for operators: never trusted
    for processing, which parses the stored bytes again."""

    object: str | None = None
    channel_keys: list[str] | None = None


def _text(value: Any) -> str | None:
    # PostgreSQL text cannot hold NUL; these columns are labels only.
    return str(value).replace("\x00", "")[:64] if isinstance(value, str | int) else None


def label_of(body: bytes) -> Label:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # anything goes: it is stored and judged later
        return Label()
    if not isinstance(payload, dict):
        return Label()
    obj = payload.get("object")
    keys: dict[str, None] = {}
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        numbers = [
            change["value"]["metadata"].get("phone_number_id")
            for change in entry.get("changes") or []
            if isinstance(change, dict)
            and isinstance(change.get("value"), dict)
            and isinstance(change["value"].get("metadata"), dict)
        ]
        # A page id, or a WhatsApp change's phone number ids (else the WABA id).
        for key in [n for n in numbers if n] or [entry.get("id")]:
            if (text := _text(key)) is not None:
                keys[text] = None
    return Label(
        object=_text(obj) if obj is not None else None,
        channel_keys=list(keys)[:MAX_CHANNEL_KEYS] or None,
    )


def process_job_id(event_id: uuid.UUID) -> str:
    return f"webhook:{event_id}"


@dataclass(frozen=True, slots=True)
class Receipt:
    """A stored delivery: its row, the object its body names, and whether the same bytes
    were stored before (a redelivery)."""

    event_id: uuid.UUID
    object: str | None
    duplicate: bool
    status: WebhookEventStatus = WebhookEventStatus.RECEIVED


class WebhookIngest:
    def __init__(self, batcher: IngestBatcher, app_secret: str) -> None:
        self.batcher = batcher
        self.app_secret = app_secret
        self.object: str | None = None  # what the body names, once it is verified

    async def receive(self, body: bytes, signature: str | None) -> Receipt:
        """Verify and store one delivery; its processing is enqueued after the commit."""
        if not is_valid_signature(body, signature, self.app_secret):
            raise Unauthorized(
                "X-Hub-Signature-256 is missing or does not match the body.",
                code="invalid_signature",
            )
        if len(body) > MAX_BODY_BYTES:
            raise AppError("Payload too large.", status_code=413, code="payload_too_large")
        label = label_of(body)
        self.object = label.object
        return await self._store(body, label)

    async def _store(self, body: bytes, label: Label) -> Receipt:
        return await self.batcher.store(body, label)


async def prune_processed(session: AsyncSession, older_than: timedelta) -> int:
    """Retention: drop raw deliveries processed long ago. Failed and dead ones are kept."""
    cutoff = datetime.now(UTC) - older_than
    result = await session.execute(
        delete(WebhookEvent)
        .where(
            WebhookEvent.status == WebhookEventStatus.PROCESSED, WebhookEvent.processed_at < cutoff
        )
        .returning(WebhookEvent.id)
    )
    removed = len(result.scalars().all())
    # Statuses parked for a message id that never arrived are of no use after this long.
    await session.execute(delete(PendingStatus).where(PendingStatus.created_at < cutoff))
    return removed


async def stale_received_events(
    session: AsyncSession,
    older_than: timedelta,
    *,
    after: tuple[uuid.UUID, datetime] | None = None,
    limit: int = 500,
) -> list[tuple[uuid.UUID, datetime]]:
    """Events not done after `older_than` (their queue entry was lost, or Redis was down),
    oldest first, as (id, received_at) keyset pages."""
    cutoff = datetime.now(UTC) - older_than
    statement = select(WebhookEvent.id, WebhookEvent.received_at).where(
        WebhookEvent.status.in_([WebhookEventStatus.RECEIVED, WebhookEventStatus.FAILED]),
        WebhookEvent.received_at < cutoff,
    )
    if after is not None:
        last_id, last_at = after
        statement = statement.where(
            beyond(WebhookEvent.received_at, WebhookEvent.id, (last_at, last_id))
        )
    statement = statement.order_by(WebhookEvent.received_at, WebhookEvent.id).limit(limit)
    return [(row[0], row[1]) for row in await session.execute(statement)]
