"""Who is calling: the bearer token becomes a `TenantScope`, the only way into tenant data."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth.repository import UserRepository
from api.auth.tokens import InvalidToken, decode_access_token
from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden, Unauthorized
from api.models import Role
from api.tenancy import TenantScope

bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/auth/login")


async def get_scope(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> TenantScope:
    if credentials is None:
        raise Unauthorized("Missing bearer token.", code="not_authenticated")
    try:
        claims = decode_access_token(settings.auth, credentials.credentials)
    except InvalidToken as exc:
        raise Unauthorized("Access token is invalid or expired.", code="invalid_token") from exc
    user = await UserRepository(session).get(claims.user_id)
    if user is None or user.tenant_id != claims.tenant_id:
        raise Unauthorized("Access token is invalid or expired.", code="invalid_token")
    return TenantScope(tenant_id=user.tenant_id, user_id=user.id, role=user.role)


CurrentScope = Annotated[TenantScope, Depends(get_scope)]

MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


async def require_manager(scope: CurrentScope) -> TenantScope:
    """Owners and admins manage channels and settings; agents and viewers may not."""
    if scope.role not in MANAGERS:
        raise Forbidden("Only owners and admins can do this.")
    return scope


TenantAdmin = Annotated[TenantScope, Depends(require_manager)]

AGENTS = frozenset({Role.OWNER, Role.ADMIN, Role.AGENT})


async def require_agent(scope: CurrentScope) -> TenantScope:
    """Agents (and owners, admins) work conversations; viewers only read."""
    if scope.role not in AGENTS:
        raise Forbidden("Viewers have read-only access.")
    return scope


TenantAgent = Annotated[TenantScope, Depends(require_agent)]
