"""API keys: `prly_<prefix>_<secret>`. The prefix finds the row and is what the UI shows;
the SHA-256 of the whole key is compared in constant time. Keys carry a role (never owner)
and belong to one tenant; a revoked key, or one whose tenant is being deleted, is refused."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.repository import ApiKeyLookup, UserRepository
from api.context import current_request
from api.tenancy import TenantScope

API_KEY_PREFIX = "prly_"
# Writing last_used_at on every call would turn reads into writes; a minute is precise
# enough for "is this key still in use?".
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class NewKey:
    token: str  # shown once
    prefix: str
    secret_hash: str


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_key() -> NewKey:
    prefix = secrets.token_hex(6)  # 12 hex chars: unique enough to find, short to show
    token = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(token=token, prefix=prefix, secret_hash=hash_key(token))


def split_prefix(token: str) -> str | None:
    body = token.removeprefix(API_KEY_PREFIX)
    prefix, sep, secret = body.partition("_")
    if not sep or not secret or len(prefix) != 12:
        return None
    return prefix


def key_label(name: str, prefix: str) -> str:
    return f"API key {name} ({API_KEY_PREFIX}{prefix})"


async def authenticate_api_key(session: AsyncSession, token: str) -> TenantScope | None:
    prefix = split_prefix(token)
    if prefix is None:
        return None
    keys = ApiKeyLookup(session)
    key = await keys.get_by_prefix(prefix)
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, hash_key(token)):
        return None
    tenant = await UserRepository(session).get_tenant(key.tenant_id)
    if tenant is None or tenant.deletion_requested_at is not None:
        return None
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        request = current_request()
        await keys.touch(key.id, now, request.ip if request else None)
    return TenantScope(
        tenant_id=key.tenant_id,
        user_id=None,
        role=key.role,
        api_key_id=key.id,
        actor_label=key_label(key.name, key.prefix),
    )
