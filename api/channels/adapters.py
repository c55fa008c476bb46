"""Channel adapters: the only code that knows Meta's payload shapes and talks to the Graph
API. Each product implements `ChannelAdapter`; the rest of Parley sees normalised events."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Protocol

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
    reply_to: str | None = None  # the provider id of the message quoted (WhatsApp context)


@dataclass(frozen=True, slots=True)
class OutboundTemplate:
    """A WhatsApp template send: exact name + language, and the rendered Graph components."""

    recipient: str
    name: str
    language: str
    components: list[dict[str, Any]]
    reference: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundMedia:
    """A file to send: uploaded to Meta first (unless `media_id`, from an earlier attempt,
    is still usable), then sent by Meta's id for it (meta-platform.md §4.3, §5.2, §5.3)."""

    recipient: str
    message_type: str  # image | video | audio | document (WhatsApp) | file (Messenger)
    attachment_id: uuid.UUID  # the attachment row, where Meta's id is kept
    storage_key: str
    mime_type: str
    filename: str
    size: int
    caption: str | None = None  # WhatsApp image, video and document only
    media_id: str | None = None
    messaging_type: str = "RESPONSE"  # Messenger: RESPONSE | MESSAGE_TAG
    tag: str | None = None
    reference: str | None = None
    reply_to: str | None = None


Outbound = OutboundText | OutboundTemplate | OutboundMedia


@dataclass(frozen=True, slots=True)
class UploadedMedia:
    """Meta's id for an uploaded file, and until when a send may use it."""

    media_id: str
    expires_at: datetime


# Uploads carry up to 100 MB: far more time than a JSON call (still inside the job's).
UPLOAD_TIMEOUT_SECONDS = 240.0
# Kept a day short of Meta's own lifetimes (WhatsApp media 30 days, Messenger reusable
# attachments 90 days), so an id is never used just as it lapses.
WHATSAPP_MEDIA_LIFETIME = timedelta(days=29)
MESSENGER_ATTACHMENT_LIFETIME = timedelta(days=89)


@dataclass(frozen=True, slots=True)
class OutboundReaction:
    """The business's reaction to a message: `emoji` set (or changed), or `""` to remove it."""

    recipient: str
    target_external_id: str  # the mid / wamid reacted to
    emoji: str


@dataclass(frozen=True, slots=True)
class ReadReceipt:
    """Tell the customer the business has seen their messages: up to `external_id` on
    WhatsApp (it marks earlier ones read too); the whole thread on Messenger."""

    recipient: str
    external_id: str


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

    async def upload_media(
        self, *, channel_external_id: str, token: str, media: OutboundMedia, file: IO[bytes]
    ) -> UploadedMedia: ...

    async def send_media(
        self, *, channel_external_id: str, token: str, message: OutboundMedia, media_id: str
    ) -> SendResult: ...

    async def send_reaction(
        self, *, channel_external_id: str, token: str, reaction: OutboundReaction
    ) -> SendResult: ...

    async def send_read_receipt(
        self, *, channel_external_id: str, token: str, receipt: ReadReceipt
    ) -> None: ...

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
        return await self._send(channel_external_id, token, message, {"text": message.text})

    async def _send(
        self,
        channel_external_id: str,
        token: str,
        message: OutboundText | OutboundMedia,
        content: dict[str, Any],
    ) -> SendResult:
        """One Send API call: recipient, messaging type and tag around `content`."""
        body: dict[str, Any] = {
            "recipient": {"id": message.recipient},
            "messaging_type": message.messaging_type,
            "message": content,
        }
        if message.reference:
            content["metadata"] = message.reference
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

    async def upload_media(
        self, *, channel_external_id: str, token: str, media: OutboundMedia, file: IO[bytes]
    ) -> UploadedMedia:
        """Attachment Upload API: a reusable attachment (multipart `message` + `filedata`)."""
        message = {"attachment": {"type": media.message_type, "payload": {"is_reusable": True}}}
        answer = await self.graph.request(
            "POST",
            f"{channel_external_id}/message_attachments",
            token=token,
            form={"message": json.dumps(message)},
            files={"filedata": (media.filename, file, media.mime_type)},
            timeout_seconds=UPLOAD_TIMEOUT_SECONDS,
        )
        return _uploaded(answer.get("attachment_id"), MESSENGER_ATTACHMENT_LIFETIME)

    async def send_media(
        self, *, channel_external_id: str, token: str, message: OutboundMedia, media_id: str
    ) -> SendResult:
        """Send API with the uploaded attachment's id (Messenger attachments take no text)."""
        attachment = {"type": message.message_type, "payload": {"attachment_id": media_id}}
        return await self._send(channel_external_id, token, message, {"attachment": attachment})

    async def send_reaction(
        self, *, channel_external_id: str, token: str, reaction: OutboundReaction
    ) -> SendResult:
        """The `react` / `unreact` sender actions (Messenger "Sender Actions" guide, 2026):
        `react` sets or replaces the Page's reaction, `unreact` names the message only."""
        payload: dict[str, Any] = {"message_id": reaction.target_external_id}
        if reaction.emoji:
            payload["reaction"] = reaction.emoji
        body = {
            "recipient": {"id": reaction.recipient},
            "sender_action": "react" if reaction.emoji else "unreact",
            "payload": payload,
        }
        answer = await self.graph.request(
            "POST", f"{channel_external_id}/messages", token=token, json=body
        )
        return SendResult(external_id=str(answer.get("message_id") or ""))

    async def send_read_receipt(
        self, *, channel_external_id: str, token: str, receipt: ReadReceipt
    ) -> None:
        """`mark_seen`: Messenger marks the whole thread seen (it names no message)."""
        body = {"recipient": {"id": receipt.recipient}, "sender_action": "mark_seen"}
        await self.graph.request("POST", f"{channel_external_id}/messages", token=token, json=body)

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
        _quote(body, message.reply_to)
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
        _quote(body, message.reply_to)
        return await self._send(channel_external_id, token, body, message.reference)

    async def upload_media(
        self, *, channel_external_id: str, token: str, media: OutboundMedia, file: IO[bytes]
    ) -> UploadedMedia:
        """`POST /{phone-number-id}/media` (multipart `file`, `type`, `messaging_product`)."""
        answer = await self.graph.request(
            "POST",
            f"{channel_external_id}/media",
            token=token,
            form={"messaging_product": "whatsapp", "type": media.mime_type},
            files={"file": (media.filename, file, media.mime_type)},
            timeout_seconds=UPLOAD_TIMEOUT_SECONDS,
        )
        return _uploaded(answer.get("id"), WHATSAPP_MEDIA_LIFETIME)

    async def send_media(
        self, *, channel_external_id: str, token: str, message: OutboundMedia, media_id: str
    ) -> SendResult:
        """`{type: image|video|audio|document, <type>: {id, caption?, filename?}}`."""
        content: dict[str, Any] = {"id": media_id}
        if message.caption and message.message_type != "audio":
            content["caption"] = message.caption
        if message.message_type == "document":
            content["filename"] = message.filename
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.recipient,
            "type": message.message_type,
            message.message_type: content,
        }
        _quote(body, message.reply_to)
        return await self._send(channel_external_id, token, body, message.reference)

    async def send_reaction(
        self, *, channel_external_id: str, token: str, reaction: OutboundReaction
    ) -> SendResult:
        """A reaction is a message of type `reaction`; an empty emoji removes it."""
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": reaction.recipient,
            "type": "reaction",
            "reaction": {"message_id": reaction.target_external_id, "emoji": reaction.emoji},
        }
        return await self._send(channel_external_id, token, body, None)

    async def send_read_receipt(
        self, *, channel_external_id: str, token: str, receipt: ReadReceipt
    ) -> None:
        """Mark a received message (and the ones before it) read: the blue ticks."""
        body = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": receipt.external_id,
        }
        await self.graph.request("POST", f"{channel_external_id}/messages", token=token, json=body)

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


def _uploaded(media_id: Any, lifetime: timedelta) -> UploadedMedia:
    if not media_id:
        raise GraphError(None, None, None, "Meta answered the upload without an id")
    return UploadedMedia(str(media_id), datetime.now(UTC) + lifetime)


def _quote(body: dict[str, Any], reply_to: str | None) -> None:
    """Quote the message replied to (WhatsApp `context`)."""
    if reply_to:
        body["context"] = {"message_id": reply_to}


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
