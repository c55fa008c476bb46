"""Request and response bodies of the ``/_sim`` control endpoints."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from metasim.state import FaultEndpoint

# Ids travel in URL paths (/{version}/{psid}), so keep them to path-safe characters.
ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"
DIGITS_PATTERN = r"^[0-9]{1,32}$"
URL_PATTERN = r"^https?://"


class PageIn(BaseModel):
    """Register or update a page."""

    name: str = Field(min_length=1)
    access_token: str = Field(min_length=1)


class PageOut(BaseModel):
    """A page as shown back (never with its token)."""

    id: str
    name: str


class PageListItem(BaseModel):
    """A page in ``GET /_sim/pages``: ``subscribed_fields`` are the configured app's."""

    id: str
    name: str
    category: str
    subscribed_fields: list[str]
    subscribed_apps: dict[str, list[str]]


class PageList(BaseModel):
    """All known pages (fixtures and registered ones)."""

    items: list[PageListItem]


class DeliverIn(BaseModel):
    """Deliver one inbound Messenger text message to the webhook."""

    page_id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1)
    psid: str | None = Field(default=None, pattern=ID_PATTERN)
    first_name: str | None = None
    last_name: str | None = None
    url: str | None = Field(default=None, pattern=URL_PATTERN)
    ago_seconds: int = Field(
        default=0,
        ge=0,
        le=30 * 86400,
        description="Stamp the message this many seconds in the past (a late delivery): "
        "lets a conversation's 24-hour window be closed without waiting.",
    )


class DeliverOut(BaseModel):
    """How a delivery went; metasim answers 200 even when the target failed."""

    delivered: bool
    status_code: int | None
    mid: str
    psid: str
    error: str | None


class FaultIn(BaseModel):
    """A Graph error to answer instead of the next ``count`` calls of ``endpoint``."""

    endpoint: FaultEndpoint = "send"
    page_id: str | None = None
    code: int
    error_subcode: int | None = None
    message: str = Field(min_length=1)
    type: str = "OAuthException"
    http_status: int = Field(default=400, ge=400, le=599)
    count: int = Field(default=1, ge=1)
    is_transient: bool | None = None


class Items(BaseModel):
    """A list of recorded things, oldest first."""

    items: list[dict[str, Any]]


class Ok(BaseModel):
    """A plain acknowledgement."""

    ok: bool = True


class DenyScopesIn(BaseModel):
    """Scopes the simulated users decline from now on."""

    scopes: list[str]


class DenyScopesOut(BaseModel):
    """The scopes currently declined."""

    denied_scopes: list[str]


class TokenIn(BaseModel):
    """Mint a user token directly (another app's, or an already expired one)."""

    user_id: str = Field(pattern=DIGITS_PATTERN)
    app_id: str | None = Field(default=None, pattern=DIGITS_PATTERN)
    scopes: list[str] | None = None
    kind: Literal["short", "long", "expired"] = "long"


class TokenOut(BaseModel):
    """A minted token and its lifetime."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    app_id: str
    user_id: str
    scopes: list[str]
    issued_at: int
    expires_at: int


class EmbeddedSignupIn(BaseModel):
    """Finish a simulated Embedded Signup as this user (defaults: first owned WABA/number)."""

    user_id: str = Field(pattern=DIGITS_PATTERN)
    waba_id: str | None = Field(default=None, pattern=DIGITS_PATTERN)
    phone_number_id: str | None = Field(default=None, pattern=DIGITS_PATTERN)


class EmbeddedSignupOut(BaseModel):
    """What the JS SDK would hand the front end: the code and the FINISH event's ids."""

    code: str
    waba_id: str
    phone_number_id: str
    business_id: str


class NumberIn(BaseModel):
    """Register or update a WhatsApp business number."""

    waba_id: str = Field(pattern=DIGITS_PATTERN)
    display_phone_number: str = Field(min_length=1)
    verified_name: str = Field(min_length=1)
    access_token: str = Field(min_length=1)


class NumberOut(BaseModel):
    """A number as shown back (never with its token)."""

    id: str
    waba_id: str
    display_phone_number: str
    verified_name: str
    quality_rating: str
    waba_subscribed: bool


class NumberList(BaseModel):
    """All known WhatsApp numbers."""

    items: list[NumberOut]


class WhatsAppDeliverIn(BaseModel):
    """Deliver one inbound WhatsApp text message to the webhook."""

    phone_number_id: str = Field(pattern=DIGITS_PATTERN)
    text: str = Field(min_length=1)
    wa_id: str | None = Field(default=None, pattern=r"^[0-9]{5,20}$")
    name: str | None = Field(default=None, min_length=1)
    url: str | None = Field(default=None, pattern=URL_PATTERN)
    ago_seconds: int = Field(
        default=0,
        ge=0,
        le=30 * 86400,
        description="Stamp the message this many seconds in the past (a late delivery): "
        "lets a conversation's 24-hour window be closed without waiting.",
    )


class WhatsAppDeliverOut(BaseModel):
    """How a WhatsApp delivery went; 200 even when the target failed."""

    delivered: bool
    status_code: int | None
    wamid: str
    wa_id: str
    error: str | None


class SignedRequestIn(BaseModel):
    """POST a signed_request for this user to a deauthorize/data-deletion callback."""

    user_id: str = Field(pattern=DIGITS_PATTERN)
    kind: Literal["deauthorize", "data_deletion"]
    url: str = Field(pattern=URL_PATTERN)


class SignedRequestOut(BaseModel):
    """What was POSTed and how the callback answered (``json`` when it answered JSON)."""

    signed_request: str
    status_code: int | None
    body: str | None
    json_body: Any = Field(default=None, serialization_alias="json")
    error: str | None


class SignedRequestBuilt(BaseModel):
    """A signed_request, built but not sent."""

    signed_request: str


class LimitsIn(BaseModel):
    """Opt-in rate limits (``null`` turns one off; a field left out keeps its value)."""

    conversations_per_second: int | None = Field(default=None, ge=1)
    whatsapp_per_second: int | None = Field(default=None, ge=1)
    whatsapp_pair_interval_ms: int | None = Field(default=None, ge=1)
    whatsapp_pair_burst: int = Field(default=1, ge=1)


class LimitsOut(BaseModel):
    """The rate limits in force, and the measured WhatsApp peaks per number."""

    conversations_per_second: int | None
    whatsapp_per_second: int | None
    whatsapp_pair_interval_ms: int | None
    whatsapp_pair_burst: int
    whatsapp_peak_per_second: dict[str, int]


class TemplateIn(BaseModel):
    """A WhatsApp template for ``POST /_sim/whatsapp/templates`` (Graph's shapes)."""

    waba_id: str = Field(pattern=DIGITS_PATTERN)
    id: str | None = Field(default=None, pattern=DIGITS_PATTERN)
    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    language: str = Field(min_length=2, max_length=16)
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] = "UTILITY"
    status: Literal["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] = "APPROVED"
    components: list[dict[str, Any]] = Field(min_length=1)
    parameter_format: Literal["POSITIONAL", "NAMED"] = "POSITIONAL"
    rejected_reason: str = "NONE"
