"""Meta's ``signed_request`` for the deauthorize and data-deletion callbacks.

``<sig>.<payload>``, both base64url without padding; ``sig`` is HMAC-SHA256 keyed with the
app secret over the *encoded* payload string.
"""

import base64
import hashlib
import hmac
import json
from typing import Any

from metasim.errors import JSONDict


def b64url(data: bytes) -> str:
    """Base64url without ``=`` padding."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def build_signed_request(app_secret: str, user_id: str, issued_at: int) -> str:
    """A ``signed_request`` naming ``user_id``, signed with ``app_secret``."""
    payload: JSONDict = {"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": user_id}
    encoded_payload = b64url(json.dumps(payload, separators=(",", ":")).encode())
    digest = hmac.new(app_secret.encode(), encoded_payload.encode("ascii"), hashlib.sha256).digest()
    return f"{b64url(digest)}.{encoded_payload}"


def parse_signed_request(app_secret: str, signed_request: str) -> dict[str, Any] | None:
    """The payload if the signature checks out (what a receiver does), else None."""
    encoded_sig, _, encoded_payload = signed_request.partition(".")
    try:
        signature = base64.urlsafe_b64decode(encoded_sig + "=" * (-len(encoded_sig) % 4))
        payload = json.loads(
            base64.urlsafe_b64decode(encoded_payload + "=" * (-len(encoded_payload) % 4))
        )
    except ValueError:
        return None
    expected = hmac.new(
        app_secret.encode(), encoded_payload.encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(payload, dict):
        return None
    return payload if payload.get("algorithm") == "HMAC-SHA256" else None
