"""The caller's team: the users of their tenant, and the invitations to join it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func

from api.models import Invitation, Role, User
from api.tenancy import ScopedRepository


class MemberRepository(ScopedRepository[User]):
    model = User

    async def list_all(self) -> list[User]:
        """Everyone in the tenant, by the name people see (the email when there is none)."""
        label = func.lower(func.coalesce(User.name, User.email))
        statement = self.scoped().order_by(label, func.lower(User.email), User.id)
        return list((await self.session.execute(statement)).scalars())

    async def get_many(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
        ids = set(user_ids)
        if not ids:
            return {}
        statement = self.scoped().where(User.id.in_(ids))
        return {user.id: user for user in (await self.session.execute(statement)).scalars()}

    async def lock_owners(self) -> list[User]:
        """The tenant's owners, locked until commit (always first, always in id order, so
        concurrent role changes queue up instead of each seeing "another owner is left")."""
        statement = self.scoped().where(User.role == Role.OWNER).order_by(User.id)
        return list((await self.session.execute(statement.with_for_update())).scalars())

    async def get_for_update(self, user_id: uuid.UUID) -> User | None:
        statement = self.scoped().where(User.id == user_id).with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()


class InvitationRepository(ScopedRepository[Invitation]):
    model = Invitation

    async def list_pending(self) -> list[Invitation]:
        """Not accepted and not revoked (expired ones too: the admin can see and resend)."""
        statement = (
            self.scoped()
            .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.created_at.desc(), Invitation.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def pending_for_email_for_update(self, email: str) -> Invitation | None:
        statement = self.scoped().where(
            func.lower(Invitation.email) == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        return (await self.session.execute(statement.with_for_update())).scalar_one_or_none()
