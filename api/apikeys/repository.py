"""The tenant's API keys."""

from __future__ import annotations

from api.models import ApiKey
from api.tenancy import ScopedRepository


class ApiKeyRepository(ScopedRepository[ApiKey]):
    model = ApiKey

    async def list_all(self) -> list[ApiKey]:
        """Live keys first, newest first; revoked ones after, kept for the record."""
        statement = self.scoped().order_by(
            ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id
        )
        return list((await self.session.execute(statement)).scalars())
