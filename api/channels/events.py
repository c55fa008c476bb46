"""Normalised webhook events: what the channel parsers produce and the inbox applies.

Parsers (`api/channels/parsing/`) know Meta's payloads; nothing after them does. Every
event names its channel by the provider's id (page id or phone_number_id) so the
processor can route it to the one tenant that owns that channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Message types stored in `messages.type`; the SPA renders each one.
MessageType = Literal[
    "text",  # text
    "image", "video", "audio", "file", "sticker",  # media: see MediaRef; text = caption
    "location",  # content: {latitude, longitude, name?, address?, url?}
    "contacts",  # content: {contacts: [{name, phones: [{phone, wa_id?, type?}], emails: [{email, type?}]}]}
    "link",  # Messenger fallback/shared link: content {url, title?}; text = title or url
    "quick_reply",  # text = what the user tapped; content {payload}
    "postback",  # text = button title; content {payload, title}
    "interactive_reply",  # WhatsApp button/list reply: text = title; content {reply_id, title, description?, kind}
    "button_reply",  # WhatsApp template quick-reply button: text; content {payload}
    "order",  # content {catalog_id, text?, items: [{product_retailer_id, quantity, item_price, currency}]}
    "system",  # content {kind, body, new_wa_id?}; text = body
    "referral",  # Messenger referral without a message: content {source, type, ref?, ad_id?, headline?}
    "unsupported",  # anything else: content {provider_type, errors?: [{code, title, details}]}
]  # fmt: skip

MediaKind = Literal["image", "video", "audio", "file", "sticker"]


@dataclass(frozen=True, slots=True)
class MediaRef:
    """One attachment to fetch: a URL (Messenger CDN) or a media id (WhatsApp)."""

    kind: MediaKind
    url: str | None = None
    media_id: str | None = None
    mime_type: str | None = None
    sha256: str | None = None
    filename: str | None = None
    voice: bool = False  # WhatsApp voice note
    animated: bool = False  # WhatsApp animated sticker


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message the customer sent (or a standby / referral item shown as one)."""

    channel_external_id: str
    contact_external_id: str
    external_id: str  # mid / wamid (synthesised for postbacks and referrals without one)
    sent_at: datetime
    type: str  # a MessageType
    text: str | None
    content: dict[str, Any] = field(default_factory=dict)
    contact_name: str | None = None
    media: tuple[MediaRef, ...] = ()
    reply_to_external_id: str | None = None  # Messenger reply_to.mid / WhatsApp context.id
    business_user_id: str | None = None  # WhatsApp business-scoped user id (user_id)
    username: str | None = None  # WhatsApp profile.username
    referral: dict[str, Any] | None = None  # ad / link the customer came from
    standby: bool = False  # Messenger: another app owns the thread (Handover)


@dataclass(frozen=True, slots=True)
class OutboundEcho:
    """Messenger `is_echo`: something the Page sent, through us or elsewhere."""

    channel_external_id: str
    contact_external_id: str  # the recipient PSID
    external_id: str  # mid
    sent_at: datetime
    app_id: str | None  # the app that sent it; ours → match our message
    metadata: str | None  # what we set as `metadata` when sending (our message id)
    type: str
    text: str | None
    content: dict[str, Any] = field(default_factory=dict)
    media: tuple[MediaRef, ...] = ()


StatusName = Literal["sent", "delivered", "read", "failed"]


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """Delivery state of messages the business sent.

    WhatsApp: one wamid in `external_ids`. Messenger deliveries/reads: a `watermark` (every
    message sent to this contact up to then), plus the delivered `mids` when Meta lists them.
    """

    channel_external_id: str
    status: StatusName
    at: datetime
    contact_external_id: str | None = None
    external_ids: tuple[str, ...] = ()
    watermark: datetime | None = None
    error_code: str | None = None  # "131026" (WhatsApp code) when failed
    error_reason: str | None = None  # Meta's title / details, readable
    details: dict[str, Any] = field(
        default_factory=dict
    )  # pricing, conversation, biz_opaque_callback_data


@dataclass(frozen=True, slots=True)
class Reaction:
    """A reaction added (`emoji` set) or removed (`emoji` None) on a message."""

    channel_external_id: str
    contact_external_id: str
    target_external_id: str  # mid / wamid of the message reacted to
    emoji: str | None
    at: datetime
    by_business: bool = False  # Messenger echo of the Page's own reaction


@dataclass(frozen=True, slots=True)
class ChannelUpdate:
    """A change about the channel itself, not a conversation.

    `field` is Meta's webhook field: message_template_status_update, phone_number_quality_update,
    account_update, phone_number_name_update, errors (value-level errors), ...; `data` is its value.
    """

    field: str
    data: dict[str, Any]
    channel_external_id: str | None = None  # phone_number_id when known
    waba_id: str | None = None


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """An event this version does not act on; kept in the raw delivery, counted in the result."""

    channel_external_id: str | None
    kind: str


WebhookItem = InboundMessage | OutboundEcho | StatusUpdate | Reaction | ChannelUpdate | IgnoredEvent
