"""WhatsApp Cloud API webhooks (`object: "whatsapp_business_account"`, meta-platform.md §5.6).

`entry[].id` is the WABA; every `changes[]` item is read. Field `messages` carries customer
messages, receipts of ours and value-level errors, routed by `metadata.phone_number_id`;
every other field is a ChannelUpdate. Timestamps are seconds (as strings). Nothing here
raises: what cannot be understood is an IgnoredEvent, a customer message that cannot be
understood is an `unsupported` InboundMessage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from api.channels.events import (
    ChannelUpdate,
    IgnoredEvent,
    InboundMessage,
    MediaKind,
    MediaRef,
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
    first_time,
    flag,
    from_seconds,
    get_in,
    id_of,
    items_of,
    number,
    scrub,
    scrub_dict,
    text_of,
    unsupported,
)

MEDIA_KINDS: Final[dict[str, MediaKind]] = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "document": "file",
    "sticker": "sticker",
}
STATUSES: Final[dict[str, StatusName]] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}
STATUS_DETAILS: Final = ("conversation", "pricing", "biz_opaque_callback_data", "recipient_user_id")


@dataclass(frozen=True, slots=True)
class _Value:
    """One `messages` change: where it belongs and who is writing."""

    phone_number_id: str | None
    waba_id: str | None
    entry_time: datetime | None
    contacts: tuple[_Contact, ...]


@dataclass(frozen=True, slots=True)
class _Contact:
    wa_id: str | None
    user_id: str | None
    name: str | None
    username: str | None


def parse_whatsapp(payload: dict[str, Any]) -> list[WebhookItem]:
    items: list[WebhookItem] = []
    for entry in items_of(as_dict(payload).get("entry")):
        items.extend(_parse_entry(entry))
    return items


def _parse_entry(entry: Any) -> list[WebhookItem]:
    if not isinstance(entry, dict):
        return [IgnoredEvent(None, "malformed_entry")]
    waba_id, entry_time = id_of(entry.get("id")), from_seconds(entry.get("time"))
    items: list[WebhookItem] = []
    for change in items_of(entry.get("changes")):
        items.extend(_guarded_change(change, waba_id, entry_time))
    return items


def _guarded_change(change: Any, waba_id: str | None, at: datetime | None) -> list[WebhookItem]:
    try:
        return _parse_change(change, waba_id, at)
    except Exception:  # a bug must not cost the rest of the delivery
        return [IgnoredEvent(None, "parse_error")]


def _parse_change(change: Any, waba_id: str | None, at: datetime | None) -> list[WebhookItem]:
    if not isinstance(change, dict):
        return [IgnoredEvent(None, "malformed_change")]
    field = text_of(change.get("field")) or "unknown"
    value = change.get("value")
    if field != "messages":
        return [_channel_update(field[:100], value, waba_id)]
    value = as_dict(value)
    context = _Value(
        phone_number_id=id_of(get_in(value, "metadata", "phone_number_id")),
        waba_id=waba_id,
        entry_time=at,
        contacts=_contacts(value.get("contacts")),
    )
    return _parse_messages_value(context, value)


def _channel_update(field: str, value: Any, waba_id: str | None) -> ChannelUpdate:
    data = scrub_dict(value) if isinstance(value, dict) else {"value": scrub(value)}
    channel = id_of(get_in(value, "phone_number_id")) or id_of(
        get_in(value, "metadata", "phone_number_id")
    )
    return ChannelUpdate(field=field, data=data, channel_external_id=channel, waba_id=waba_id)


def _parse_messages_value(context: _Value, value: dict[str, Any]) -> list[WebhookItem]:
    items = [_guarded(_message, context, message) for message in items_of(value.get("messages"))]
    items += [_guarded(_status, context, status) for status in items_of(value.get("statuses"))]
    errors = value.get("errors")
    if isinstance(errors, list | dict) and errors:
        data = {"errors": scrub(items_of(errors))}
        items.append(ChannelUpdate("errors", data, context.phone_number_id, context.waba_id))
    return items or [IgnoredEvent(context.phone_number_id, "messages_empty")]


def _guarded(
    parse: Callable[[_Value, dict[str, Any]], WebhookItem], context: _Value, item: Any
) -> WebhookItem:
    if not isinstance(item, dict):
        return IgnoredEvent(context.phone_number_id, "malformed_item")
    try:
        return parse(context, item)
    except Exception:  # a bug must not cost the rest of the delivery
        return _salvage(context, item)


def _salvage(context: _Value, item: dict[str, Any]) -> WebhookItem:
    """Last resort after an unexpected error: keep a customer message as `unsupported`."""
    try:
        ids = _message_ids(context, item)
        if ids is not None and "status" not in item:
            return InboundMessage(
                channel_external_id=ids.channel,
                contact_external_id=ids.contact,
                external_id=ids.wamid,
                sent_at=first_time(from_seconds(item.get("timestamp")), context.entry_time),
                type="unsupported",
                text=None,
                content={"provider_type": "parse_error"},
            )
    except Exception:  # noqa: S110 - falls through to the IgnoredEvent below
        pass
    return IgnoredEvent(context.phone_number_id, "parse_error")


# --- contacts ---------------------------------------------------------------------------


def _contacts(value: Any) -> tuple[_Contact, ...]:
    return tuple(
        _Contact(
            wa_id=id_of(contact.get("wa_id")),
            user_id=id_of(contact.get("user_id")),
            name=text_of(get_in(contact, "profile", "name")),
            username=text_of(get_in(contact, "profile", "username")),
        )
        for contact in dicts(value)
    )


def _contact_for(context: _Value, sender: str | None, user_id: str | None) -> _Contact:
    for contact in context.contacts:
        if sender and contact.wa_id == sender:
            return contact
    for contact in context.contacts:
        if user_id and contact.user_id == user_id:
            return contact
    return _Contact(None, None, None, None)


# --- messages ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ids:
    channel: str
    contact: str
    wamid: str
    profile: _Contact
    user_id: str | None


def _message_ids(context: _Value, message: dict[str, Any]) -> _Ids | None:
    sender, user_id = id_of(message.get("from")), id_of(message.get("from_user_id"))
    profile = _contact_for(context, sender, user_id)
    contact = sender or profile.wa_id or user_id
    wamid = id_of(message.get("id"))
    if not (context.phone_number_id and contact and wamid):
        return None
    return _Ids(context.phone_number_id, contact, wamid, profile, profile.user_id or user_id)


def _message(context: _Value, message: dict[str, Any]) -> WebhookItem:
    ids = _message_ids(context, message)
    if ids is None:
        kind = "message_without_ids" if context.phone_number_id else "message_without_channel"
        return IgnoredEvent(context.phone_number_id, kind)
    provider_type = text_of(message.get("type")) or "unknown"
    if provider_type == "reaction":
        return _reaction(context, message, ids)
    return _inbound(context, message, ids, message_body(provider_type, message))


def _inbound(context: _Value, message: dict[str, Any], ids: _Ids, body: Body) -> InboundMessage:
    quoted = as_dict(message.get("context"))
    referral = message.get("referral")
    return InboundMessage(
        channel_external_id=ids.channel,
        contact_external_id=ids.contact,
        external_id=ids.wamid,
        sent_at=_time(context, message),
        type=body.type,
        text=body.text,
        content={**body.content, **_context_content(quoted), **_errors_content(message)},
        contact_name=ids.profile.name,
        media=body.media,
        reply_to_external_id=id_of(quoted.get("id")),
        business_user_id=ids.user_id,
        username=ids.profile.username,
        referral=scrub_dict(referral) if isinstance(referral, dict) else None,
    )


def _time(context: _Value, item: dict[str, Any]) -> datetime:
    return first_time(from_seconds(item.get("timestamp")), context.entry_time)


def _context_content(quoted: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if flag(quoted.get("forwarded")) or flag(quoted.get("frequently_forwarded")):
        content["forwarded"] = True
    if flag(quoted.get("frequently_forwarded")):
        content["frequently_forwarded"] = True
    if isinstance(quoted.get("referred_product"), dict):  # "ask about this product"
        content["referred_product"] = scrub_dict(quoted["referred_product"])
    return content


def _errors_content(message: dict[str, Any]) -> dict[str, Any]:
    errors = [_error(error) for error in dicts(message.get("errors"))]
    return {"errors": errors} if errors else {}


def _error(error: dict[str, Any]) -> dict[str, Any]:
    details = get_in(error, "error_data", "details") or error.get("details") or error.get("message")
    return {
        "code": scrub(error.get("code")),
        "title": text_of(error.get("title")),
        "details": text_of(details),
    }


def _reaction(context: _Value, message: dict[str, Any], ids: _Ids) -> WebhookItem:
    reaction = as_dict(message.get("reaction"))
    target = id_of(reaction.get("message_id"))
    if target is None:
        return IgnoredEvent(ids.channel, "reaction_without_ids")
    return Reaction(
        channel_external_id=ids.channel,
        contact_external_id=ids.contact,
        target_external_id=target,
        emoji=text_of(reaction.get("emoji")),
        at=_time(context, message),
    )


def message_body(provider_type: str, message: dict[str, Any]) -> Body:
    """Type, text, content and media of one message; `unsupported` when not understood."""
    parse = BODIES.get(provider_type)
    body = parse(provider_type, message.get(provider_type)) if parse else None
    if body is not None:
        return body
    if provider_type == "unsupported":  # Meta names what it was: edit, poll_creation, ...
        provider_type = text_of(get_in(message, "unsupported", "type")) or provider_type
    return unsupported(provider_type[:100])


def _text(_: str, value: Any) -> Body | None:
    body = text_of(value) if isinstance(value, str) else text_of(get_in(value, "body"))
    return Body("text", body) if body is not None else None


def _media(provider_type: str, value: Any) -> Body | None:
    media = as_dict(value)
    media_id, url = id_of(media.get("id")), text_of(media.get("url"))
    if media_id is None and url is None:  # nothing to fetch; keep the caption
        return Body("unsupported", text_of(media.get("caption")), {"provider_type": provider_type})
    ref = MediaRef(
        kind=MEDIA_KINDS[provider_type],
        url=url,
        media_id=media_id,
        mime_type=text_of(media.get("mime_type")),
        sha256=text_of(media.get("sha256")),
        filename=text_of(media.get("filename")),
        voice=provider_type == "audio" and flag(media.get("voice")),
        animated=provider_type == "sticker" and flag(media.get("animated")),
    )
    return Body(ref.kind, text_of(media.get("caption")), {}, (ref,))


def _location(_: str, value: Any) -> Body | None:
    location = as_dict(value)
    latitude, longitude = number(location.get("latitude")), number(location.get("longitude"))
    if latitude is None or longitude is None:
        return None
    extra = {key: text_of(location.get(key)) for key in ("name", "address", "url")}
    return Body("location", None, {"latitude": latitude, "longitude": longitude, **compact(extra)})


def _shared_contacts(_: str, value: Any) -> Body | None:
    contacts = [_shared_contact(contact) for contact in dicts(value)]
    return Body("contacts", None, {"contacts": contacts}) if contacts else None


def _shared_contact(contact: dict[str, Any]) -> dict[str, Any]:
    name = as_dict(contact.get("name"))
    parts = (text_of(name.get(key)) for key in ("first_name", "middle_name", "last_name"))
    full_name = text_of(name.get("formatted_name")) or " ".join(p for p in parts if p) or None
    phones = [
        compact(
            {
                "phone": text_of(p.get("phone")),
                "wa_id": id_of(p.get("wa_id")),
                "type": text_of(p.get("type")),
            }
        )
        for p in dicts(contact.get("phones"))
    ]
    emails = [
        compact({"email": text_of(e.get("email")), "type": text_of(e.get("type"))})
        for e in dicts(contact.get("emails"))
    ]
    return {
        "name": full_name,
        "phones": [p for p in phones if p],
        "emails": [e for e in emails if e],
    }


def _interactive(_: str, value: Any) -> Body | None:
    interactive = as_dict(value)
    kind = text_of(interactive.get("type"))
    if kind == "nfm_reply":
        return _flow_reply(as_dict(interactive.get("nfm_reply")))
    if kind not in ("button_reply", "list_reply"):
        return None
    reply = as_dict(interactive.get(kind))
    reply_id, title = id_of(reply.get("id")), text_of(reply.get("title"))
    if reply_id is None and title is None:
        return None
    content = {
        "kind": "button" if kind == "button_reply" else "list",
        "reply_id": reply_id,
        "title": title,
    }
    if kind == "list_reply":
        content["description"] = text_of(reply.get("description"))
    return Body("interactive_reply", title, content)


def _flow_reply(reply: dict[str, Any]) -> Body | None:
    response = reply.get("response_json")
    if response is None:
        return None
    body = text_of(reply.get("body"))
    content = {
        "kind": "nfm",
        "response_json": scrub(response),
        **compact({"name": text_of(reply.get("name")), "body": body}),
    }
    return Body("interactive_reply", body, content)


def _button(_: str, value: Any) -> Body | None:
    button = as_dict(value)
    text, payload = text_of(button.get("text")), scrub(button.get("payload"))
    if text is None and payload is None:
        return None
    return Body("button_reply", text, {"payload": payload})


def _order(_: str, value: Any) -> Body | None:
    order = as_dict(value)
    items = [_order_item(item) for item in dicts(order.get("product_items"))]
    catalog_id = id_of(order.get("catalog_id"))
    if catalog_id is None and not items:
        return None
    text = text_of(order.get("text"))
    return Body(
        "order", text, {"catalog_id": catalog_id, "items": items, **compact({"text": text})}
    )


def _order_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "product_retailer_id": id_of(item.get("product_retailer_id")),
        "quantity": number(item.get("quantity")),
        "item_price": number(item.get("item_price")),
        "currency": text_of(item.get("currency")),
    }


def _system(_: str, value: Any) -> Body | None:
    system = as_dict(value)
    kind, body = text_of(system.get("type")), text_of(system.get("body"))
    if kind is None and body is None:
        return None
    extra = {
        "new_wa_id": id_of(system.get("wa_id")) or id_of(system.get("new_wa_id")),
        "new_user_id": id_of(system.get("user_id")),
        "previous_user_id": id_of(system.get("previous_user_id")),
    }
    return Body("system", body, {"kind": kind, "body": body, **compact(extra)})


BODIES: Final[dict[str, Callable[[str, Any], Body | None]]] = {
    "text": _text,
    **dict.fromkeys(MEDIA_KINDS, _media),
    "location": _location,
    "contacts": _shared_contacts,
    "interactive": _interactive,
    "button": _button,
    "order": _order,
    "system": _system,
}


# --- statuses ---------------------------------------------------------------------------


def _status(context: _Value, status: dict[str, Any]) -> WebhookItem:
    channel, name = context.phone_number_id, text_of(status.get("status")) or "unknown"
    wamid = id_of(status.get("id"))
    if channel is None:
        return IgnoredEvent(None, "status_without_channel")
    if name not in STATUSES:
        return IgnoredEvent(channel, f"status:{name[:100]}")
    if wamid is None:
        return IgnoredEvent(channel, "status_without_ids")
    code, reason = _failure(status) if name == "failed" else (None, None)
    details = {key: scrub(status[key]) for key in STATUS_DETAILS if status.get(key) is not None}
    return StatusUpdate(
        channel_external_id=channel,
        status=STATUSES[name],
        at=_time(context, status),
        contact_external_id=id_of(status.get("recipient_id"))
        or id_of(status.get("recipient_user_id")),
        external_ids=(wamid,),
        error_code=code,
        error_reason=reason,
        details=details,
    )


def _failure(status: dict[str, Any]) -> tuple[str | None, str | None]:
    errors = dicts(status.get("errors"))
    if not errors:
        return None, None
    error = _error(errors[0])
    return id_of(error["code"]), error["details"] or error["title"]
