"""Messenger Platform webhooks (`object: "page"`, meta-platform.md §4.2) → WebhookItems.

Every `messaging[]` and `standby[]` event of every entry becomes exactly one item, in
order; `changes[]` (the dashboard test ping) become IgnoredEvents. Timestamps are
milliseconds. Nothing here raises: an event that cannot be understood is an IgnoredEvent,
a customer message that cannot be understood is an `unsupported` InboundMessage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from api.channels.events import (
    IgnoredEvent,
    InboundMessage,
    MediaKind,
    MediaRef,
    OutboundEcho,
    Reaction,
    StatusName,
    StatusUpdate,
    WebhookItem,
)
from api.channels.parsing._common import (
    Body,
    as_dict,
    compact,
    dicts,
    event_kind,
    first_time,
    flag,
    from_millis,
    get_in,
    id_of,
    items_of,
    millis,
    number,
    scrub,
    scrub_dict,
    text_of,
    unsupported,
)

ENVELOPE_KEYS: Final = ("sender", "recipient", "timestamp")
MEDIA_KINDS: Final[dict[str, MediaKind]] = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "file": "file",
}
# Meta's reaction names, for the rare reaction that comes without its emoji.
REACTION_EMOJI: Final = {
    "like": "👍",
    "dislike": "👎",
    "love": "❤",
    "smile": "😆",
    "wow": "😮",
    "sad": "😢",
    "angry": "😠",
}


@dataclass(frozen=True, slots=True)
class _Entry:
    page_id: str | None
    time: datetime | None


@dataclass(frozen=True, slots=True)
class _Event:
    """One messaging/standby event's envelope."""

    page_id: str | None  # entry.id
    sender: str | None
    recipient: str | None
    timestamp: datetime | None  # the event's own, None when missing or absurd
    entry_time: datetime | None
    standby: bool
    raw: dict[str, Any]

    @property
    def at(self) -> datetime:
        return first_time(self.timestamp, self.entry_time)

    @property
    def inbound_channel(self) -> str | None:
        """User → page events: the page is the recipient."""
        return self.page_id or self.recipient


def parse_messenger(payload: dict[str, Any]) -> list[WebhookItem]:
    items: list[WebhookItem] = []
    for entry in items_of(as_dict(payload).get("entry")):
        items.extend(_parse_entry(entry))
    return items


def _parse_entry(entry: Any) -> list[WebhookItem]:
    if not isinstance(entry, dict):
        return [IgnoredEvent(None, "malformed_entry")]
    context = _Entry(id_of(entry.get("id")), from_millis(entry.get("time")))
    items = [_guarded(context, event, False) for event in items_of(entry.get("messaging"))]
    items += [_guarded(context, event, True) for event in items_of(entry.get("standby"))]
    for change in dicts(entry.get("changes")):
        field = text_of(change.get("field")) or "unknown"
        items.append(IgnoredEvent(context.page_id, f"change:{field}"))
    return items


def _guarded(context: _Entry, event: Any, standby: bool) -> WebhookItem:
    try:
        return _parse_event(context, event, standby)
    except Exception:  # a bug must not cost the rest of the delivery
        return _salvage(context, event, standby)


def _salvage(context: _Entry, event: Any, standby: bool) -> WebhookItem:
    """Last resort after an unexpected error: keep a customer message as `unsupported`."""
    try:
        envelope = _envelope(context, event, standby)
        channel, sender = envelope.inbound_channel, envelope.sender
        mid = id_of(get_in(event, "message", "mid"))
        if channel and sender and mid and not flag(get_in(event, "message", "is_echo")):
            return InboundMessage(
                channel_external_id=channel,
                contact_external_id=sender,
                external_id=mid,
                sent_at=envelope.at,
                type="unsupported",
                text=None,
                content={"provider_type": "parse_error"},
                standby=standby,
            )
    except Exception:  # noqa: S110 - falls through to the IgnoredEvent below
        pass
    return IgnoredEvent(context.page_id, "parse_error")


def _envelope(context: _Entry, event: dict[str, Any], standby: bool) -> _Event:
    return _Event(
        page_id=context.page_id,
        sender=id_of(get_in(event, "sender", "id")),
        recipient=id_of(get_in(event, "recipient", "id")),
        timestamp=from_millis(event.get("timestamp")),
        entry_time=context.time,
        standby=standby,
        raw=event,
    )


def _parse_event(context: _Entry, event: Any, standby: bool) -> WebhookItem:
    if not isinstance(event, dict):
        return IgnoredEvent(context.page_id, "malformed_event")
    envelope = _envelope(context, event, standby)
    key = _handled_key(event)
    if key is None:
        return IgnoredEvent(envelope.inbound_channel, event_kind(event, ENVELOPE_KEYS))
    return HANDLERS[key](envelope, as_dict(event.get(key)))


def _handled_key(event: dict[str, Any]) -> str | None:
    """The handled key carrying an object, else the first handled key present at all."""
    present = [key for key in HANDLERS if key in event]
    objects = [key for key in present if isinstance(event[key], dict)]
    chosen = objects or present
    return chosen[0] if chosen else None


# --- messages and echoes ----------------------------------------------------------------


def _message(event: _Event, message: dict[str, Any]) -> WebhookItem:
    if flag(message.get("is_echo")):
        return _echo(event, message)
    channel, sender, mid = event.inbound_channel, event.sender, id_of(message.get("mid"))
    if not (channel and sender and mid):
        return IgnoredEvent(channel, "message_without_ids")
    return _inbound(event, (channel, sender, mid), message_body(message))


def _inbound(event: _Event, ids: tuple[str, str, str], body: Body) -> InboundMessage:
    """`ids`: channel (page), contact (PSID), mid."""
    message = as_dict(event.raw.get("message"))
    referral = message.get("referral") or event.raw.get("referral")
    return InboundMessage(
        channel_external_id=ids[0],
        contact_external_id=ids[1],
        external_id=ids[2],
        sent_at=event.at,
        type=body.type,
        text=body.text,
        content=body.content,
        media=body.media,
        reply_to_external_id=id_of(get_in(message, "reply_to", "mid")),
        referral=scrub_dict(referral) if isinstance(referral, dict) else None,
        standby=event.standby,
    )


def _echo(event: _Event, message: dict[str, Any]) -> WebhookItem:
    channel, mid = event.page_id or event.sender, id_of(message.get("mid"))
    if not (channel and event.recipient and mid):
        return IgnoredEvent(channel, "message_without_ids")
    body = message_body(message)
    return OutboundEcho(
        channel_external_id=channel,
        contact_external_id=event.recipient,
        external_id=mid,
        sent_at=event.at,
        app_id=id_of(message.get("app_id")),
        metadata=text_of(message.get("metadata")),
        type=body.type,
        text=body.text,
        content=body.content,
        media=body.media,
    )


def message_body(message: dict[str, Any]) -> Body:
    """Type, text, content and media of a message or echo."""
    text = text_of(message.get("text"))
    attachments = dicts(message.get("attachments"))
    sticker = _sticker(message, attachments)
    if sticker is not None:  # its image twin (until 2026-08-30) is the same sticker
        attachments = [a for a in attachments if a.get("type") not in ("image", "sticker")]
    parts = [_attachment(attachment) for attachment in attachments]
    media = (sticker.media if sticker else ()) + tuple(p.media[0] for p in parts if p.media)
    others = [part for part in parts if not part.media]
    quick_reply = get_in(message, "quick_reply", "payload")
    if quick_reply is not None:
        return Body("quick_reply", text, {"payload": scrub(quick_reply)}, media)
    if sticker is not None:
        return Body("sticker", text, sticker.content, media)
    if media:
        return Body(media[0].kind, text, {}, media)
    if others:
        return Body(others[0].type, text or others[0].text, others[0].content)
    return Body("text", text) if text is not None else unsupported("empty")


def _sticker(message: dict[str, Any], attachments: list[dict[str, Any]]) -> Body | None:
    stickers = [a for a in attachments if a.get("type") == "sticker"]
    images = [a for a in attachments if a.get("type") == "image"]
    ids = [id_of(message.get("sticker_id"))]
    ids += [id_of(get_in(a, "payload", "sticker_id")) for a in stickers + images]
    ids += [id_of(a.get("sticker_id")) for a in stickers]
    sticker_id = next((found for found in ids if found), None)
    if sticker_id is None and not stickers:
        return None
    urls = [text_of(get_in(a, "payload", "url")) for a in stickers + images]
    url = next((found for found in urls if found), None)
    media = (MediaRef("sticker", url=url),)
    return Body("sticker", None, compact({"sticker_id": sticker_id}), media)


def _attachment(attachment: dict[str, Any]) -> Body:
    kind = text_of(attachment.get("type")) or "unknown"
    payload = as_dict(attachment.get("payload"))
    if kind in MEDIA_KINDS:
        media = MediaRef(MEDIA_KINDS[kind], url=text_of(payload.get("url")))
        return Body(kind, None, {}, (media,))
    if kind == "fallback":
        return _link(attachment, payload)
    if kind == "location":
        return _location(attachment, payload)
    return unsupported(kind[:100])


def _link(attachment: dict[str, Any], payload: dict[str, Any]) -> Body:
    url = text_of(attachment.get("url")) or text_of(payload.get("url"))
    title = text_of(attachment.get("title")) or text_of(payload.get("title"))
    if url is None and title is None:
        return unsupported("fallback")
    return Body("link", title or url, compact({"url": url, "title": title}))


def _location(attachment: dict[str, Any], payload: dict[str, Any]) -> Body:
    coordinates = as_dict(payload.get("coordinates"))
    latitude, longitude = number(coordinates.get("lat")), number(coordinates.get("long"))
    if latitude is None or longitude is None:
        return unsupported("location")
    url = text_of(attachment.get("url")) or text_of(payload.get("url"))
    name = text_of(attachment.get("title"))
    content = {"latitude": latitude, "longitude": longitude, **compact({"name": name, "url": url})}
    return Body("location", None, content)


# --- postbacks and referrals ------------------------------------------------------------


def _postback(event: _Event, postback: dict[str, Any]) -> WebhookItem:
    if not (event.inbound_channel and event.sender):
        return IgnoredEvent(event.inbound_channel, "postback_without_ids")
    title, payload = text_of(postback.get("title")), scrub(postback.get("payload"))
    mid = id_of(postback.get("mid")) or f"postback:{event.sender}:{millis(event.at)}"
    referral = postback.get("referral")
    return InboundMessage(
        channel_external_id=event.inbound_channel,
        contact_external_id=event.sender,
        external_id=mid,
        sent_at=event.at,
        type="postback",
        text=title,
        content={"payload": payload, "title": title},
        referral=scrub_dict(referral) if isinstance(referral, dict) else None,
        standby=event.standby,
    )


def _referral(event: _Event, referral: dict[str, Any]) -> WebhookItem:
    if not (event.inbound_channel and event.sender):
        return IgnoredEvent(event.inbound_channel, "referral_without_ids")
    content = {"source": None, "type": None, **scrub_dict(referral)}
    return InboundMessage(
        channel_external_id=event.inbound_channel,
        contact_external_id=event.sender,
        external_id=f"referral:{event.sender}:{millis(event.at)}",
        sent_at=event.at,
        type="referral",
        text=None,
        content=content,
        referral=scrub_dict(referral),
        standby=event.standby,
    )


# --- receipts and reactions -------------------------------------------------------------


def _delivery(event: _Event, delivery: dict[str, Any]) -> WebhookItem:
    mids = tuple(mid for mid in map(id_of, items_of(delivery.get("mids"))) if mid)
    return _receipt(event, "delivered", delivery, mids)


def _read(event: _Event, read: dict[str, Any]) -> WebhookItem:
    return _receipt(event, "read", read, ())


def _receipt(
    event: _Event, status: StatusName, body: dict[str, Any], mids: tuple[str, ...]
) -> WebhookItem:
    if not event.inbound_channel:
        return IgnoredEvent(
            None, "read_without_ids" if status == "read" else "delivery_without_ids"
        )
    watermark = from_millis(body.get("watermark"))
    return StatusUpdate(
        channel_external_id=event.inbound_channel,
        status=status,
        at=first_time(event.timestamp, watermark, event.entry_time),
        contact_external_id=event.sender,
        external_ids=mids,
        watermark=watermark,
    )


def _reaction(event: _Event, reaction: dict[str, Any]) -> WebhookItem:
    by_business = event.sender is not None and event.sender == event.page_id
    contact = event.recipient if by_business else event.sender
    channel = event.page_id or (event.sender if by_business else event.recipient)
    target = id_of(reaction.get("mid"))
    if not (channel and contact and target):
        return IgnoredEvent(channel, "reaction_without_ids")
    return Reaction(
        channel_external_id=channel,
        contact_external_id=contact,
        target_external_id=target,
        emoji=_emoji(reaction),
        at=event.at,
        by_business=by_business,
    )


def _emoji(reaction: dict[str, Any]) -> str | None:
    if text_of(reaction.get("action")) == "unreact":
        return None
    name = text_of(reaction.get("reaction"))
    return text_of(reaction.get("emoji")) or REACTION_EMOJI.get(name or "") or name or "other"


HANDLERS: Final[dict[str, Callable[[_Event, dict[str, Any]], WebhookItem]]] = {
    "message": _message,
    "postback": _postback,
    "reaction": _reaction,
    "delivery": _delivery,
    "read": _read,
    "referral": _referral,
}
