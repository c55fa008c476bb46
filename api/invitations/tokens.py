"""Invitation tokens: 256 random bits in the link; only their SHA-256 is stored (a
high-entropy secret needs no slow hash)."""

from __future__ import annotations

import hashlib
import secrets


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_url(public_base_url: str, token: str) -> str:
    """The SPA's page for the token: `<PUBLIC_BASE_URL>/invite/<token>`."""
    return f"{public_base_url.rstrip('/')}/invite/{token}"
