"""The events an endpoint can subscribe to, and the envelope every delivery carries.

Each webhook event mirrors a realtime (Socket.IO) event: its `data` is the very payload
the SPA receives, so integrators and the inbox see the same shapes.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any


class WebhookEventType(StrEnum):
    MESSAGE_CREATED = "message.created"
    MESSAGE_UPDATED = "message.updated"
    CONVERSATION_UPDATED = "conversation.updated"


# Sent only by "Send test event"; nobody subscribes to it.
PING = "ping"

# The realtime event each webhook event follows.
FROM_SOCKET_EVENT: dict[str, WebhookEventType] = {
    "message:new": WebhookEventType.MESSAGE_CREATED,
    "message:updated": WebhookEventType.MESSAGE_UPDATED,
    "conversation:updated": WebhookEventType.CONVERSATION_UPDATED,
}

# The envelope's keys in the order they are sent (the stored JSONB keeps its own order).
_ENVELOPE_ORDER = ("id", "type", "created_at", "tenant_id", "data")


def envelope(
    event_id: uuid.UUID,
    event_type: str,
    created_at: datetime,
    tenant_id: uuid.UUID,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": created_at.isoformat(),
        "tenant_id": str(tenant_id),
        "data": data,
    }


def request_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed) for a stored payload: the same for every
    attempt and every re-send of it."""
    ordered = {key: payload[key] for key in _ENVELOPE_ORDER if key in payload}
    ordered.update({key: value for key, value in payload.items() if key not in ordered})
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode()
