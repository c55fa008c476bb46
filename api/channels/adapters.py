"""Channel adapters: the only code that knows Meta's payload shapes and talks to the Graph
API. Each product implements `ChannelAdapter`; the rest of Parley sees normalised events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from api.meta.errors import GraphError
from api.meta.graph import GraphClient
from api.models import ChannelKind


@dataclass(frozen=True, slots=True)
class OutboundText:
    recipient: str
    text: str
    messaging_type: str  # RESPONSE | UPDATE | MESSAGE_TAG
    tag: str | None = None
    reference: str | None = None  # our message id, echoed back by Meta (metadata / callback data)


@dataclass(frozen=True, slots=True)
class OutboundTemplate:
    """A WhatsApp template send: exact name + language, and the rendered Graph components."""

    recipient: str
    name: str
    language: str
    components: list[dict[str, Any]]
    reference: str | None = None


Outbound = OutboundText | OutboundTemplate


@dataclass(frozen=True, slots=True)
class SendResult:
    external_id: str
    # WhatsApp's canonical id for the recipient (`contacts[].wa_id`), which can differ
    # from the number it was sent to.
    recipient_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactProfile:
    name: str | None
    avatar_url: str | None


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    body: bytes
    mime_type: str | None
    sha256: str | None  # what the provider says it should be, when it says


class ChannelAdapter(Protocol):
    kind: ChannelKind

    async def send_text(
        self, *, channel_external_id: str, token: str, message: OutboundText
    ) -> SendResult: ...

    async def send_template(
        self, *, channel_external_id: str, token: str, message: OutboundTemplate
    ) -> SendResult: ...

    async def fetch_media(
        self, *, token: str, url: str | None, media_id: str | None, max_bytes: int
    ) -> FetchedMedia: ...

    async def fetch_profile(
        self, *, token: str, contact_external_id: str
    ) -> ContactProfile | None: ...


def from_millis(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


class MessengerAdapter:
    """Facebook Pages through the Messenger Platform (meta-platform.md §4)."""

    kind = ChannelKind.MESSENGER

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph

    async def send_text(
        self, *, channel_external_id: str, token: str, message: OutboundText
    ) -> SendResult:
        body: dict[str, Any] = {
            "recipient": {"id": message.recipient},
            "messaging_type": message.messaging_type,
            "message": {"text": message.text},
        }
        if message.reference:
            body["message"]["metadata"] = message.reference
        if message.tag:
            body["tag"] = message.tag
        answer = await self.graph.request(
            "POST", f"{channel_external_id}/messages", token=token, json=body
        )
        return SendResult(external_id=str(answer.get("message_id", "")))

    async def send_template(
        self, *, channel_external_id: str, token: str, message: OutboundTemplate
    ) -> SendResult:
        """WhatsApp templates do not exist on Messenger (the policy refuses them first)."""
        raise GraphError(None, 100, None, "Messenger has no WhatsApp templates")

    async def fetch_media(
        self, *, token: str, url: str | None, media_id: str | None, max_bytes: int
    ) -> FetchedMedia:
        """Messenger attachments are CDN URLs that need no token (and expire: fetch soon)."""
        if not url:
            raise GraphError(None, 100, None, "The attachment has no URL")
        body, mime_type = await self.graph.download(url, token=None, max_bytes=max_bytes)
        return FetchedMedia(body, mime_type, None)

    async def fetch_profile(self, *, token: str, contact_external_id: str) -> ContactProfile:
        answer = await self.graph.request(
            "GET",
            contact_external_id,
            token=token,
            params={"fields": "first_name,last_name,profile_pic"},
        )
        name = (
            " ".join(str(answer[k]) for k in ("first_name", "last_name") if answer.get(k)) or None
        )
        return ContactProfile(name=name, avatar_url=_str_or_none(answer.get("profile_pic")))


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class WhatsAppAdapter:
    """WhatsApp Cloud API numbers (meta-platform.md §5). Tenants are routed by
    `metadata.phone_number_id`, never by the WABA alone."""

    kind = ChannelKind.WHATSAPP

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph

    async def send_text(
        self, *, channel_external_id: str, token: str, message: OutboundText
    ) -> SendResult:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.recipient,
            "type": "text",
            "text": {"body": message.text, "preview_url": False},
        }
        return await self._send(channel_external_id, token, body, message.reference)

    async def send_template(
        self, *, channel_external_id: str, token: str, message: OutboundTemplate
    ) -> SendResult:
        template: dict[str, Any] = {"name": message.name, "language": {"code": message.language}}
        if message.components:
            template["components"] = message.components
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.recipient,
            "type": "template",
            "template": template,
        }
        return await self._send(channel_external_id, token, body, message.reference)

    async def _send(
        self, channel_external_id: str, token: str, body: dict[str, Any], reference: str | None
    ) -> SendResult:
        if reference:
            body["biz_opaque_callback_data"] = reference
        answer = await self.graph.request(
            "POST", f"{channel_external_id}/messages", token=token, json=body
        )
        sent = _dicts(answer.get("messages"))
        contacts = _dicts(answer.get("contacts"))
        return SendResult(
            external_id=str(sent[0].get("id", "")) if sent else "",
            recipient_id=_str_or_none(contacts[0].get("wa_id")) if contacts else None,
        )

    async def fetch_media(
        self, *, token: str, url: str | None, media_id: str | None, max_bytes: int
    ) -> FetchedMedia:
        """Media id → short-lived URL → download with the same token (meta-platform.md §5.3)."""
        if not media_id:
            raise GraphError(None, 100, None, "The attachment has no media id")
        info = await self.graph.request("GET", media_id, token=token)
        body, mime_type = await self.graph.download(
            str(info.get("url") or ""), token=token, max_bytes=max_bytes
        )
        return FetchedMedia(body, info.get("mime_type") or mime_type, info.get("sha256"))

    async def fetch_profile(self, *, token: str, contact_external_id: str) -> ContactProfile | None:
        return None  # WhatsApp has no profile API; names arrive with each message


def from_seconds(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


ADAPTERS: dict[ChannelKind, type[MessengerAdapter] | type[WhatsAppAdapter]] = {
    ChannelKind.MESSENGER: MessengerAdapter,
    ChannelKind.WHATSAPP: WhatsAppAdapter,
}
WEBHOOK_OBJECTS = {"page": ChannelKind.MESSENGER, "whatsapp_business_account": ChannelKind.WHATSAPP}


def get_adapter(kind: ChannelKind, graph: GraphClient) -> ChannelAdapter:
    return ADAPTERS[kind](graph)
