"""The team of a workspace. (Invitations and role changes will live here too.)"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.team.repository import MemberRepository
from api.team.schemas import MemberOut
from api.tenancy import TenantScope


class TeamService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.members = MemberRepository(session, scope)

    async def list_members(self) -> list[MemberOut]:
        """Every member of the caller's workspace, ordered by name (or email)."""
        return [MemberOut.model_validate(user) for user in await self.members.list_all()]
