"""Create, list and revoke API keys; every change lands in the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.apikeys.repository import ApiKeyRepository
from api.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from api.audit.log import AuditAction, record
from api.auth.apikeys import API_KEY_PREFIX, generate_key
from api.auth.permissions import API_KEY_ROLES, ROLE_PERMISSIONS
from api.errors import AppError, Forbidden, NotFound
from api.models import ApiKey
from api.tenancy import TenantScope


def _out(key: ApiKey) -> ApiKeyOut:
    out = ApiKeyOut.model_validate(key)
    return out.model_copy(update={"prefix": f"{API_KEY_PREFIX}{key.prefix}"})


class ApiKeyService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.keys = ApiKeyRepository(session, scope)

    async def list(self) -> list[ApiKeyOut]:
        return [_out(key) for key in await self.keys.list_all()]

    async def create(self, body: ApiKeyCreate) -> ApiKeyCreated:
        if body.role not in API_KEY_ROLES:
            raise AppError(
                "An API key cannot carry the owner role; use admin at most.",
                status_code=422,
                code="invalid_role",
            )
        # Nobody mints a key stronger than themselves.
        if not ROLE_PERMISSIONS[body.role] <= ROLE_PERMISSIONS[self.scope.role]:
            raise Forbidden("You cannot create a key with more access than your own role.")
        new = generate_key()
        key = ApiKey(
            tenant_id=self.scope.tenant_id,
            name=body.name,
            prefix=new.prefix,
            secret_hash=new.secret_hash,
            role=body.role,
            created_by_user_id=self.scope.user_id,
            created_at=datetime.now(UTC),
        )
        self.session.add(key)
        await self.session.flush()
        await record(
            self.session,
            self.scope,
            AuditAction.API_KEY_CREATED,
            target=("api_key", key.id, f"{body.name} ({API_KEY_PREFIX}{new.prefix})"),
            details={"role": body.role.value},
        )
        return ApiKeyCreated(**_out(key).model_dump(), secret=new.token)

    async def revoke(self, key_id: uuid.UUID) -> ApiKeyOut:
        key = await self.keys.get(key_id)
        if key is None:
            raise NotFound("API key not found.")
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
            await record(
                self.session,
                self.scope,
                AuditAction.API_KEY_REVOKED,
                target=("api_key", key.id, f"{key.name} ({API_KEY_PREFIX}{key.prefix})"),
            )
        return _out(key)
