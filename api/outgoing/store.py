"""SQL for the fan-out and the delivery jobs. These work from a row id (a delivery, an
endpoint) or a tenant id taken from a committed change, never from a caller's input: the
tenant always comes from the row or the event itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.types import Uuid

from api.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from api.pagination import beyond

# -- fan-out (synchronous: runs inside the session's commit, see api.outgoing.fanout) --


def subscribed_event_types(session: Session, tenant_id: uuid.UUID) -> frozenset[str]:
    """Every event type some enabled endpoint of the tenant wants."""
    rows = session.execute(
        select(func.unnest(WebhookEndpoint.events)).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.enabled
        )
    )
    return frozenset(str(value) for value in rows.scalars())


def insert_deliveries(
    session: Session,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
) -> list[uuid.UUID]:
    """One pending delivery per enabled endpoint of the tenant subscribed to the event,
    decided by the database at commit (so a stale cache never names a removed endpoint)."""
    source = select(
        func.gen_random_uuid(),
        WebhookEndpoint.tenant_id,
        WebhookEndpoint.id,
        literal(event_id, Uuid()),
        literal(event_type),
        literal(payload, JSONB()),
        literal(now),
    ).where(
        WebhookEndpoint.tenant_id == tenant_id,
        WebhookEndpoint.enabled,
        WebhookEndpoint.events.any_() == event_type,
    )
    statement = (
        insert(WebhookDelivery)
        .from_select(
            [
                "id",
                "tenant_id",
                "endpoint_id",
                "event_id",
                "event_type",
                "payload",
                "next_attempt_at",
            ],
            source,
        )
        .returning(WebhookDelivery.id)
    )
    return list(session.execute(statement).scalars())


# -- delivery jobs --


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint


async def lock_due(session: AsyncSession, delivery_id: uuid.UUID) -> Claimed | None:
    """The delivery and its endpoint, the delivery row locked (SKIP LOCKED: another worker
    holding it is sending it now)."""
    statement = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    row = (await session.execute(statement)).one_or_none()
    return None if row is None else Claimed(row[0], row[1])


async def get_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id, with_for_update=True)


async def due_deliveries(
    session: AsyncSession,
    before: datetime,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[datetime, uuid.UUID]]:
    """Pending deliveries whose next attempt was due before `before`, in (due, id) order
    (the partial index `ix_webhook_deliveries_due`)."""
    statement = select(WebhookDelivery.next_attempt_at, WebhookDelivery.id).where(
        WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
        WebhookDelivery.next_attempt_at <= before,
    )
    if after is not None:
        statement = statement.where(
            beyond(WebhookDelivery.next_attempt_at, WebhookDelivery.id, after)  # type: ignore[arg-type]
        )
    statement = statement.order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    rows = await session.execute(statement.limit(limit))
    return [(at, id_) for at, id_ in rows.all() if at is not None]


async def fail_pending(
    session: AsyncSession, endpoint_id: uuid.UUID, reason: str, now: datetime
) -> int:
    """Give up on an endpoint's pending deliveries (it was disabled)."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
        )
        .values(status=WebhookDeliveryStatus.FAILED, error=reason, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def prune(session: AsyncSession, before: datetime) -> int:
    """Delete deliveries created before `before` (the log's retention)."""
    result = await session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def endpoints_sealed_with_other_keys(
    session: AsyncSession, active_key_id: str
) -> list[WebhookEndpoint]:
    """Every endpoint whose secret is sealed under another key than the active one (locked:
    key rotation re-seals them)."""
    statement = select(WebhookEndpoint).where(WebhookEndpoint.secret_key_id != active_key_id)
    return list((await session.execute(statement.with_for_update())).scalars())
