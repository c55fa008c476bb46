"""Who is calling, and may they: the bearer credential becomes a `TenantScope` (the only way
into tenant data), then the route's one `Permission` is checked against the role table.

A bearer credential is either a user's access token (a JWT) or an integrator's API key
(`prly_...`); both use `Authorization: Bearer`. Each route takes exactly one of the scope
aliases below, which names its permission; `tests/api/security/test_role_matrix.py` reads
them back from the routes.

Once the caller is known, the call counts against its rate limit (per user or per API
key, `api.security.ratelimit`) and the request's transaction is confined to its tenant by
PostgreSQL row-level security (`api.security.rls`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth.apikeys import API_KEY_PREFIX, authenticate_api_key
from api.auth.permissions import Permission, allows
from api.auth.repository import UserRepository
from api.auth.tokens import InvalidToken, decode_access_token
from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden, Unauthorized
from api.observability import logs, tracing
from api.security.ratelimit import LimitName, get_rate_limiter
from api.security.rls import enter_tenant
from api.tenancy import TenantScope

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="AccessToken",
    description="A user's access token (JWT) from `POST /api/auth/login`.",
)
api_key_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="prly_<prefix>_<secret>",
    description="An integrator's API key, created under Settings → API keys.",
)


async def get_scope(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _api_key: Annotated[HTTPAuthorizationCredentials | None, Depends(api_key_scheme)],
) -> TenantScope:
    if credentials is None:
        raise Unauthorized("Missing bearer token.", code="not_authenticated")
    token = credentials.credentials
    if token.startswith(API_KEY_PREFIX):
        scope = await authenticate_api_key(session, token)
        if scope is None:
            raise Unauthorized("API key is invalid or revoked.", code="invalid_api_key")
    else:
        try:
            claims = decode_access_token(settings.auth, token)
        except InvalidToken as exc:
            raise Unauthorized("Access token is invalid or expired.", code="invalid_token") from exc
        found = await UserRepository(session).get_with_tenant_deletion(claims.user_id)
        if found is None or found[0].tenant_id != claims.tenant_id:
            raise Unauthorized("Access token is invalid or expired.", code="invalid_token")
        user, deletion_requested_at = found
        if deletion_requested_at is not None:
            raise Unauthorized("This workspace is being deleted.", code="tenant_deleted")
        # The role comes from the database, not the token: a change applies at once.
        scope = TenantScope(
            tenant_id=user.tenant_id, user_id=user.id, role=user.role, actor_label=user.email
        )
    # The rest of the request's log lines (and its trace) name the caller.
    logs.bind(tenant_id=scope.tenant_id, user_id=scope.user_id, api_key_id=scope.api_key_id)
    tracing.annotate(**{"parley.tenant_id": str(scope.tenant_id)})
    await _throttle(scope)
    if settings.security.row_level_security:
        # From here on PostgreSQL shows this request only its tenant's rows (api.security.rls).
        await enter_tenant(session, scope.tenant_id)
    return scope


async def _throttle(scope: TenantScope) -> None:
    """Every authenticated call counts against its API key's or its user's bucket."""
    identity = f"key:{scope.api_key_id}" if scope.api_key_id else f"user:{scope.user_id}"
    await get_rate_limiter().check(LimitName.API, identity)


Authenticated = Annotated[TenantScope, Depends(get_scope)]


def requires(permission: Permission) -> Callable[[TenantScope], Awaitable[TenantScope]]:
    """The dependency that lets a caller through only if their role has `permission`."""

    async def dependency(scope: Authenticated) -> TenantScope:
        if not allows(scope.role, permission):
            raise Forbidden(
                f"Your role ({scope.role.value}) does not allow this ({permission.value}).",
                code="forbidden",
                extra={"permission": permission.value},
            )
        return scope

    dependency.__name__ = f"requires_{permission.name.lower()}"
    dependency.permission = permission  # type: ignore[attr-defined]  # read by the role matrix
    return dependency


def permission_of(call: object) -> Permission | None:
    """The permission a dependency callable enforces, if it is one made by `requires`."""
    value = getattr(call, "permission", None)
    return value if isinstance(value, Permission) else None


_checks = {permission: requires(permission) for permission in Permission}

# One alias per permission; a route takes exactly one of them.
CurrentScope = Annotated[TenantScope, Depends(_checks[Permission.WORKSPACE_READ])]
TenantAgent = Annotated[TenantScope, Depends(_checks[Permission.CONVERSATIONS_WRITE])]
SavedRepliesScope = Annotated[TenantScope, Depends(_checks[Permission.SAVED_REPLIES_MANAGE])]
DeleteScope = Annotated[TenantScope, Depends(_checks[Permission.CONVERSATIONS_DELETE])]
ChannelsScope = Annotated[TenantScope, Depends(_checks[Permission.CHANNELS_MANAGE])]
OperationsScope = Annotated[TenantScope, Depends(_checks[Permission.OPERATIONS_MANAGE])]
TeamScope = Annotated[TenantScope, Depends(_checks[Permission.TEAM_MANAGE])]
ApiKeysScope = Annotated[TenantScope, Depends(_checks[Permission.API_KEYS_MANAGE])]
WebhooksScope = Annotated[TenantScope, Depends(_checks[Permission.WEBHOOKS_MANAGE])]
AuditScope = Annotated[TenantScope, Depends(_checks[Permission.AUDIT_READ])]
ReportsScope = Annotated[TenantScope, Depends(_checks[Permission.REPORTS_READ])]
ExportScope = Annotated[TenantScope, Depends(_checks[Permission.TENANT_EXPORT])]
OwnerScope = Annotated[TenantScope, Depends(_checks[Permission.TENANT_OWN])]
