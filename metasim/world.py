"""The simulated Facebook world: people, businesses, WhatsApp accounts, tokens, threads.

These are plain records kept in :class:`metasim.state.SimState`; the fixtures in
:mod:`metasim.fixtures` fill them at start and on every reset.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

TokenType = Literal["USER", "PAGE", "SYSTEM_USER"]
TokenKind = Literal["short", "long", "expired", "business", "page"]

SHORT_TOKEN_SECONDS = 5183
LONG_TOKEN_SECONDS = 5_184_000
DATA_ACCESS_SECONDS = 90 * 24 * 3600
CODE_SECONDS = 600

PAGE_SCOPES = (
    "pages_show_list",
    "pages_manage_metadata",
    "pages_messaging",
    "pages_read_engagement",
)
WHATSAPP_SCOPES = ("whatsapp_business_management", "whatsapp_business_messaging")
BUSINESS_SCOPE = "business_management"
ALL_SCOPES = ("public_profile", *PAGE_SCOPES, BUSINESS_SCOPE, *WHATSAPP_SCOPES)
EMBEDDED_SIGNUP_SCOPES = (*WHATSAPP_SCOPES, BUSINESS_SCOPE)

# What a full page admin gets in /me/accounts.
PAGE_TASKS = ("ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE")


@dataclass
class SimUser:
    """A Facebook user who can log in through the simulated dialog."""

    id: str
    name: str
    page_ids: list[str]
    business_ids: list[str]


@dataclass
class Business:
    """A business portfolio with the WhatsApp accounts it owns or was given access to."""

    id: str
    name: str
    owned_waba_ids: list[str]
    client_waba_ids: list[str]


@dataclass
class Waba:
    """A WhatsApp Business Account; ``subscribed_app_ids`` are apps getting its webhooks."""

    id: str
    name: str
    currency: str = "USD"
    timezone_id: str = "1"
    subscribed_app_ids: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, object]:
        """Every field the simulator knows for this WABA."""
        return {
            "id": self.id,
            "name": self.name,
            "currency": self.currency,
            "timezone_id": self.timezone_id,
            "message_template_namespace": f"sim_{self.id}",
            "account_review_status": "APPROVED",
        }


@dataclass
class PhoneNumber:
    """A WhatsApp business number; ``access_token`` is one registered via ``/_sim``."""

    id: str
    waba_id: str
    display_phone_number: str
    verified_name: str
    quality_rating: str = "GREEN"
    access_token: str | None = None
    registered_at: int = 0

    def fields(self) -> dict[str, object]:
        """Every field the simulator knows for this number."""
        return {
            "id": self.id,
            "display_phone_number": self.display_phone_number,
            "verified_name": self.verified_name,
            "quality_rating": self.quality_rating,
            "code_verification_status": "VERIFIED",
            "name_status": "APPROVED",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "status": "CONNECTED",
            "messaging_limit_tier": "TIER_1K",
            "account_mode": "LIVE",
            "is_official_business_account": False,
        }

    @property
    def webhook_display_number(self) -> str:
        """The number as webhooks carry it: digits only."""
        return "".join(ch for ch in self.display_phone_number if ch.isdigit())


@dataclass
class TokenRecord:
    """A token issued by the simulated Graph API (user, page or business integration)."""

    token: str
    type: TokenType
    kind: TokenKind
    app_id: str
    user_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int  # 0 = never
    page_id: str | None = None
    waba_ids: tuple[str, ...] = ()
    business_ids: tuple[str, ...] = ()
    revoked: bool = False

    @property
    def data_access_expires_at(self) -> int:
        """When data access lapses (about 90 days after login)."""
        return self.issued_at + DATA_ACCESS_SECONDS


@dataclass
class OAuthCode:
    """A single-use authorization code from the login dialog or Embedded Signup."""

    code: str
    user_id: str
    app_id: str
    redirect_uri: str | None  # None = Embedded Signup (exchanged without redirect_uri)
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    used: bool = False
    waba_id: str | None = None
    business_id: str | None = None


@dataclass
class ConversationMessage:
    """One message of a Messenger conversation, as the Conversations API returns it."""

    id: str
    created_at: datetime
    from_page: bool
    text: str


@dataclass
class Conversation:
    """A Messenger thread between a page and one customer; messages oldest first."""

    id: str
    page_id: str
    psid: str
    messages: list[ConversationMessage] = field(default_factory=list)

    @property
    def updated_at(self) -> datetime:
        """The time of the newest message."""
        return self.messages[-1].created_at


@dataclass
class WaContact:
    """A WhatsApp user who wrote to a business number (so the number may answer)."""

    phone_number_id: str
    wa_id: str
    name: str
    inbound_wamids: set[str] = field(default_factory=set)


@dataclass
class MediaAsset:
    """Bytes held by a simulated CDN: a WhatsApp media id, or a Messenger CDN asset.

    WhatsApp media belong to a phone number (and its WABA): only tokens reaching that
    WABA may look them up and download them. Messenger CDN assets need no token.
    """

    id: str
    content: bytes
    mime_type: str
    filename: str
    phone_number_id: str | None = None
    waba_id: str | None = None
    expired: bool = False

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes, lowercase hex."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def file_size(self) -> int:
        """The size of the bytes."""
        return len(self.content)


@dataclass
class MessengerAttachment:
    """A reusable attachment a page uploaded; its bytes are a Messenger CDN asset."""

    id: str
    page_id: str
    type: str  # image | video | audio | file
    asset_id: str


@dataclass
class OutboundWa:
    """A WhatsApp message the business sent (for statuses and reaction/reply targets)."""

    wamid: str
    phone_number_id: str
    wa_id: str
    category: str = "service"
    biz_opaque_callback_data: str | None = None


@dataclass
class MessageTemplate:
    """A WhatsApp message template of one WABA (``GET /{waba-id}/message_templates``)."""

    id: str
    waba_id: str
    name: str
    language: str
    category: str
    status: str
    components: list[dict[str, object]]
    parameter_format: str = "POSITIONAL"
    quality_score: str = "GREEN"
    rejected_reason: str = "NONE"

    def fields(self) -> dict[str, object]:
        """Every readable field, as Graph names them."""
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "status": self.status,
            "components": self.components,
            "parameter_format": self.parameter_format,
            "quality_score": {"score": self.quality_score},
            "rejected_reason": self.rejected_reason,
        }
