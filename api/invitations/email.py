"""The invitation email, sent by a job after the invitation commits.

The job carries the invitation's id and its token: the database keeps only the token's
hash, so the link can only be built from what the job was given. The token is never
logged; the job checks the row before sending (still pending, not expired, the same
token), so a late or repeated run of a revoked or replaced invitation sends nothing.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.repository import UserRepository
from api.config import Settings
from api.db import unit_of_work
from api.invitations.repository import InvitationLookup
from api.invitations.tokens import hash_invitation_token, invite_url
from api.jobs import enqueue_job
from api.mail import Mail, send_mail
from api.models import Invitation, Role

logger = logging.getLogger(__name__)

SEND_INVITATION_EMAIL_JOB = "team.send_invitation_email"

ROLE_WORDS = {
    Role.OWNER: "an owner",
    Role.ADMIN: "an admin",
    Role.AGENT: "an agent",
    Role.VIEWER: "a viewer (read-only)",
}


def enqueue_invitation_email(session: AsyncSession, invitation_id: uuid.UUID, token: str) -> None:
    """Send the invitation's email once the invitation has committed."""
    enqueue_job(
        session,
        SEND_INVITATION_EMAIL_JOB,
        str(invitation_id),
        token,
        job_id=f"{SEND_INVITATION_EMAIL_JOB}:{invitation_id}",
    )


@dataclass(frozen=True, slots=True)
class InvitationEmail:
    to: str
    tenant_name: str
    inviter: str | None
    role: Role
    expires_at: datetime


def compose(email: InvitationEmail, url: str) -> Mail:
    who = f"{email.inviter} has invited you" if email.inviter else "You have been invited"
    text = (
        f"{who} to join {email.tenant_name} on Parley as {ROLE_WORDS[email.role]}.\n\n"
        f"Accept the invitation and choose your password here:\n{url}\n\n"
        f"The link works once and expires on {email.expires_at:%Y-%m-%d %H:%M} UTC.\n"
        "If you did not expect this invitation, you can ignore this email.\n"
    )
    return Mail(to=email.to, subject=f"Join {email.tenant_name} on Parley", text=text)


async def _load(
    session: AsyncSession, invitation_id: uuid.UUID, token: str
) -> InvitationEmail | None:
    invitation = await InvitationLookup(session).get(invitation_id)
    if invitation is None or not _still_pending(invitation, token):
        return None
    users = UserRepository(session)
    tenant = await users.get_tenant(invitation.tenant_id)
    if tenant is None or tenant.deletion_requested_at is not None:
        return None
    inviter = None
    if invitation.invited_by_user_id is not None:
        inviter = await users.get(invitation.invited_by_user_id)
    return InvitationEmail(
        to=invitation.email,
        tenant_name=tenant.name,
        inviter=(inviter.name or inviter.email) if inviter else None,
        role=invitation.role,
        expires_at=invitation.expires_at.astimezone(UTC),
    )


def _still_pending(invitation: Invitation, token: str) -> bool:
    return (
        invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > datetime.now(UTC)
        and hmac.compare_digest(invitation.token_hash, hash_invitation_token(token))
    )


async def send_invitation_email(settings: Settings, invitation_id: uuid.UUID, token: str) -> bool:
    """Send the email if the invitation still stands. True if a mail went out; raises
    `api.mail.MailError` when the server refused or could not be reached (retry)."""
    if not settings.mail.enabled:
        return False
    async with unit_of_work() as session:  # closed before talking to the mail server
        email = await _load(session, invitation_id, token)
    if email is None:
        logger.info("invitation %s is no longer pending; no email sent", invitation_id)
        return False
    await send_mail(settings.mail, compose(email, invite_url(settings.public_base_url, token)))
    return True
