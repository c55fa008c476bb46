"""Public: the invitation link's token is the credential (listed in PUBLIC_ROUTES)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.auth.schemas import TokenPair
from api.deps import SessionDep, SettingsDep
from api.errors import ErrorOut
from api.invitations.schemas import InvitationAccept, InvitationPreview
from api.invitations.service import InvitationAcceptance
from api.security.ratelimit import LimitName, limit_by_ip

# Per client IP, on both routes (the token is the credential: this stops guessing).
router = APIRouter(
    prefix="/invitations",
    tags=["team"],
    dependencies=[Depends(limit_by_ip(LimitName.INVITATION_IP))],
    responses={429: {"description": "Too many attempts from this address; see Retry-After"}},
)

# A link that worked once and no longer does (used, expired) is gone, not missing.
GONE: dict[int | str, dict[str, Any]] = {
    410: {"model": ErrorOut, "description": "The invitation was used or has expired"}
}

Token = Annotated[str, Path(min_length=1, max_length=128, description="From the invitation link")]


@router.get("/{token}", responses=GONE)
async def get_invitation(
    token: Token, session: SessionDep, settings: SettingsDep
) -> InvitationPreview:
    """What the invitation offers. Unknown or revoked: 404; used or expired: 410."""
    return await InvitationAcceptance(session, settings.auth).preview(token)


@router.post("/{token}/accept", responses=GONE)
async def accept_invitation(
    token: Token, body: InvitationAccept, session: SessionDep, settings: SettingsDep
) -> TokenPair:
    """Join the workspace with the invitation's email and role, and sign in. Works once."""
    return await InvitationAcceptance(session, settings.auth).accept(token, body)
