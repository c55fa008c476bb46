"""An owner deletes the whole tenant. The request closes the workspace at once: every
token and API key of the tenant is refused from the commit on (`get_scope` checks
`deletion_requested_at`), every member's sockets are disconnected, and a job
(`api.data.erase`) revokes Parley's access at Meta, deletes the stored files and erases
every row. Retyping the workspace's name and the owner's password guard against a slip
and a borrowed session.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api import events, jobs
from api.audit.log import AuditAction, record
from api.auth.passwords import verify_password
from api.auth.repository import UserRepository
from api.data.repository import MemberIds
from api.data.schemas import TenantDeletion, TenantDeletionAccepted
from api.db import AfterCommit, after_commit
from api.errors import AppError, Forbidden, Unauthorized
from api.tenancy import TenantScope

ERASE_JOB = "data.erase_tenant"


def erase_job_id(tenant_id: uuid.UUID) -> str:
    return f"erase:{tenant_id}"


class ConfirmationMismatch(AppError):
    status_code = 422
    code = "confirmation_mismatch"


class WrongPassword(AppError):
    # 422, not 401: clients (the SPA's too) take a 401 as an expired session and sign
    # the user out, where a mistyped password should just be typed again.
    status_code = 422
    code = "invalid_password"


class TenantDeletionService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope

    async def request(self, body: TenantDeletion) -> TenantDeletionAccepted:
        """Close the tenant now and queue its erasure. Only a signed-in owner can: API keys
        never carry the owner role, and the password is checked again."""
        if self.scope.user_id is None:
            raise Forbidden("Only a signed-in owner can delete the workspace.")
        users = UserRepository(self.session)
        user = await users.get(self.scope.user_id)
        tenant = await users.get_tenant(self.scope.tenant_id)
        if user is None or tenant is None:
            raise Unauthorized("Access token is invalid or expired.", code="invalid_token")
        if body.confirm != tenant.name:
            raise ConfirmationMismatch(
                "confirm: type the workspace's name exactly as it is shown to delete it."
            )
        if not verify_password(body.password, user.password_hash):
            raise WrongPassword("password: this is not your password.")
        now = datetime.now(UTC)
        if tenant.deletion_requested_at is None:
            tenant.deletion_requested_at = now
        await record(
            self.session,
            self.scope,
            AuditAction.TENANT_DELETION_REQUESTED,
            target=("tenant", tenant.id, tenant.name),
        )
        for member in await MemberIds(self.session, self.scope).all():
            after_commit(self.session, _disconnect(member))
        jobs.enqueue_job(self.session, ERASE_JOB, str(tenant.id), job_id=erase_job_id(tenant.id))
        await self.session.flush()
        return TenantDeletionAccepted(
            tenant_id=tenant.id, deletion_requested_at=tenant.deletion_requested_at
        )


def _disconnect(user_id: uuid.UUID) -> AfterCommit:
    async def callback() -> None:
        await events.disconnect_user(user_id)

    return callback
