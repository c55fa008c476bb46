"""Channel adapters: the only code that knows Meta's payload shapes and talks to the Graph
API. Each product implements `ChannelAdapter`; the rest of Parley sees normalised events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from api.channels.events import IgnoredEvent, InboundMessage, WebhookItem
from api.meta.graph import GraphClient
from api.models import ChannelKind


@dataclass(frozen=True, slots=True)
class OutboundText:
    recipient: str
    text: str
    messaging_type: str  # RESPONSE | UPDATE | MESSAGE_TAG
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    external_id: str


@dataclass(frozen=True, slots=True)
class ContactProfile:
    name: str | None
    avatar_url: str | None


class ChannelAdapter(Protocol):
    kind: ChannelKind

    def parse_webhook(self, payload: dict[str, Any]) -> list[WebhookItem]: ...

    async def send_text(
        self, *, channel_external_id: str, token: str, message: OutboundText
    ) -> SendResult: ...

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

    def parse_webhook(self, payload: dict[str, Any]) -> list[WebhookItem]:
        items: list[WebhookItem] = []
        for entry in _dicts(payload.get("entry")):
            page_id = _str_or_none(entry.get("id"))
            for event in _dicts(entry.get("messaging")):
                items.append(self._parse_event(page_id, event))
            items.extend(IgnoredEvent(page_id, "standby") for _ in _dicts(entry.get("standby")))
            for change in _dicts(entry.get("changes")):
                items.append(IgnoredEvent(page_id, f"change:{change.get('field')}"))
        return items

    def _parse_event(self, page_id: str | None, event: dict[str, Any]) -> WebhookItem:
        message = event.get("message")
        if not isinstance(message, dict):
            kinds = [k for k in event if k not in ("sender", "recipient", "timestamp")]
            return IgnoredEvent(page_id, kinds[0] if kinds else "unknown")
        if message.get("is_echo"):
            return IgnoredEvent(page_id, "echo")
        sender = _str_or_none((event.get("sender") or {}).get("id"))
        mid = _str_or_none(message.get("mid"))
        if page_id is None or sender is None or mid is None:
            return IgnoredEvent(page_id, "message_without_ids")
        text = message.get("text") if isinstance(message.get("text"), str) else None
        attachments = _dicts(message.get("attachments"))
        kind = (
            "text"
            if text is not None
            else (str(attachments[0].get("type")) if attachments else "unsupported")
        )
        return InboundMessage(
            channel_external_id=page_id,
            contact_external_id=sender,
            external_id=mid,
            sent_at=from_millis(event.get("timestamp")),
            type=kind,
            text=text,
            content=message,
        )

    async def send_text(
        self, *, channel_external_id: str, token: str, message: OutboundText
    ) -> SendResult:
        body: dict[str, Any] = {
            "recipient": {"id": message.recipient},
            "messaging_type": message.messaging_type,
            "message": {"text": message.text},
        }
        if message.tag:
            body["tag"] = message.tag
        answer = await self.graph.request(
            "POST", f"{channel_external_id}/messages", token=token, json=body
        )
        return SendResult(external_id=str(answer.get("message_id", "")))

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

    def parse_webhook(self, payload: dict[str, Any]) -> list[WebhookItem]:
        items: list[WebhookItem] = []
        for entry in _dicts(payload.get("entry")):
            for change in _dicts(entry.get("changes")):
                value = change["value"] if isinstance(change.get("value"), dict) else {}
                if change.get("field") != "messages":
                    items.append(
                        IgnoredEvent(_str_or_none(entry.get("id")), f"change:{change.get('field')}")
                    )
                    continue
                items.extend(self._parse_messages(value))
        return items

    def _parse_messages(self, value: dict[str, Any]) -> list[WebhookItem]:
        number_id = _str_or_none((value.get("metadata") or {}).get("phone_number_id"))
        names = {
            str(c.get("wa_id")): (c.get("profile") or {}).get("name")
            for c in _dicts(value.get("contacts"))
        }
        items: list[WebhookItem] = [
            IgnoredEvent(number_id, "status") for _ in _dicts(value.get("statuses"))
        ]
        for message in _dicts(value.get("messages")):
            sender, wamid = _str_or_none(message.get("from")), _str_or_none(message.get("id"))
            if number_id is None or sender is None or wamid is None:
                items.append(IgnoredEvent(number_id, "message_without_ids"))
                continue
            kind = str(message.get("type") or "unsupported")
            text = (message.get("text") or {}).get("body") if kind == "text" else None
            items.append(
                InboundMessage(
                    channel_external_id=number_id,
                    contact_external_id=sender,
                    external_id=wamid,
                    sent_at=from_seconds(message.get("timestamp")),
                    type=kind,
                    text=text if isinstance(text, str) else None,
                    content=message,
                    contact_name=names.get(sender),
                )
            )
        return items

    async def send_text(
        self, *, channel_external_id: str, token: str, message: OutboundText
    ) -> SendResult:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.recipient,
            "type": "text",
            "text": {"body": message.text, "preview_url": False},
        }
        answer = await self.graph.request(
            "POST", f"{channel_external_id}/messages", token=token, json=body
        )
        sent = _dicts(answer.get("messages"))
        return SendResult(external_id=str(sent[0].get("id", "")) if sent else "")

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
