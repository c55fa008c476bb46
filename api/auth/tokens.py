"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed, rotating)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt

from api.config import AuthSettings
from api.models import Role

ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret


class InvalidToken(Exception):
    """The token is malformed, expired, or not signed by us."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    expires_at: datetime


def create_access_token(
    settings: AuthSettings, *, user_id: uuid.UUID, tenant_id: uuid.UUID, role: Role
) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "tid": str(tenant_id),
        "role": role.value,
        "typ": ACCESS_TOKEN_TYPE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return str(jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm))


def decode_access_token(settings: AuthSettings, token: str) -> AccessClaims:
    """Verify signature (pinned algorithm), expiry and type; raise `InvalidToken` otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            options={"require_exp": True, "require_sub": True},
        )
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("not an access token")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tid"]),
            role=Role(claims["role"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except (JWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
