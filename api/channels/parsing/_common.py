"""Defensive readers shared by the Messenger and WhatsApp parsers.

Webhook bodies are untrusted JSON: every reader here accepts any value and answers with
a clean value or None, never an exception. Strings lose NUL bytes (PostgreSQL text and
jsonb reject them); `scrub` makes any value safe to store as jsonb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from api.channels.events import MediaRef

MAX_ID_LENGTH: Final = 255  # longer "ids" are not Meta's; treated as missing
MAX_DEPTH: Final = 64  # deeper JSON is cut (None) when scrubbed
MAX_INT_BITS: Final = 14_000  # beyond Python's int→str limit json.dumps would raise


@dataclass(frozen=True, slots=True)
class Body:
    """What one message says: MessageType, text and content, attachments."""

    type: str
    text: str | None
    content: dict[str, Any] = field(default_factory=dict)
    media: tuple[MediaRef, ...] = ()


def unsupported(provider_type: str) -> Body:
    return Body("unsupported", None, {"provider_type": provider_type})


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items_of(value: Any) -> list[Any]:
    """A JSON array's items; a lone object counts as a one-item array."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in items_of(value) if isinstance(item, dict)]


def get_in(value: Any, *keys: str) -> Any:
    for key in keys:
        value = as_dict(value).get(key)
    return value


def text_of(value: Any) -> str | None:
    """A string without NUL bytes; None for anything else or an empty string."""
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "") or None


def id_of(value: Any) -> str | None:
    """An id as a string: strings and integers (Meta sometimes sends numbers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = _int_str(value)
    text = text_of(value)
    text = text.strip() if text else None
    return text if text and len(text) <= MAX_ID_LENGTH else None


def _int_str(value: int) -> str | None:
    return str(value) if value.bit_length() <= MAX_INT_BITS else None


def flag(value: Any) -> bool:
    """A JSON boolean, tolerating "true" and 1."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True or (type(value) is int and value == 1)


def number(value: Any) -> int | float | None:
    """A finite number; numeric strings are converted."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value.bit_length() <= MAX_INT_BITS else None
    if isinstance(value, str):
        value = _parse_float(value)
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def _parse_float(value: str) -> float | None:
    try:
        return float(value.replace("\x00", "").strip()[:64])
    except ValueError:
        return None


def compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def scrub(value: Any, depth: int = 0) -> Any:
    """A copy that json.dumps and jsonb accept: no NULs, NaN, huge ints or deep nesting."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, str):
        return value.replace("\x00", "")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, dict):
        return {
            key.replace("\x00", ""): scrub(item, depth + 1)
            for key, item in value.items()
            if isinstance(key, str)
        }
    if isinstance(value, list | tuple):
        return [scrub(item, depth + 1) for item in value]
    return None


def scrub_dict(value: Any) -> dict[str, Any]:
    cleaned = scrub(value)
    return cleaned if isinstance(cleaned, dict) else {}


def from_millis(value: Any) -> datetime | None:
    return _from_epoch(value, 1000)


def from_seconds(value: Any) -> datetime | None:
    return _from_epoch(value, 1)


def _from_epoch(value: Any, per_second: int) -> datetime | None:
    raw = number(value)
    if raw is None:
        return None
    try:
        return datetime.fromtimestamp(raw / per_second, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def first_time(*candidates: datetime | None) -> datetime:
    """The first known time, else now."""
    for candidate in candidates:
        if candidate is not None:
            return candidate
    return datetime.now(UTC)


def millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def event_kind(event: dict[str, Any], skip: tuple[str, ...]) -> str:
    """The name of an event's payload key (the first key that is not an envelope key)."""
    for key in event:
        name = text_of(key)
        if name and key not in skip:
            return name[:100]
    return "empty"
