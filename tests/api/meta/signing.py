"""Meta's `signed_request` (deauthorize / data-deletion callbacks, meta-platform.md §6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from tests.helpers import APP_SECRET


def b64url(raw: bytes) -> str:
    """base64url without padding, as Meta sends it."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signed_request_raw(raw: bytes, secret: str = APP_SECRET) -> str:
    """`<base64url sig>.<base64url payload>`: HMAC-SHA256 of the encoded payload string."""
    encoded = b64url(raw)
    signature = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return f"{b64url(signature)}.{encoded}"


def signed_request(payload: Any, secret: str = APP_SECRET) -> str:
    return signed_request_raw(json.dumps(payload).encode(), secret)


def meta_payload(user_id: str, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "algorithm": "HMAC-SHA256",
        "issued_at": now,
        "expires": now + 3600,
        "user_id": user_id,
        **extra,
    }
