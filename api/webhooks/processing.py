"""Processing one stored delivery: parse, route each event to the tenant that owns its
channel, and apply it (DESIGN invariant 3).

Runs in a worker inside one unit of work (routes, rows and the event's state commit
together), so a failure leaves nothing half-written and the retry starts clean. When it
fails, the routes are recorded with the failure, so even a failing event shows up for
the right tenant's admins. A malformed body is kept and marked `dead`;
an unknown object or event kind is counted in the event's `result`; a channel nobody
owns is recorded, never a crash.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import BindParameter

from api import events
from api.channels.events import (
    ChannelUpdate,
    IgnoredEvent,
    InboundMessage,
    OutboundEcho,
    Reaction,
    StatusUpdate,
    WebhookItem,
)
from api.channels.parsing import parse_messenger, parse_whatsapp
from api.channels.repository import ChannelRouting
from api.channels.updates import ChannelUpdates
from api.inbox.ingest import InboundRecorder
from api.inbox.statuses import StatusApplier
from api.inbox.views import message_payload
from api.models import (
    Attachment,
    Channel,
    ChannelKind,
    ChannelStatus,
    WebhookEvent,
    WebhookEventRoute,
    WebhookEventStatus,
)
from api.observability import logs, tracing
from api.observability.logs import describe_error

MAX_ATTEMPTS = 8

PARSERS = {
    "page": (ChannelKind.MESSENGER, parse_messenger),
    "whatsapp_business_account": (ChannelKind.WHATSAPP, parse_whatsapp),
}

# The statements every delivery runs, built once: each is compiled and cache-keyed once
# per process instead of on every call. With them a delivery costs two statements of its
# own (lock, finish) around the work its items need.


def _typed(name: str, column: Any, *, array: bool = False) -> BindParameter[Any]:
    type_ = column.expression.type
    return bindparam(name, type_=ARRAY(type_) if array else type_)


# Spelled as the partial unique index's predicate, not as a bound parameter, so that the
# index on (kind, external_id) serves generic (prepared) plans too.
_LIVE = Channel.status != literal_column(f"'{ChannelStatus.DISCONNECTED.value}'")
# The channel kind the stored `object` label names (NULL for any other object).
_LABELLED_KIND = case(
    *(
        (WebhookEvent.object == name, literal(kind, Channel.__table__.c.kind.type))
        for name, (kind, _) in PARSERS.items()
    )
)

# The event, locked, with the live channels whose ids its body was labelled with at ingest
# (`object`, `channel_keys`), in one round trip, found through the (kind, external_id)
# index. The labels are only a hint: processing parses the stored body again and uses a
# channel only when the body names its kind and id.
_LOCK = (
    select(WebhookEvent, Channel)
    .outerjoin(
        Channel,
        and_(
            Channel.kind == _LABELLED_KIND,
            Channel.external_id == any_(WebhookEvent.channel_keys),
            _LIVE,
        ),
    )
    .where(WebhookEvent.id == _typed("p_id", WebhookEvent.id))
    .with_for_update(of=WebhookEvent)
)
# The live channels that the label did not bring: by id, or by WABA for account events.
_FIND = select(Channel).where(
    _LIVE,
    or_(
        and_(
            Channel.kind == _typed("p_kind", Channel.kind),
            Channel.external_id.in_(bindparam("p_external_ids", expanding=True)),
        ),
        Channel.waba_id.in_(bindparam("p_waba_ids", expanding=True)),
    ),
)
# The delivery's routes (idempotent), from two parallel arrays: one statement text for any
# number of routes, none included. On the table (Core), not the entity: the ORM would take
# an INSERT ... SELECT run with parameters for a bulk insert.
_WRITE_ROUTES = (
    insert(cast(Table, WebhookEventRoute.__table__))
    .from_select(
        ["event_id", "channel_id", "tenant_id"],
        select(
            _typed("p_event_id", WebhookEventRoute.event_id),
            func.unnest(_typed("p_channel_ids", WebhookEventRoute.channel_id, array=True)),
            func.unnest(_typed("p_tenant_ids", WebhookEventRoute.tenant_id, array=True)),
        ),
    )
    .on_conflict_do_nothing()
)
# The outcome and the routes, written together at the end of the unit of work.
_FINISH = (
    update(WebhookEvent)
    .where(WebhookEvent.id == _typed("p_event_id", WebhookEvent.id))
    .values(
        status=_typed("p_status", WebhookEvent.status),
        attempts=WebhookEvent.attempts + 1,
        result=_typed("p_result", WebhookEvent.result),
        last_error=_typed("p_last_error", WebhookEvent.last_error),
        processed_at=_typed("p_processed_at", WebhookEvent.processed_at),
    )
    .add_cte(_WRITE_ROUTES.cte("routed"))
    .execution_options(synchronize_session=False)
)


def parse_body(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def parse_items(payload: dict[str, Any]) -> tuple[ChannelKind, list[WebhookItem]] | None:
    parser = PARSERS.get(str(payload.get("object")))
    if parser is None:
        return None
    kind, parse = parser
    return kind, parse(payload)


class WebhookProcessor:
    def __init__(self, session: AsyncSession, app_id: str) -> None:
        self.session = session
        self.app_id = app_id
        self.routing = ChannelRouting(session)
        self.recorder = InboundRecorder(session)
        self.statuses = StatusApplier(session)
        self.updates = ChannelUpdates(session)
        self._channels: dict[str, Channel | None] = {}
        # (kind, external id) -> live channel, brought by the lock (`_LOCK`).
        self._prefetched: dict[tuple[ChannelKind, str], Channel] = {}

    async def route(self, event_id: uuid.UUID) -> int:
        """Record which tenants' channels the delivery concerns (idempotent). Used when
        processing failed, so the failed event shows up for the right tenant's admins."""
        event = await self.session.get(WebhookEvent, event_id)
        payload = parse_body(event.raw_body) if event is not None else None
        parsed = parse_items(payload) if payload is not None else None
        if event is None or parsed is None:
            return 0
        routes = await self._resolve(*parsed)
        if routes:
            await self.session.execute(_WRITE_ROUTES, _route_params(event.id, routes))
        return len(routes)

    async def _resolve(self, kind: ChannelKind, items: list[WebhookItem]) -> list[Channel]:
        """The channels the items name (remembered for `_channel`), and for account and
        template events, which name a WABA rather than a number, every live channel on
        it: the delivery's routes. Channels the lock brought cost no query."""
        external_ids = list(dict.fromkeys(i for item in items if (i := _channel_id(item))))
        waba_ids = list(
            dict.fromkeys(
                item.waba_id
                for item in items
                if isinstance(item, ChannelUpdate) and item.waba_id and not item.channel_external_id
            )
        )
        routes: dict[uuid.UUID, Channel] = {}
        missing: list[str] = []
        for external_id in external_ids:
            if external_id in self._channels:
                continue
            channel = self._prefetched.get((kind, external_id))
            if channel is None:
                missing.append(external_id)
            self._channels[external_id] = channel
        if missing or waba_ids:
            params = {"p_kind": kind, "p_external_ids": missing, "p_waba_ids": waba_ids}
            for channel in (await self.session.execute(_FIND, params)).scalars():
                routes[channel.id] = channel
                if channel.kind is kind and channel.external_id in missing:
                    self._channels[channel.external_id] = channel
        for external_id in external_ids:
            if (channel := self._channels.get(external_id)) is not None:
                routes[channel.id] = channel
        return list(routes.values())

    async def process(self, event_id: uuid.UUID) -> WebhookEvent | None:
        """Route and process the event unless it is already done, in the caller's unit of
        work. Returns the event, or None if absent."""
        tracing.annotate(**{"parley.webhook.event_id": str(event_id)})
        event = await self._lock(event_id)
        if event is None or event.status in (WebhookEventStatus.PROCESSED, WebhookEventStatus.DEAD):
            return event
        payload = parse_body(event.raw_body)
        if payload is None:
            await self._finish(
                event, WebhookEventStatus.DEAD, error="malformed payload: not a JSON object"
            )
            return event
        parsed = parse_items(payload)
        if parsed is None:
            await self._finish(
                event,
                WebhookEventStatus.PROCESSED,
                result=f"ignored object {str(payload.get('object'))[:64]!r}",
            )
            return event
        kind, items = parsed
        routes = await self._resolve(kind, items)
        summary: Counter[str] = Counter()
        for item in items:
            summary[await self._apply(kind, item)] += 1
        await self._finish(
            event, WebhookEventStatus.PROCESSED, result=_describe(summary), routes=routes
        )
        return event

    async def _apply(self, kind: ChannelKind, item: WebhookItem) -> str:
        if isinstance(item, IgnoredEvent):
            return f"ignored {item.kind}"
        external_id = _channel_id(item)
        channel = await self._channel(kind, external_id)
        if channel is not None:  # the lines that follow are this tenant's work
            logs.bind(tenant_id=channel.tenant_id)
        if isinstance(item, ChannelUpdate):
            return await self.updates.apply(item, [channel] if channel else [])
        if channel is None:
            return f"unrouted: {kind.value} {external_id} is not connected to any tenant"
        if isinstance(item, InboundMessage):
            return "message" if await self.recorder.record(channel, item) else "duplicate message"
        if isinstance(item, OutboundEcho):
            return await self.recorder.record_echo(channel, item, self.app_id)
        if isinstance(item, Reaction):
            return await self.recorder.react(channel, item)
        return await self._status(channel, item)

    async def _status(self, channel: Channel, update: StatusUpdate) -> str:
        changed = await self.statuses.apply(channel, update)
        for message in changed:  # its attachments are read only if it has any
            known: list[Attachment] | None = (
                [] if message.id in self.statuses.without_attachments else None
            )
            payload = await message_payload(self.session, message, known)
            events.emit(self.session, message.tenant_id, "message:updated", payload)
        return f"status {update.status}" if changed else f"status {update.status} (no change)"

    async def _channel(self, kind: ChannelKind, external_id: str | None) -> Channel | None:
        if external_id is None:
            return None
        if external_id not in self._channels:
            self._channels[external_id] = await self.routing.find(kind, external_id)
        return self._channels[external_id]

    async def _lock(self, event_id: uuid.UUID) -> WebhookEvent | None:
        """The event, locked; the live channels it was labelled with are kept aside."""
        rows = (await self.session.execute(_LOCK, {"p_id": event_id})).all()
        if not rows:
            return None
        self._prefetched = {(c.kind, c.external_id): c for _, c in rows if c is not None}
        event: WebhookEvent = rows[0][0]
        return event

    async def _finish(
        self,
        event: WebhookEvent,
        status: WebhookEventStatus,
        *,
        result: str | None = None,
        error: str | None = None,
        routes: list[Channel] | None = None,
    ) -> None:
        """Write the outcome and the routes in one statement, now (the event row is locked
        by this unit of work); the loaded event shows the same values, not as changes."""
        values = {
            "status": status,
            "attempts": event.attempts + 1,
            "result": result[:4000] if result else result,
            "last_error": error,
            "processed_at": datetime.now(UTC),
        }
        await self.session.execute(
            _FINISH,
            {
                **_route_params(event.id, routes or []),
                "p_status": status,
                "p_result": values["result"],
                "p_last_error": error,
                "p_processed_at": values["processed_at"],
            },
        )
        for key, value in values.items():
            set_committed_value(event, key, value)


def _route_params(event_id: uuid.UUID, routes: list[Channel]) -> dict[str, Any]:
    return {
        "p_event_id": event_id,
        "p_channel_ids": [c.id for c in routes],
        "p_tenant_ids": [c.tenant_id for c in routes],
    }


def _channel_id(item: WebhookItem) -> str | None:
    return item.channel_external_id


async def record_failure(
    session: AsyncSession, event_id: uuid.UUID, error: BaseException
) -> WebhookEventStatus:
    """Count a failed attempt; after MAX_ATTEMPTS the event is `dead` and stops retrying.
    The error is kept as its class and a short message: never a statement's parameters
    (a failed INSERT's would hold the customer's message; tenant admins read this)."""
    event = await session.get(WebhookEvent, event_id, with_for_update=True)
    if event is None:
        return WebhookEventStatus.DEAD
    event.attempts += 1
    event.last_error = describe_error(error)
    event.status = (
        WebhookEventStatus.DEAD if event.attempts >= MAX_ATTEMPTS else WebhookEventStatus.FAILED
    )
    return event.status


def _describe(summary: Counter[str]) -> str:
    return (
        ", ".join(f"{count} x {what}" for what, count in sorted(summary.items()))
        or "empty delivery"
    )
