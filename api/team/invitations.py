"""Inviting people to the workspace: create (the link is shown once, and mailed when email
is configured), list the pending ones, revoke. Accepting is public: `api.invitations`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.auth.permissions import Permission, allows
from api.config import Settings
from api.errors import Conflict, Forbidden, NotFound
from api.invitations.email import enqueue_invitation_email
from api.invitations.tokens import hash_invitation_token, invite_url, new_invitation_token
from api.models import Invitation, Role, User
from api.security.crosstenant import CrossTenantChecks
from api.team.repository import InvitationRepository, MemberRepository
from api.team.schemas import InvitationCreate, InvitationCreated, InvitationOut, PersonOut
from api.tenancy import TenantScope


def _out(invitation: Invitation, inviter: User | None, now: datetime) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        expired=invitation.expires_at <= now,
        invited_by=PersonOut.model_validate(inviter) if inviter is not None else None,
    )


def _target(invitation: Invitation) -> tuple[str, uuid.UUID, str]:
    return ("invitation", invitation.id, invitation.email)


class InvitationService:
    def __init__(self, session: AsyncSession, scope: TenantScope, settings: Settings) -> None:
        self.session = session
        self.scope = scope
        self.settings = settings
        self.invitations = InvitationRepository(session, scope)
        self.members = MemberRepository(session, scope)

    async def list_pending(self) -> list[InvitationOut]:
        """Invitations not yet accepted or revoked, newest first (expired ones flagged)."""
        invitations = await self.invitations.list_pending()
        inviters = await self.members.get_many(
            i.invited_by_user_id for i in invitations if i.invited_by_user_id is not None
        )
        now = datetime.now(UTC)
        return [
            _out(i, inviters.get(i.invited_by_user_id) if i.invited_by_user_id else None, now)
            for i in invitations
        ]

    async def create(self, body: InvitationCreate) -> InvitationCreated:
        """Invite `email` with `role`. A pending invitation for the same email is replaced
        (its link stops working), so inviting again is how a link is resent."""
        if body.role is Role.OWNER and not allows(self.scope.role, Permission.TENANT_OWN):
            raise Forbidden("Only an owner can invite another owner.", code="owner_required")
        await self._check_email_free(body.email)
        now = datetime.now(UTC)
        replaced = await self.invitations.pending_for_email_for_update(body.email)
        if replaced is not None:
            replaced.revoked_at = now
            await self.session.flush()  # the pending-email index must see it revoked first
        token = new_invitation_token()
        invitation = Invitation(
            tenant_id=self.scope.tenant_id,
            email=body.email,
            role=body.role,
            token_hash=hash_invitation_token(token),
            invited_by_user_id=self.scope.user_id,
            created_at=now,
            expires_at=now + timedelta(hours=self.settings.auth.invitation_ttl_hours),
        )
        self.session.add(invitation)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a concurrent invitation for the same email won
            raise Conflict(
                "This email was invited a moment ago; refresh the list.", code="invitation_pending"
            ) from exc
        await record(
            self.session,
            self.scope,
            AuditAction.INVITATION_CREATED,
            target=_target(invitation),
            details={"role": body.role.value, "resent": replaced is not None},
        )
        email_sent = self.settings.mail.enabled
        if email_sent:
            enqueue_invitation_email(self.session, invitation.id, token)
        inviter = await self._inviter()
        return InvitationCreated(
            **_out(invitation, inviter, now).model_dump(),
            invite_url=invite_url(self.settings.public_base_url, token),
            email_sent=email_sent,
        )

    async def revoke(self, invitation_id: uuid.UUID) -> InvitationOut:
        """The link stops working at once. Revoking twice is harmless; an accepted
        invitation cannot be revoked (remove the member instead)."""
        invitation = await self.invitations.get(invitation_id)
        if invitation is None:
            raise NotFound("Invitation not found.", code="invitation_not_found")
        if invitation.accepted_at is not None:
            raise Conflict(
                "This invitation was already accepted; remove the member instead.",
                code="invitation_used",
            )
        if invitation.revoked_at is None:
            invitation.revoked_at = datetime.now(UTC)
            await record(
                self.session,
                self.scope,
                AuditAction.INVITATION_REVOKED,
                target=_target(invitation),
                details={"role": invitation.role.value},
            )
        inviter = None
        if invitation.invited_by_user_id is not None:
            inviter = (await self.members.get_many([invitation.invited_by_user_id])).get(
                invitation.invited_by_user_id
            )
        return _out(invitation, inviter, datetime.now(UTC))

    async def _check_email_free(self, email: str) -> None:
        # users.email is unique across Parley: under row-level security only this narrow
        # check may look at other tenants' users (and it answers where, never who).
        where = await CrossTenantChecks(self.session).email_in_use(email, self.scope.tenant_id)
        if where is None:
            return
        if where == "here":
            raise Conflict("This person is already a member of the team.", code="already_member")
        # One account per email across Parley (users.email is unique).
        raise Conflict(
            "This email already has a Parley account in another workspace.", code="email_taken"
        )

    async def _inviter(self) -> User | None:
        if self.scope.user_id is None:
            return None
        return (await self.members.get_many([self.scope.user_id])).get(self.scope.user_id)
