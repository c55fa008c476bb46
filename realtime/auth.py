"""Who a socket is: the API's access token, checked against the database.

A socket's authority lasts as long as its token: the gateway disconnects it at the token's
expiry (after `session:expired`) unless the client sends a newer token first
(`auth:refresh`). A user who no longer exists (removed from the team) cannot connect, and
`api.events.disconnect_user` ends the sockets already open.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from api import db
from api.auth.repository import UserRepository
from api.auth.tokens import InvalidToken, decode_access_token
from api.config import AuthSettings
from api.models import Role

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The token cannot open (or renew) a session. `code` is machine-readable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    name: str
    expires_at: datetime

    @property
    def can_write(self) -> bool:
        return self.role is not Role.VIEWER


async def authenticate(settings: AuthSettings, token: object) -> Identity:
    """The identity behind an access token, or `Refused`. The role and name come from the
    database (a role changed since the token was issued applies at once)."""
    if not isinstance(token, str) or not token:
        raise Refused("unauthorized", "missing token")
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken as exc:
        raise Refused("unauthorized", "invalid or expired token") from exc
    try:
        async with db.get_sessionmaker()() as session:
            users = UserRepository(session)
            user = await users.get(claims.user_id)
            tenant = await users.get_tenant(claims.tenant_id)
    except Exception as exc:
        logger.warning("could not load the user of a socket (%s)", type(exc).__name__)
        raise Refused("unavailable", "try again shortly") from exc
    if user is None or user.tenant_id != claims.tenant_id:
        raise Refused("unauthorized", "unknown user")
    if tenant is None or tenant.deletion_requested_at is not None:
        raise Refused("unauthorized", "this workspace is being deleted")
    return Identity(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        name=user.name or user.email,
        expires_at=claims.expires_at,
    )


class Expiry:
    """One timer per socket: `on_expiry(sid)` runs when its token expires."""

    def __init__(self, on_expiry: Callable[[str], Awaitable[None]]) -> None:
        self._on_expiry = on_expiry
        self._timers: dict[str, asyncio.Task[None]] = {}

    def schedule(self, sid: str, at: datetime) -> None:
        self.cancel(sid)
        self._timers[sid] = asyncio.create_task(self._wait(sid, at))

    def cancel(self, sid: str) -> None:
        timer = self._timers.pop(sid, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def cancel_all(self) -> None:
        for sid in list(self._timers):
            self.cancel(sid)

    async def _wait(self, sid: str, at: datetime) -> None:
        await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))
        self._timers.pop(sid, None)
        try:
            await self._on_expiry(sid)
        except Exception:
            logger.exception("could not end an expired socket session")
