"""WhatsApp webhook events (``object: "whatsapp_business_account"``) of every kind.

:func:`build_event` turns one :class:`WhatsAppEvent` into a piece of a ``changes[]``
value (a message with its contact, a status, value-level errors, or a whole value for
the non-message fields), updating the simulated world on the way (contacts, received
wamids, media ids with bytes). :func:`waba_payload` groups pieces the way Meta does: one
entry per WABA; for ``field: "messages"`` one change per phone number holding every
message, status and error; one change per event for the other fields.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from metasim import assets, templates
from metasim.errors import AdminError, JSONDict
from metasim.event_schemas import WhatsAppEvent
from metasim.media import register_whatsapp_media
from metasim.state import SimState, default_name
from metasim.webhooks import new_wa_id
from metasim.whatsapp import new_wamid
from metasim.world import OutboundWa, PhoneNumber, WaContact

ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
ERROR_TITLES = {
    130429: "Rate limit hit",
    130472: "User's number is part of an experiment",
    131000: "Something went wrong",
    131026: "Message undeliverable",
    131031: "Business Account locked",
    131047: "Re-engagement message",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "User has stopped marketing messages",
    131051: "Unsupported message type",
    131052: "Media download error",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
}
MEDIA_FILES = {
    "image": assets.PNG_IMAGE,
    "video": assets.MP4_VIDEO,
    "audio": assets.MP3_AUDIO,
    "voice": assets.OGG_VOICE,
    "document": assets.PDF_FILE,
    "sticker": assets.WEBP_STICKER,
}
MESSAGE_KINDS = (
    "text",
    *MEDIA_FILES,
    "location",
    "contacts",
    "button_reply",
    "list_reply",
    "template_button",
    "reaction",
    "unreact",
    "reply",
    "order",
    "system",
    "unsupported",
    "bsuid",
)
OTHER_FIELDS = {
    "template_status": "message_template_status_update",
    "quality": "phone_number_quality_update",
    "account": "account_update",
}
VALUE_KEYS = ("messaging_product", "metadata", "contacts", "messages", "statuses", "errors")


@dataclass
class BuiltChange:
    """A piece of a WhatsApp delivery, plus the ids it involves (for the answer)."""

    number: PhoneNumber
    webhook_field: str = "messages"
    contacts: list[JSONDict] = field(default_factory=list)
    messages: list[JSONDict] = field(default_factory=list)
    statuses: list[JSONDict] = field(default_factory=list)
    errors: list[JSONDict] = field(default_factory=list)
    value: JSONDict | None = None  # the whole value, for fields other than "messages"
    ids: dict[str, Any] = field(default_factory=dict)


def metadata(number: PhoneNumber) -> JSONDict:
    """``value.metadata`` of a ``messages`` change."""
    return {
        "display_phone_number": number.webhook_display_number,
        "phone_number_id": number.id,
    }


def waba_payload(changes: list[BuiltChange], at_s: int) -> JSONDict:
    """One body: an entry per WABA, message pieces merged per phone number."""
    entries: dict[str, JSONDict] = {}
    merged: dict[tuple[str, str], JSONDict] = {}
    for piece in changes:
        entry = entries.setdefault(
            piece.number.waba_id, {"id": piece.number.waba_id, "changes": []}
        )
        if piece.value is not None:
            entry["time"] = at_s
            entry["changes"].append({"value": piece.value, "field": piece.webhook_field})
            continue
        key = (piece.number.waba_id, piece.number.id)
        value = merged.get(key)
        if value is None:
            value = {"messaging_product": "whatsapp", "metadata": metadata(piece.number)}
            merged[key] = value
            entry["changes"].append({"value": value, "field": "messages"})
        known = {c.get("wa_id") for c in value.get("contacts", [])}
        for contact in piece.contacts:
            if contact.get("wa_id") not in known:
                value.setdefault("contacts", []).append(contact)
        for name in ("messages", "statuses", "errors"):
            items = getattr(piece, name)
            if items:
                value.setdefault(name, []).extend(items)
    for value in merged.values():  # Meta's key order, whatever order the pieces came in
        ordered_value = {key: value.pop(key) for key in VALUE_KEYS if key in value}
        value.update(ordered_value)
    ordered = [
        {key: entry[key] for key in ("id", "time", "changes") if key in entry}
        for entry in entries.values()
    ]
    return {"object": "whatsapp_business_account", "entry": ordered}


def build_event(state: SimState, spec: WhatsAppEvent, at_s: int) -> BuiltChange:
    """Build ``spec`` (the world changes with it: contacts, wamids, media ids)."""
    number = state.numbers.get(spec.phone_number_id)
    if number is None:
        detail = (
            f"phone number {spec.phone_number_id!r} is not registered; "
            "PUT /_sim/whatsapp/numbers/{phone_number_id} first"
        )
        raise AdminError(404, "number_not_found", detail)
    ids: dict[str, Any] = {
        "kind": spec.kind,
        "phone_number_id": number.id,
        "waba_id": number.waba_id,
    }
    if spec.kind in MESSAGE_KINDS:
        return _message_change(state, number, spec, at_s, ids)
    if spec.kind == "status":
        return _status_change(state, number, spec, at_s, ids)
    if spec.kind == "errors":
        error = wa_error_object(spec.error_code or 131000, spec.error_title, spec.error_details)
        ids["error_code"] = error["code"]
        return BuiltChange(number, errors=[error], ids=ids)
    value = _other_value(state, number, spec, ids)
    return BuiltChange(number, webhook_field=OTHER_FIELDS[spec.kind], value=value, ids=ids)


# Messages ---------------------------------------------------------------------------------


def _message_change(
    state: SimState, number: PhoneNumber, spec: WhatsAppEvent, at_s: int, ids: dict[str, Any]
) -> BuiltChange:
    contact = _contact(state, number, spec.wa_id, spec.name)
    wamid = spec.wamid or new_wamid()
    contact.inbound_wamids.add(wamid)
    ids.update(wa_id=contact.wa_id, wamid=wamid)
    message: JSONDict = {"from": contact.wa_id, "id": wamid, "timestamp": str(at_s)}
    profile: JSONDict = {"name": contact.name}
    contact_block: JSONDict = {"profile": profile, "wa_id": contact.wa_id}
    if spec.kind == "bsuid":
        user_id = spec.user_id or "US." + _digits("bsuid", number.id, contact.wa_id, length=19)
        profile["username"] = spec.username or "@" + contact.name.split()[0].lower()
        contact_block["user_id"] = user_id
        message["from_user_id"] = user_id
        ids.update(user_id=user_id, username=profile["username"])
    message.update(_content(state, number, contact, spec, ids))
    if spec.kind == "system":
        return BuiltChange(number, messages=[message], ids=ids)
    return BuiltChange(number, contacts=[contact_block], messages=[message], ids=ids)


def _content(
    state: SimState,
    number: PhoneNumber,
    contact: WaContact,
    spec: WhatsAppEvent,
    ids: dict[str, Any],
) -> JSONDict:
    """``type``, the type-named object and (for replies) ``context`` of one message."""
    kind = spec.kind
    if kind in ("text", "bsuid"):
        return {"type": "text", "text": {"body": spec.text or "Hello from metasim"}}
    if kind in MEDIA_FILES:
        return _media_content(state, number, spec, ids)
    if kind == "location":
        location: JSONDict = {
            "latitude": spec.latitude if spec.latitude is not None else 38.7223,
            "longitude": spec.longitude if spec.longitude is not None else -9.1393,
            "name": spec.location_name or "Lima Bikes",
            "address": spec.address or "Rua Augusta 100, Lisboa",
        }
        return {"type": "location", "location": location}
    if kind == "contacts":
        return {"type": "contacts", "contacts": [_shared_contact(spec)]}
    if kind in ("button_reply", "list_reply", "template_button", "reply"):
        return _reply_content(state, number, contact, spec, ids)
    if kind in ("reaction", "unreact"):
        target = spec.target_wamid or _latest_outbound(state, number.id, contact.wa_id)
        target = target or new_wamid()
        ids["target_wamid"] = target
        emoji = "" if kind == "unreact" else (spec.emoji or "\U0001f44d")
        return {"type": "reaction", "reaction": {"message_id": target, "emoji": emoji}}
    if kind == "order":
        return {"type": "order", "order": _order(spec)}
    if kind == "system":
        return _system_content(state, number, contact, spec, ids)
    error = wa_error_object(
        131051, "Message type unknown", "Message type is currently not supported."
    )
    return {"type": "unsupported", "errors": [error]}


def _media_content(
    state: SimState, number: PhoneNumber, spec: WhatsAppEvent, ids: dict[str, Any]
) -> JSONDict:
    media_type = "audio" if spec.kind == "voice" else spec.kind
    media = register_whatsapp_media(state, number, MEDIA_FILES[spec.kind])
    if spec.kind == "document" and spec.filename:
        media.filename = spec.filename
    ids.update(media_id=media.id, sha256=media.sha256, mime_type=media.mime_type)
    content: JSONDict = {"mime_type": media.mime_type, "sha256": media.sha256, "id": media.id}
    if spec.kind in ("image", "video", "document") and spec.caption is not None:
        content["caption"] = spec.caption
    elif spec.kind == "image":
        content["caption"] = "Here is the photo"
    if spec.kind == "document":
        content["filename"] = media.filename
    if spec.kind == "voice":
        content["voice"] = True
    if spec.kind == "sticker":
        content["animated"] = spec.animated
    return {"type": media_type, media_type: content}


def _reply_content(
    state: SimState,
    number: PhoneNumber,
    contact: WaContact,
    spec: WhatsAppEvent,
    ids: dict[str, Any],
) -> JSONDict:
    """Replies to a business message: the type-named object plus ``context``."""
    target = spec.target_wamid or _latest_outbound(state, number.id, contact.wa_id) or new_wamid()
    ids["target_wamid"] = target
    context = {"from": number.webhook_display_number, "id": target}
    if spec.kind == "reply":
        return {"context": context, "type": "text", "text": {"body": spec.text or "Yes, thanks!"}}
    if spec.kind == "template_button":
        button = {"payload": spec.payload or "CONFIRM_ORDER", "text": spec.title or "Confirm"}
        return {"context": context, "type": "button", "button": button}
    if spec.kind == "button_reply":
        reply = {"id": spec.reply_id or "btn_yes", "title": spec.title or "Yes"}
        interactive: JSONDict = {"type": "button_reply", "button_reply": reply}
    else:
        row = {
            "id": spec.reply_id or "row_pickup",
            "title": spec.title or "Store pickup",
            "description": spec.description or "Collect it at Rua Augusta",
        }
        interactive = {"type": "list_reply", "list_reply": row}
    return {"context": context, "type": "interactive", "interactive": interactive}


def _shared_contact(spec: WhatsAppEvent) -> JSONDict:
    name = spec.contact_name or "Rita Costa"
    first, _, last = name.partition(" ")
    phone = spec.contact_phone or "+351 912 345 678"
    digits = "".join(ch for ch in phone if ch.isdigit())
    names: JSONDict = {"formatted_name": name, "first_name": first}
    if last:
        names["last_name"] = last
    return {"name": names, "phones": [{"phone": phone, "wa_id": digits, "type": "CELL"}]}


def _order(spec: WhatsAppEvent) -> JSONDict:
    return {
        "catalog_id": spec.catalog_id or "1735266500212345",
        "text": spec.text or "Please deliver before Friday",
        "product_items": [
            {
                "product_retailer_id": "bike-roadster-2",
                "quantity": 1,
                "item_price": 899.0,
                "currency": "USD",
            },
            {
                "product_retailer_id": "helmet-m",
                "quantity": 2,
                "item_price": 49.5,
                "currency": "USD",
            },
        ],
    }


def _system_content(
    state: SimState,
    number: PhoneNumber,
    contact: WaContact,
    spec: WhatsAppEvent,
    ids: dict[str, Any],
) -> JSONDict:
    """``user_changed_number``: the user now has ``new_wa_id`` (the number may write to it)."""
    new_id = spec.new_wa_id or new_wa_id()
    ids["new_wa_id"] = new_id
    _contact(state, number, new_id, contact.name)
    body = f"User {contact.name} changed from {contact.wa_id} to {new_id}"
    system = {"body": body, "new_wa_id": new_id, "type": "user_changed_number"}
    return {"type": "system", "system": system}


# Statuses -----------------------------------------------------------------------------------


def _status_change(
    state: SimState, number: PhoneNumber, spec: WhatsAppEvent, at_s: int, ids: dict[str, Any]
) -> BuiltChange:
    """A status for ``wamid`` (default: this number's latest send, to ``wa_id`` if given)."""
    if spec.wamid is not None:
        outbound = state.wa_outbound.get(spec.wamid)
    else:
        mine = [
            o
            for o in state.wa_outbound.values()
            if o.phone_number_id == number.id and spec.wa_id in (None, o.wa_id)
        ]
        outbound = mine[-1] if mine else None
    if outbound is None:
        wa_id = spec.wa_id or new_wa_id()
        outbound = OutboundWa(spec.wamid or new_wamid(), number.id, wa_id)
    status = spec.status or ("failed" if spec.error_code else "sent")
    ids.update(wamid=outbound.wamid, wa_id=outbound.wa_id, status=status)
    item = status_object(number, outbound, status, at_s, spec.error_code, spec.error_title)
    if spec.error_details and "errors" in item:
        item["errors"][0]["error_data"]["details"] = spec.error_details
    return BuiltChange(number, statuses=[item], ids=ids)


def status_object(
    number: PhoneNumber,
    outbound: OutboundWa,
    status: str,
    at_s: int,
    error_code: int | None = None,
    error_title: str | None = None,
) -> JSONDict:
    """One ``statuses[]`` item: failed ones carry ``errors``, others conversation + pricing."""
    item: JSONDict = {
        "id": outbound.wamid,
        "status": status,
        "timestamp": str(at_s),
        "recipient_id": outbound.wa_id,
    }
    if status == "failed":
        code = error_code or 131000
        item["errors"] = [wa_error_object(code, error_title)]
    else:
        conversation: JSONDict = {"id": _conversation_id(number.id, outbound.wa_id)}
        if status == "sent":
            conversation["expiration_timestamp"] = str(at_s + 24 * 3600)
        billable = outbound.category != "service"
        conversation["origin"] = {"type": outbound.category}
        item["conversation"] = conversation
        item["pricing"] = {
            "billable": billable,
            "pricing_model": "PMP",
            "category": outbound.category,
            "type": "regular" if billable else "free_customer_service",
        }
    if outbound.biz_opaque_callback_data is not None:
        item["biz_opaque_callback_data"] = outbound.biz_opaque_callback_data
    return item


def wa_error_object(code: int, title: str | None = None, details: str | None = None) -> JSONDict:
    """``{code, title, message, error_data.details, href}`` as webhooks carry errors."""
    title = title or ERROR_TITLES.get(code, "Something went wrong")
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details or title},
        "href": ERROR_HREF,
    }


# Account-level fields -----------------------------------------------------------------------


def _other_value(
    state: SimState, number: PhoneNumber, spec: WhatsAppEvent, ids: dict[str, Any]
) -> JSONDict:
    if spec.kind == "template_status":
        event = spec.event or "APPROVED"
        name = spec.template_name or "order_update"
        language = spec.template_language or "en_US"
        stored = templates.find_template(state, number.waba_id, name, language)
        if stored is not None:  # the status webhook says what now holds for sends
            stored.status = event
        template_id = spec.template_id or (
            int(stored.id) if stored else int(_digits("template", number.waba_id, name, length=16))
        )
        ids.update(event=event, template_id=template_id)
        return {
            "event": event,
            "message_template_id": template_id,
            "message_template_name": name,
            "message_template_language": language,
            "reason": spec.reason or ("NONE" if event == "APPROVED" else "INVALID_FORMAT"),
            "message_template_category": spec.template_category
            or (stored.category if stored else "UTILITY"),
        }
    if spec.kind == "quality":
        event = spec.event or "FLAGGED"
        ids["event"] = event
        if spec.quality_rating is not None:
            number.quality_rating = spec.quality_rating
        return {
            "display_phone_number": number.webhook_display_number,
            "event": event,
            "current_limit": spec.current_limit or "TIER_1K",
        }
    event = spec.event or "ACCOUNT_RESTRICTION"
    ids["event"] = event
    return _account_value(state, number, event, spec.reason)


def _account_value(
    state: SimState, number: PhoneNumber, event: str, reason: str | None
) -> JSONDict:
    value: JSONDict = {"phone_number": number.webhook_display_number, "event": event}
    if event in ("PARTNER_ADDED", "PARTNER_REMOVED"):
        owner = next(
            (b.id for b in state.businesses.values() if number.waba_id in b.owned_waba_ids),
            "0",
        )
        value = {
            "event": event,
            "waba_info": {"waba_id": number.waba_id, "owner_business_id": owner},
        }
    elif event == "ACCOUNT_RESTRICTION":
        value["restriction_info"] = [
            {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": 1893456000}
        ]
    elif event == "ACCOUNT_VIOLATION":
        value["violation_info"] = {"violation_type": reason or "SCAM"}
    elif event == "DISABLED_UPDATE":
        value["ban_info"] = {"waba_ban_state": ["DISABLE"], "waba_ban_date": "2026-11-22"}
    return value


# Helpers --------------------------------------------------------------------------------------


def _contact(
    state: SimState, number: PhoneNumber, wa_id: str | None, name: str | None
) -> WaContact:
    wa_id = wa_id or new_wa_id()
    key = (number.id, wa_id)
    contact = state.wa_contacts.get(key)
    if contact is None:
        contact = WaContact(number.id, wa_id, name or " ".join(default_name(wa_id)))
        state.wa_contacts[key] = contact
    elif name:
        contact.name = name
    return contact


def _latest_outbound(state: SimState, number_id: str, wa_id: str) -> str | None:
    for outbound in reversed(list(state.wa_outbound.values())):
        if outbound.phone_number_id == number_id and outbound.wa_id == wa_id:
            return outbound.wamid
    return None


def _conversation_id(number_id: str, wa_id: str) -> str:
    return hashlib.sha256(f"conversation:{number_id}:{wa_id}".encode()).hexdigest()[:32]


def _digits(*seed: str, length: int) -> str:
    """``length`` stable digits derived from ``seed`` (never starting with 0)."""
    number = int.from_bytes(hashlib.sha256(":".join(seed).encode()).digest(), "big")
    return str(number)[:length]
