from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from api.auth.deps import CurrentScope, OwnerScope, TeamScope
from api.deps import SessionDep, SettingsDep
from api.pagination import Page
from api.team.invitations import InvitationService
from api.team.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationOut,
    MemberOut,
    MemberUpdate,
    OwnershipTransfer,
    OwnershipTransferred,
)
from api.team.service import TeamService

router = APIRouter(prefix="/team", tags=["team"])


@router.get("/members")
async def list_members(scope: CurrentScope, session: SessionDep) -> list[MemberOut]:
    """The workspace's people with their roles, by name (or email): who a conversation can
    be assigned to (viewers are read-only and cannot be assignees)."""
    return await TeamService(session, scope).list_members()


@router.patch("/members/{user_id}")
async def change_member_role(
    user_id: uuid.UUID, body: MemberUpdate, scope: TeamScope, session: SessionDep
) -> MemberOut:
    """Change a member's role; it applies at once. Granting or taking away `owner` needs
    an owner; the last owner cannot be demoted (409 `last_owner`); your own role only
    changes when you are an owner stepping down while another owner stays."""
    return await TeamService(session, scope).change_role(user_id, body.role)


@router.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(user_id: uuid.UUID, scope: TeamScope, session: SessionDep) -> None:
    """Remove a member (yourself too): their sessions end at once. Removing an owner needs
    an owner; the last owner cannot be removed (409 `last_owner`)."""
    await TeamService(session, scope).remove(user_id)


@router.post("/transfer-ownership")
async def transfer_ownership(
    body: OwnershipTransfer, scope: OwnerScope, session: SessionDep
) -> OwnershipTransferred:
    """Make another member the owner; you become an admin."""
    return await TeamService(session, scope).transfer_ownership(body.user_id)


@router.get("/invitations")
async def list_invitations(
    scope: TeamScope, session: SessionDep, settings: SettingsDep
) -> Page[InvitationOut]:
    """Invitations not yet accepted or revoked (never their links)."""
    return Page(items=await InvitationService(session, scope, settings).list_pending())


@router.post("/invitations", status_code=status.HTTP_201_CREATED)
async def create_invitation(
    body: InvitationCreate, scope: TeamScope, session: SessionDep, settings: SettingsDep
) -> InvitationCreated:
    """Invite someone by email. `invite_url` is shown this once (copy it if email is not
    configured); inviting the same email again replaces the pending invitation."""
    return await InvitationService(session, scope, settings).create(body)


@router.delete("/invitations/{invitation_id}")
async def revoke_invitation(
    invitation_id: uuid.UUID, scope: TeamScope, session: SessionDep, settings: SettingsDep
) -> InvitationOut:
    """Revoke a pending invitation: its link stops working at once."""
    return await InvitationService(session, scope, settings).revoke(invitation_id)
