"""The one place a caller becomes a tenant scope, and the base of every scoped repository."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Role
from api.models.base import Base

ModelT = TypeVar("ModelT", bound=Base)


@dataclass(frozen=True, slots=True)
class TenantScope:
    """Who is asking, for which tenant. Built only by `api.auth.deps` from a verified token."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None
    role: Role
    # Set when the caller is an integrator's API key rather than a signed-in user.
    api_key_id: uuid.UUID | None = None
    # Who, in words, for the audit log: the user's email or "API key <name> (<prefix>)".
    actor_label: str | None = None


class ScopedRepository(Generic[ModelT]):
    """A repository whose every read starts from a statement filtered by the tenant."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope

    def scoped(self) -> Select[ModelT]:
        return select(self.model).where(self.model.tenant_id == self.scope.tenant_id)

    async def get(self, id_: uuid.UUID) -> ModelT | None:
        result = await self.session.execute(self.scoped().where(self.model.id == id_))
        return result.scalar_one_or_none()
