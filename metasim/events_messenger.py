"""Messenger webhook events (``object: "page"``) of every kind Meta sends.

:func:`build_event` turns one :class:`MessengerEvent` into the event Meta would put in
``entry[].messaging[]`` (or ``standby[]``), updating the simulated world on the way (the
customer becomes known to the page, messages join the page's thread, attachments get
CDN bytes). :func:`page_payload` wraps built events into one delivery body, one entry
per event as Meta documents.
"""

from dataclasses import dataclass, field
from typing import Any

from metasim import assets
from metasim.errors import AdminError, JSONDict
from metasim.event_schemas import MessengerEvent
from metasim.graph_service import new_mid
from metasim.media import cdn_url, register_cdn_asset
from metasim.state import SimState
from metasim.webhooks import new_psid

# Page Inbox / Meta Business Suite: an app other than ours that may send as the page.
OTHER_APP_ID = "263902037430900"
THUMBS_UP_STICKER_ID = 369239263222822
MEDIA_FILES = {
    "image": assets.PNG_IMAGE,
    "video": assets.MP4_VIDEO,
    "audio": assets.MP3_AUDIO,
    "file": assets.PDF_FILE,
}
DEFAULT_TEXT = {
    "text": "Hello from metasim",
    "reply": "Replying to this one",
    "quick_reply": "Yes, please",
    "echo": "Sent from the Meta Business Suite inbox",
    "standby": "Message while another app owns the thread",
}
# Kinds that add the customer's message to the page's thread (Conversations API).
THREAD_KINDS = (
    "text",
    *MEDIA_FILES,
    "sticker",
    "link",
    "quick_reply",
    "reply",
    "postback",
    "standby",
)


@dataclass
class BuiltEvent:
    """One event ready for an entry, plus the ids it involves (for the answer)."""

    page_id: str
    event: JSONDict
    container: str = "messaging"  # "standby" when another app owns the thread
    ids: dict[str, Any] = field(default_factory=dict)


def page_payload(events: list[BuiltEvent], at_ms: int) -> JSONDict:
    """An ``object: page`` body: one entry per event (Meta: one event per ``messaging``)."""
    entries = [
        {"id": built.page_id, "time": at_ms, built.container: [built.event]} for built in events
    ]
    return {"object": "page", "entry": entries}


def build_event(state: SimState, base_url: str, spec: MessengerEvent, at_ms: int) -> BuiltEvent:
    """Build ``spec`` (the world changes with it: customer, thread, CDN assets)."""
    if spec.page_id not in state.pages:
        detail = f"page {spec.page_id!r} is not registered; PUT /_sim/pages/{{page_id}} first"
        raise AdminError(404, "page_not_found", detail)
    psid = spec.psid or new_psid()
    state.upsert_customer(spec.page_id, psid, spec.first_name, spec.last_name)
    ids: dict[str, Any] = {"kind": spec.kind, "page_id": spec.page_id, "psid": psid}
    inbound = {"sender": {"id": psid}, "recipient": {"id": spec.page_id}, "timestamp": at_ms}
    container = "messaging"
    if spec.kind in (*MEDIA_FILES, "sticker", "link"):
        body: JSONDict = {"message": _attachment_message(state, base_url, spec, ids)}
    elif spec.kind in ("text", "quick_reply", "reply", "standby"):
        body = {"message": _text_message(state, spec, psid, ids)}
        container = "standby" if spec.kind == "standby" else "messaging"
    elif spec.kind == "postback":
        mid = ids["mid"] = spec.mid or new_mid()
        title = spec.title or "Get Started"
        body = {"postback": {"title": title, "payload": spec.payload or "GET_STARTED", "mid": mid}}
    elif spec.kind in ("reaction", "unreact"):
        body = {"reaction": _reaction(state, spec, psid, ids)}
    elif spec.kind == "echo":
        return _echo_from_other_app(state, spec, psid, ids, at_ms)
    elif spec.kind == "delivery":
        mids = spec.mids if spec.mids is not None else _latest_mids(state, spec.page_id, psid)
        ids["mids"] = mids
        body = {"delivery": {"mids": mids, "watermark": spec.watermark or at_ms}}
    elif spec.kind == "read":
        body = {"read": {"watermark": spec.watermark or at_ms}}
    elif spec.kind == "referral":
        body = {"referral": _referral(spec)}
    else:  # "unknown": an event key Parley cannot know
        key = spec.event_key or "brand_new_event"
        ids["event_key"] = key
        body = {key: spec.data if spec.data is not None else {"id": new_mid(), "detail": "new"}}
    if spec.kind in THREAD_KINDS:
        thread_text = _thread_text(body)
        state.add_conversation_message(spec.page_id, psid, ids["mid"], thread_text, from_page=False)
    return BuiltEvent(spec.page_id, {**inbound, **body}, container, ids)


def _text_message(
    state: SimState, spec: MessengerEvent, psid: str, ids: dict[str, Any]
) -> JSONDict:
    mid = ids["mid"] = spec.mid or new_mid()
    message: JSONDict = {"mid": mid, "text": spec.text or DEFAULT_TEXT[spec.kind]}
    if spec.kind == "quick_reply":
        message["quick_reply"] = {"payload": spec.payload or "QUICK_REPLY_YES"}
    if spec.kind == "reply":
        target = spec.target_mid or _latest_mid(state, spec.page_id, psid) or new_mid()
        ids["target_mid"] = target
        message["reply_to"] = {"mid": target}
    return message


def _attachment_message(
    state: SimState, base_url: str, spec: MessengerEvent, ids: dict[str, Any]
) -> JSONDict:
    mid = ids["mid"] = spec.mid or new_mid()
    if spec.kind == "link":
        link = spec.link or "https://www.example.com/bikes/roadster-2"
        title = spec.title or "Roadster 2 | Lima Bikes"
        fallback: JSONDict = {"type": "fallback", "title": title, "url": link}
        ids["link"] = link
        fallback["payload"] = {"url": link, "title": title}
        return {"mid": mid, "text": spec.text or link, "attachments": [fallback]}
    file = assets.PNG_STICKER if spec.kind == "sticker" else MEDIA_FILES[spec.kind]
    url = spec.attachment_url
    if url is None:
        asset = register_cdn_asset(state, file)
        ids["asset_id"] = asset.id
        url = cdn_url(base_url, asset)
    ids["attachment_url"] = url
    message: JSONDict = {"mid": mid}
    if spec.text:
        message["text"] = spec.text
    if spec.kind == "sticker":
        sticker_id = spec.sticker_id or THUMBS_UP_STICKER_ID
        ids["sticker_id"] = sticker_id
        payload = {"url": url, "sticker_id": sticker_id}
        # Until 2026-08-30 Meta sends a sticker as both an image and a sticker attachment.
        message["sticker_id"] = sticker_id
        message["attachments"] = [
            {"type": "image", "payload": dict(payload)},
            {"type": "sticker", "payload": dict(payload)},
        ]
        return message
    message["attachments"] = [{"type": spec.kind, "payload": {"url": url}}]
    return message


def _reaction(state: SimState, spec: MessengerEvent, psid: str, ids: dict[str, Any]) -> JSONDict:
    target = spec.target_mid or _latest_mid(state, spec.page_id, psid, from_page=True)
    target = target or _latest_mid(state, spec.page_id, psid) or new_mid()
    ids["target_mid"] = target
    if spec.kind == "unreact":
        reaction: JSONDict = {"mid": target, "action": "unreact"}
        if spec.reaction:
            reaction["reaction"] = spec.reaction
        if spec.emoji:
            reaction["emoji"] = spec.emoji
        return reaction
    return {
        "mid": target,
        "action": "react",
        "reaction": spec.reaction or "love",
        "emoji": spec.emoji or "\u2764",
    }


def _referral(spec: MessengerEvent) -> JSONDict:
    source = spec.source or "ADS"
    referral: JSONDict = {
        "ref": spec.ref or "spring-sale",
        "source": source,
        "type": spec.referral_type or "OPEN_THREAD",
    }
    if spec.ad_id or source == "ADS":
        referral["ad_id"] = spec.ad_id or "6045246247433"
    return referral


def _echo_from_other_app(
    state: SimState, spec: MessengerEvent, psid: str, ids: dict[str, Any], at_ms: int
) -> BuiltEvent:
    """Something the page sent from another tool (Meta's inbox): ``is_echo``, other app."""
    mid = ids["mid"] = spec.mid or new_mid()
    app_id = spec.app_id or OTHER_APP_ID
    ids["app_id"] = app_id
    content: JSONDict = {"text": spec.text or DEFAULT_TEXT["echo"]}
    if spec.metadata is not None:
        content["metadata"] = spec.metadata
    event = echo_event(spec.page_id, psid, mid, app_id, content, at_ms)
    state.add_conversation_message(spec.page_id, psid, mid, content["text"], from_page=True)
    return BuiltEvent(spec.page_id, event, "messaging", ids)


def echo_event(
    page_id: str, psid: str, mid: str, app_id: str, content: JSONDict, at_ms: int
) -> JSONDict:
    """A ``message_echoes`` event: sender = page, recipient = customer, ``is_echo``.

    ``app_id`` goes out as a JSON number, as Meta sends it (a string if it is not digits).
    """
    app: int | str = int(app_id) if app_id.isdigit() else app_id
    message = {"mid": mid, "is_echo": True, "app_id": app, **content}
    return {
        "sender": {"id": page_id},
        "recipient": {"id": psid},
        "timestamp": at_ms,
        "message": message,
    }


def receipt_event(page_id: str, psid: str, kind: str, mids: list[str], at_ms: int) -> JSONDict:
    """A ``delivery`` (with ``mids``) or ``read`` receipt from the customer."""
    receipt: JSONDict = {"watermark": at_ms}
    if kind == "delivery":
        receipt = {"mids": mids, "watermark": at_ms}
    return {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": at_ms,
        kind: receipt,
    }


def _latest_mid(
    state: SimState, page_id: str, psid: str, *, from_page: bool | None = None
) -> str | None:
    conversation = state.find_conversation(page_id, psid)
    for message in reversed(conversation.messages if conversation else []):
        if from_page is None or message.from_page == from_page:
            return message.id
    return None


def _latest_mids(state: SimState, page_id: str, psid: str) -> list[str]:
    latest = _latest_mid(state, page_id, psid, from_page=True)
    return [latest] if latest else []


def _thread_text(body: JSONDict) -> str:
    message = body.get("message") or {}
    postback = body.get("postback") or {}
    text = message.get("text") or postback.get("title") or ""
    return text if isinstance(text, str) else ""
