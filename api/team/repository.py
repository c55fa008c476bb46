"""The caller's team: the users of their tenant."""

from __future__ import annotations

from sqlalchemy import func

from api.models import User
from api.tenancy import ScopedRepository


class MemberRepository(ScopedRepository[User]):
    model = User

    async def list_all(self) -> list[User]:
        """Everyone in the tenant, by the name people see (the email when there is none)."""
        label = func.lower(func.coalesce(User.name, User.email))
        statement = self.scoped().order_by(label, func.lower(User.email), User.id)
        return list((await self.session.execute(statement)).scalars())
