"""Deliver built events: one event, or a batch re-delivered as identical bytes.

Everything is signed and logged exactly like ``/_sim/messenger/deliver``: the body is
encoded once (Meta's escaping), signed over those bytes and POSTed; a failed target is
reported in the answer, never raised.
"""

import secrets
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from metasim import events_messenger, events_whatsapp
from metasim.config import SimSettings
from metasim.errors import AdminError, JSONDict
from metasim.event_schemas import (
    BatchIn,
    MessengerEvent,
    MessengerEventIn,
    WhatsAppEvent,
    WhatsAppEventIn,
)
from metasim.state import Delivery, SimState, now_s
from metasim.webhooks import encode_body, now_ms, post_signed

ModelT = TypeVar("ModelT", bound=BaseModel)

# Keys a delivery log entry already has; event ids never overwrite them.
_RESERVED_REFS = {"id", "kind", "url", "body", "delivered", "status_code", "error", "sent_at"}


def delivery_refs(ids: dict[str, Any], **extra: str) -> dict[str, str]:
    """The scalar ids of an event, as strings, for the deliveries log (``kind`` → ``event``)."""
    refs = {"event": str(ids.get("kind", ""))}
    for key, value in ids.items():
        if key != "kind" and key not in _RESERVED_REFS and isinstance(value, str | int):
            refs[key] = str(value)
    refs.update(extra)
    return refs


def answer(delivery: Delivery, ids: dict[str, Any]) -> JSONDict:
    """What the event endpoints answer: the delivery outcome plus the ids involved."""
    return {
        "delivered": delivery.delivered,
        "status_code": delivery.status_code,
        "error": delivery.error,
        "delivery_id": delivery.id,
        **ids,
    }


async def deliver_messenger_event(
    state: SimState, settings: SimSettings, base_url: str, spec: MessengerEventIn
) -> JSONDict:
    """Build one Messenger event, deliver it signed, answer the outcome and ids."""
    at_ms = now_ms()
    async with state.lock:
        built = events_messenger.build_event(state, base_url, spec, at_ms)
    body = encode_body(events_messenger.page_payload([built], at_ms))
    url = spec.url or settings.webhook_url
    refs = delivery_refs(built.ids)
    delivery = await post_signed(state, settings, "messenger", refs, url, body)
    return answer(delivery, built.ids)


async def deliver_whatsapp_event(
    state: SimState, settings: SimSettings, spec: WhatsAppEventIn
) -> JSONDict:
    """Build one WhatsApp event, deliver it signed, answer the outcome and ids."""
    at_s = now_s()
    async with state.lock:
        built = events_whatsapp.build_event(state, spec, at_s)
    body = encode_body(events_whatsapp.waba_payload([built], at_s))
    url = spec.url or settings.webhook_url
    refs = delivery_refs(built.ids)
    delivery = await post_signed(state, settings, "whatsapp", refs, url, body)
    return answer(delivery, built.ids)


async def deliver_batch(
    state: SimState, settings: SimSettings, base_url: str, batch: BatchIn
) -> JSONDict:
    """Build every event into ONE body, deliver it, then re-deliver the same bytes.

    Events keep their order in their timestamps (the first is the oldest) even when
    ``shuffle`` mixes their order in the body.
    """
    body, events = await _build_batch(state, base_url, batch)
    url = batch.url or settings.webhook_url
    batch_id = secrets.token_hex(8)
    attempts = []
    for copy in range(batch.duplicate + 1):
        refs = {
            "event": "batch",
            "batch_id": batch_id,
            "copy": str(copy),
            "events": str(len(events)),
        }
        delivery = await post_signed(state, settings, batch.product, refs, url, body)
        attempts.append(
            {
                "delivery_id": delivery.id,
                "delivered": delivery.delivered,
                "status_code": delivery.status_code,
                "error": delivery.error,
            }
        )
    first = attempts[0]
    return {
        "delivered": all(a["delivered"] for a in attempts),
        "status_code": first["status_code"],
        "error": first["error"],
        "batch_id": batch_id,
        "deliveries": len(attempts),
        "attempts": attempts,
        "events": events,
    }


async def _build_batch(
    state: SimState, base_url: str, batch: BatchIn
) -> tuple[bytes, list[dict[str, Any]]]:
    shuffler = secrets.SystemRandom()
    if batch.product == "messenger":
        m_specs = _validate(MessengerEvent, batch.events)
        at_ms = now_ms()
        oldest_ms = at_ms - len(m_specs) + 1
        async with state.lock:
            built_m = [
                events_messenger.build_event(state, base_url, spec, oldest_ms + index)
                for index, spec in enumerate(m_specs)
            ]
        if batch.shuffle:
            shuffler.shuffle(built_m)
        payload = events_messenger.page_payload(built_m, at_ms)
        return encode_body(payload), [b.ids for b in built_m]
    w_specs = _validate(WhatsAppEvent, batch.events)
    at_s = now_s()
    oldest_s = at_s - len(w_specs) + 1
    async with state.lock:
        built_w = [
            events_whatsapp.build_event(state, spec, oldest_s + index)
            for index, spec in enumerate(w_specs)
        ]
    if batch.shuffle:
        shuffler.shuffle(built_w)
    return encode_body(events_whatsapp.waba_payload(built_w, at_s)), [b.ids for b in built_w]


def _validate(model: type[ModelT], items: list[dict[str, Any]]) -> list[ModelT]:
    specs = []
    for index, item in enumerate(items):
        try:
            specs.append(model.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(
                f"events.{index}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()
            )
            raise AdminError(422, "validation_error", problems) from exc
    return specs
