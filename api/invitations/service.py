"""Joining a workspace with an invitation link: see what it offers, then accept it once.

The token is the only credential, so every answer about a bad token is about the token
(unknown or revoked: 404; used or expired: 410), never about the tenant behind it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.auth import passwords
from api.auth.repository import UserRepository
from api.auth.schemas import TokenPair
from api.auth.service import AuthService
from api.config import AuthSettings
from api.errors import AppError, Conflict, NotFound
from api.invitations.repository import InvitationLookup
from api.invitations.schemas import InvitationAccept, InvitationPreview, Inviter
from api.invitations.tokens import hash_invitation_token
from api.models import Invitation, Tenant, User
from api.team.service import emit_team_updated


class InvitationGone(AppError):
    status_code = 410


def check_usable(invitation: Invitation | None, now: datetime) -> Invitation:
    """The invitation if its link still works, else the error that says why not."""
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(
            "This invitation link is not valid (it may have been revoked).",
            code="invitation_not_found",
        )
    if invitation.accepted_at is not None:
        raise InvitationGone(
            "This invitation has already been used. Sign in instead.", code="invitation_used"
        )
    if invitation.expires_at <= now:
        raise InvitationGone(
            "This invitation has expired. Ask your admin for a new one.",
            code="invitation_expired",
        )
    return invitation


class InvitationAcceptance:
    def __init__(self, session: AsyncSession, settings: AuthSettings) -> None:
        self.session = session
        self.settings = settings
        self.invitations = InvitationLookup(session)
        self.users = UserRepository(session)

    async def preview(self, token: str) -> InvitationPreview:
        """Who invites whom to which workspace, with which role, until when."""
        invitation = await self.invitations.get_by_token_hash(hash_invitation_token(token))
        invitation = check_usable(invitation, datetime.now(UTC))
        tenant = await self._live_tenant(invitation)
        inviter = None
        if invitation.invited_by_user_id is not None:
            inviter = await self.users.get(invitation.invited_by_user_id)
        return InvitationPreview(
            tenant_name=tenant.name,
            email=invitation.email,
            role=invitation.role,
            expires_at=invitation.expires_at,
            invited_by=Inviter(name=inviter.name, email=inviter.email) if inviter else None,
        )

    async def accept(self, token: str, body: InvitationAccept) -> TokenPair:
        """Create the member (single use: the invitation row is locked while this runs, so
        of two concurrent accepts one joins and the other finds it used) and sign them in."""
        invitation = await self.invitations.get_by_token_hash(
            hash_invitation_token(token), for_update=True
        )
        now = datetime.now(UTC)
        invitation = check_usable(invitation, now)
        await self._live_tenant(invitation)
        user = await self._create_member(invitation, body, now)
        invitation.accepted_at = now
        invitation.accepted_user_id = user.id
        await record(
            self.session,
            None,
            AuditAction.INVITATION_ACCEPTED,
            tenant_id=invitation.tenant_id,
            actor_user_id=user.id,
            actor_label=user.email,
            target=("user", user.id, user.email),
            details={"role": user.role.value, "invitation_id": str(invitation.id)},
        )
        emit_team_updated(self.session, invitation.tenant_id, user.id)
        return await AuthService(self.session, self.settings).sign_in(user)

    async def _live_tenant(self, invitation: Invitation) -> Tenant:
        tenant = await self.users.get_tenant(invitation.tenant_id)
        if tenant is None or tenant.deletion_requested_at is not None:
            raise NotFound("This invitation link is not valid.", code="invitation_not_found")
        return tenant

    async def _create_member(
        self, invitation: Invitation, body: InvitationAccept, now: datetime
    ) -> User:
        existing = await self.users.get_by_email(invitation.email)
        if existing is not None:
            raise _account_exists(same_tenant=existing.tenant_id == invitation.tenant_id)
        user = User(
            tenant_id=invitation.tenant_id,
            email=invitation.email,
            name=body.name,
            password_hash=passwords.hash_password(body.password),
            role=invitation.role,
            last_login_at=now,
        )
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # an account for this email was created meanwhile
            raise _account_exists(same_tenant=False) from exc
        return user


def _account_exists(*, same_tenant: bool) -> Conflict:
    if same_tenant:
        return Conflict(
            "You are already a member of this workspace. Sign in instead.", code="already_member"
        )
    return Conflict(
        "An account with this email already exists (one account per email).",
        code="email_taken",
    )
