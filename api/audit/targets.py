"""How common targets are named in the audit log, so every writer names them alike."""

from __future__ import annotations

from typing import Any

from api.audit.log import Target
from api.models import Channel


def channel_target(channel: Channel) -> Target:
    """("channel", id, "Acme Support") or, for a number, "Acme (+1 555 0100)"."""
    number = channel.display_phone_number
    label = f"{channel.name} ({number})" if number and number != channel.name else channel.name
    return ("channel", channel.id, label)


def channel_details(channel: Channel, **extra: Any) -> dict[str, Any]:
    """The channel's kind and Meta id (page id / phone number id; never its token)."""
    return {"kind": channel.kind.value, "external_id": channel.external_id, **extra}
