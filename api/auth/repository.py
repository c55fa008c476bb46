"""Auth reads happen before a tenant is known (login, refresh), so these are the only
repositories that look users up across tenants: by unique email or token hash."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import ApiKey, RefreshToken, Tenant, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == email))
        return result.scalar_one_or_none()

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_tenant(self, tenant_id: uuid.UUID) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

    async def get_with_tenant_deletion(
        self, user_id: uuid.UUID
    ) -> tuple[User, datetime | None] | None:
        """A user and when their tenant's deletion was requested (None: it was not), in
        one round trip: what every authenticated request needs to know."""
        row = (
            await self.session.execute(
                select(User, Tenant.deletion_requested_at)
                .join(Tenant, Tenant.id == User.tenant_id)
                .where(User.id == user_id)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        result = await self.session.execute(statement.with_for_update())
        return result.scalar_one_or_none()

    async def revoke_family(self, family_id: uuid.UUID, at: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )


class ApiKeyLookup:
    """Find an API key by its public prefix: the key names its tenant, so this read comes
    before any tenant is known."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        result = await self.session.execute(select(ApiKey).where(ApiKey.prefix == prefix))
        return result.scalar_one_or_none()

    async def touch(self, key_id: uuid.UUID, at: datetime, ip: str | None) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at, last_used_ip=ip)
        )
