"""Endpoint secrets and the `Parley-Signature` header.

    Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

A receiver recomputes the HMAC over the raw body it got, compares in constant time, and
rejects a timestamp more than five minutes from its own clock, so a captured delivery
cannot be replayed later. Secrets are sealed at rest (AES-256-GCM, api/crypto) and bound
to their endpoint's id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealed, SecretBox
from api.outgoing import store

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _associated_data(endpoint_id: uuid.UUID) -> bytes:
    return b"webhook_endpoint:" + str(endpoint_id).encode()


def seal_secret(box: SecretBox, endpoint_id: uuid.UUID, secret: str) -> Sealed:
    return box.encrypt(secret, _associated_data(endpoint_id))


def open_secret(box: SecretBox, endpoint_id: uuid.UUID, key_id: str, ciphertext: bytes) -> str:
    return box.decrypt(Sealed(key_id, ciphertext), _associated_data(endpoint_id))


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return digest.hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, body, t)}"


async def reseal_secrets(session: AsyncSession, box: SecretBox) -> int:
    """Re-seal every endpoint secret not under the active key (`python -m api.cli
    rotate-keys`, beside the Meta tokens), so an old key can be retired."""
    endpoints = await store.endpoints_sealed_with_other_keys(session, box.active_key_id)
    for endpoint in endpoints:
        secret = open_secret(box, endpoint.id, endpoint.secret_key_id, endpoint.secret_ciphertext)
        sealed = seal_secret(box, endpoint.id, secret)
        endpoint.secret_key_id, endpoint.secret_ciphertext = sealed.key_id, sealed.ciphertext
    await session.flush()
    return len(endpoints)
