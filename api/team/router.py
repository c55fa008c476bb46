from __future__ import annotations

from fastapi import APIRouter

from api.auth.deps import CurrentScope
from api.deps import SessionDep
from api.team.schemas import MemberOut
from api.team.service import TeamService

router = APIRouter(prefix="/team", tags=["team"])


@router.get("/members")
async def list_members(scope: CurrentScope, session: SessionDep) -> list[MemberOut]:
    """The workspace's people with their roles, by name (or email): who a conversation can
    be assigned to (viewers are read-only and cannot be assignees)."""
    return await TeamService(session, scope).list_members()
