"""Bodies of ``/_sim/messenger/events``, ``/_sim/whatsapp/events``, ``/_sim/batch`` and
``/_sim/settings``.

One flat model per product: ``kind`` picks the event, the other fields are that kind's
parameters (all optional, with realistic defaults). Unknown fields are refused so a typo
does not silently fall back to a default.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from metasim.schemas import DIGITS_PATTERN, ID_PATTERN, URL_PATTERN

MessengerKind = Literal[
    "text",
    "image",
    "video",
    "audio",
    "file",
    "sticker",
    "link",
    "quick_reply",
    "postback",
    "reply",
    "reaction",
    "unreact",
    "echo",
    "delivery",
    "read",
    "referral",
    "standby",
    "unknown",
]
WhatsAppKind = Literal[
    "text",
    "image",
    "video",
    "audio",
    "voice",
    "document",
    "sticker",
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
    "errors",
    "status",
    "template_status",
    "quality",
    "account",
    "bsuid",
]
WA_ID_PATTERN = r"^[0-9]{5,20}$"


class MessengerEvent(BaseModel):
    """One Messenger event (a batch item: no ``url``)."""

    model_config = ConfigDict(extra="forbid")

    page_id: str = Field(pattern=ID_PATTERN)
    kind: MessengerKind
    psid: str | None = Field(default=None, pattern=ID_PATTERN)
    first_name: str | None = None
    last_name: str | None = None
    mid: str | None = Field(default=None, min_length=1, description="the event's own mid")
    text: str | None = None
    target_mid: str | None = Field(default=None, description="reply / reaction / unreact target")
    mids: list[str] | None = Field(default=None, description="delivery: delivered mids")
    watermark: int | None = Field(default=None, ge=0, description="delivery/read, ms")
    title: str | None = None
    payload: str | None = None
    link: str | None = Field(default=None, pattern=URL_PATTERN)
    attachment_url: str | None = Field(default=None, pattern=URL_PATTERN)
    sticker_id: int | None = None
    reaction: str | None = None
    emoji: str | None = None
    app_id: str | None = Field(default=None, pattern=DIGITS_PATTERN)
    metadata: str | None = None
    ref: str | None = None
    source: str | None = None
    referral_type: str | None = None
    ad_id: str | None = None
    event_key: str | None = Field(default=None, pattern=r"^[a-z_]{1,64}$")
    data: dict[str, Any] | None = None


class MessengerEventIn(MessengerEvent):
    """``POST /_sim/messenger/events``: one event, optionally to another URL."""

    url: str | None = Field(default=None, pattern=URL_PATTERN)


class WhatsAppEvent(BaseModel):
    """One WhatsApp event (a batch item: no ``url``)."""

    model_config = ConfigDict(extra="forbid")

    phone_number_id: str = Field(pattern=DIGITS_PATTERN)
    kind: WhatsAppKind
    wa_id: str | None = Field(default=None, pattern=WA_ID_PATTERN)
    name: str | None = Field(default=None, min_length=1)
    wamid: str | None = Field(default=None, min_length=1, description="own id; status: target")
    text: str | None = None
    caption: str | None = None
    filename: str | None = None
    animated: bool = False
    latitude: float | None = None
    longitude: float | None = None
    location_name: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    reply_id: str | None = None
    title: str | None = None
    description: str | None = None
    payload: str | None = None
    target_wamid: str | None = None
    emoji: str | None = None
    catalog_id: str | None = None
    new_wa_id: str | None = Field(default=None, pattern=WA_ID_PATTERN)
    status: Literal["sent", "delivered", "read", "failed"] | None = None
    error_code: int | None = None
    error_title: str | None = None
    error_details: str | None = None
    event: str | None = Field(default=None, pattern=r"^[A-Z_]{1,64}$")
    template_id: int | None = None
    template_name: str | None = None
    template_language: str | None = None
    template_category: str | None = None
    reason: str | None = None
    current_limit: str | None = None
    quality_rating: Literal["GREEN", "YELLOW", "RED", "UNKNOWN"] | None = None
    user_id: str | None = None
    username: str | None = None


class WhatsAppEventIn(WhatsAppEvent):
    """``POST /_sim/whatsapp/events``: one event, optionally to another URL."""

    url: str | None = Field(default=None, pattern=URL_PATTERN)


class BatchIn(BaseModel):
    """Several events in ONE signed delivery, re-delivered ``duplicate`` more times."""

    model_config = ConfigDict(extra="forbid")

    product: Literal["messenger", "whatsapp"]
    events: list[dict[str, Any]] = Field(min_length=1, max_length=1000)
    duplicate: int = Field(default=0, ge=0, le=100)
    shuffle: bool = False
    url: str | None = Field(default=None, pattern=URL_PATTERN)


class SettingsIn(BaseModel):
    """Turn Meta's automatic echoes, receipts and statuses on or off (omitted: unchanged)."""

    model_config = ConfigDict(extra="forbid")

    messenger_echoes: bool | None = None
    messenger_receipts: bool | None = None
    whatsapp_statuses: bool | None = None
    status_delay_ms: int | None = Field(default=None, ge=0, le=60_000)
