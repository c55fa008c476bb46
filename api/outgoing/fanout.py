"""Fan-out: realtime events become outgoing webhook deliveries, durably.

`api.events.emit` hands every event to `record`. When the session commits, just before the
commit (SQLAlchemy's `before_commit` hook, inside the same transaction) each event that
some enabled endpoint of its tenant subscribes to becomes one `webhook_deliveries` row per
such endpoint: a committed change always has its deliveries, a rolled-back one has none.
After the commit a delivery job is enqueued per row; a sweeper re-drives rows whose job
Redis lost (DESIGN invariant 4).

Message ingest is the hot path, and most tenants have no endpoints, so each process keeps,
per tenant, the set of event types its enabled endpoints want for
`OUTGOING_WEBHOOKS_ENDPOINT_CACHE_SECONDS` (5 s): an event nobody wants costs no query.
Which endpoints get a row is decided by the INSERT itself, so a stale cache never sends to
a removed, disabled or unsubscribed endpoint; it can only make a new subscription start up
to that many seconds late in other processes (the process that saved it forgets its cache
entry at once).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from api.config import get_settings
from api.db import after_commit
from api.outgoing import store
from api.outgoing.catalog import FROM_SOCKET_EVENT, envelope
from api.outgoing.jobs import enqueue_delivery

_PENDING_KEY = "parley.outgoing.pending"
_CACHE_LIMIT = 50_000  # tenants remembered per process before expired entries are dropped


class SubscriptionCache:
    """tenant id -> the event types its enabled endpoints want, for a few seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[uuid.UUID, tuple[float, frozenset[str]]] = {}

    def get(self, tenant_id: uuid.UUID) -> frozenset[str] | None:
        entry = self._entries.get(tenant_id)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, tenant_id: uuid.UUID, types: frozenset[str], ttl: float) -> None:
        now = self.clock()
        if len(self._entries) >= _CACHE_LIMIT:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
        self._entries[tenant_id] = (now + ttl, types)

    def forget(self, tenant_id: uuid.UUID) -> None:
        self._entries.pop(tenant_id, None)


subscriptions = SubscriptionCache()


@dataclass(frozen=True, slots=True)
class _Event:
    tenant_id: uuid.UUID
    type: str
    payload: dict[str, Any]


@dataclass
class _Pending:
    events: list[_Event] = field(default_factory=list)
    delivery_ids: list[uuid.UUID] = field(default_factory=list)

    async def enqueue(self) -> None:
        for delivery_id in self.delivery_ids:
            await enqueue_delivery(delivery_id)


def record(
    session: AsyncSession, tenant_id: uuid.UUID, socket_event: str, data: dict[str, Any]
) -> None:
    """Note a realtime event; its deliveries are written when `session` commits."""
    event_type = FROM_SOCKET_EVENT.get(socket_event)
    if event_type is None:
        return
    pending: _Pending | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = _Pending()
        after_commit(session, pending.enqueue)
    payload = envelope(uuid.uuid4(), event_type.value, datetime.now(UTC), tenant_id, data)
    pending.events.append(_Event(tenant_id, event_type.value, payload))


def _subscribed(session: Session, tenant_id: uuid.UUID) -> frozenset[str]:
    types = subscriptions.get(tenant_id)
    if types is None:
        types = store.subscribed_event_types(session, tenant_id)
        ttl = get_settings().outgoing_webhooks.endpoint_cache_seconds
        subscriptions.put(tenant_id, types, ttl)
    return types


@event.listens_for(Session, "before_commit")
def _write_deliveries(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING_KEY, None)
    if pending is None:
        return
    now = datetime.now(UTC)
    for item in pending.events:
        if item.type in _subscribed(session, item.tenant_id):
            pending.delivery_ids += store.insert_deliveries(
                session,
                item.tenant_id,
                uuid.UUID(item.payload["id"]),
                item.type,
                item.payload,
                now,
            )


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole unit of work, not a savepoint
        session.info.pop(_PENDING_KEY, None)
