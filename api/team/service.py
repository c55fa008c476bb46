"""The members of a workspace: list, change a role, remove, transfer ownership.

The rules, all enforced here (the routes only name `team:manage` or `tenant:own`):
- only a caller with `tenant:own` grants or takes away the owner role or removes an owner;
- the last owner is never demoted or removed (409 `last_owner`);
- nobody changes their own role, except an owner stepping down while another owner stays;
- removing yourself is allowed (unless you are the last owner).
Role changes and removals apply at once: every request loads the user (and their role)
from the database, and the user's sockets are disconnected after the commit so they
reconnect with the new role (the realtime gateway keeps the role a socket connected with),
or, for a removed member, cannot reconnect at all.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.auth.permissions import Permission, allows
from api.db import after_commit
from api.errors import AppError, Conflict, Forbidden, NotFound
from api.events import disconnect_user, emit
from api.models import Role, User
from api.team.repository import MemberRepository
from api.team.schemas import MemberOut, OwnershipTransferred
from api.tenancy import TenantScope


class TeamService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.members = MemberRepository(session, scope)

    async def list_members(self) -> list[MemberOut]:
        """Every member of the caller's workspace, ordered by name (or email)."""
        return [MemberOut.model_validate(user) for user in await self.members.list_all()]

    async def change_role(self, user_id: uuid.UUID, role: Role) -> MemberOut:
        """Give a member another role (audited with from/to)."""
        owners = await self.members.lock_owners()  # first: see `MemberRepository.lock_owners`
        member = await self._get_for_update(user_id)
        if member.role is role:
            return MemberOut.model_validate(member)
        if Role.OWNER in (member.role, role):
            self._require_owner(owners, "grant or take away the owner role")
        if member.id == self.scope.user_id and member.role is not Role.OWNER:
            raise Forbidden("You cannot change your own role.", code="own_role")
        if member.role is Role.OWNER:
            self._ensure_other_owner(owners, member, "demoted")
        previous, member.role = member.role, role
        await record(
            self.session,
            self.scope,
            AuditAction.MEMBER_ROLE_CHANGED,
            target=("user", member.id, member.email),
            details={"from": previous.value, "to": role.value},
        )
        self._disconnect_after_commit(member.id)
        return MemberOut.model_validate(member)

    async def remove(self, user_id: uuid.UUID) -> None:
        """Delete the member: their tokens stop working at once, their sockets drop, and
        what they wrote stays (authorship and assignments become unset)."""
        owners = await self.members.lock_owners()
        member = await self._get_for_update(user_id)
        if member.role is Role.OWNER:
            self._require_owner(owners, "remove an owner")
            self._ensure_other_owner(owners, member, "removed")
        await record(
            self.session,
            self.scope,
            AuditAction.MEMBER_REMOVED,
            target=("user", member.id, member.email),
            details={"role": member.role.value, "self": member.id == self.scope.user_id},
        )
        # The entry first: removing yourself, it still names you (the label stays, the
        # user id is set to null with the row).
        await self.session.flush()
        await self.session.delete(member)
        await self.session.flush()
        self._disconnect_after_commit(member.id)

    async def transfer_ownership(self, user_id: uuid.UUID) -> OwnershipTransferred:
        """Make `user_id` an owner and the calling owner an admin, in one transaction."""
        if self.scope.user_id is None:
            raise Forbidden("Only a signed-in owner can transfer ownership.", code="owner_required")
        if user_id == self.scope.user_id:
            raise AppError(
                "Choose another member: you already own this workspace.",
                status_code=422,
                code="invalid_transfer",
            )
        owners = await self.members.lock_owners()
        self._require_owner(owners, "transfer ownership")
        caller = await self._get_for_update(self.scope.user_id)
        target = await self._get_for_update(user_id)
        previous = target.role
        target.role, caller.role = Role.OWNER, Role.ADMIN
        await record(
            self.session,
            self.scope,
            AuditAction.OWNERSHIP_TRANSFERRED,
            target=("user", target.id, target.email),
            details={"from": previous.value, "previous_owner": caller.email},
        )
        self._disconnect_after_commit(target.id)
        self._disconnect_after_commit(caller.id)
        return OwnershipTransferred(
            owner=MemberOut.model_validate(target),
            previous_owner=MemberOut.model_validate(caller),
        )

    async def _get_for_update(self, user_id: uuid.UUID) -> User:
        member = await self.members.get_for_update(user_id)
        if member is None:
            raise NotFound("Member not found.", code="member_not_found")
        return member

    def _require_owner(self, owners: list[User], action: str) -> None:
        """The caller's role allows it, and they are still an owner now that the owners are
        locked (not demoted by a request that committed since this one loaded the caller)."""
        still_owner = self.scope.user_id in {owner.id for owner in owners}
        if not allows(self.scope.role, Permission.TENANT_OWN) or not still_owner:
            raise Forbidden(f"Only an owner can {action}.", code="owner_required")

    @staticmethod
    def _ensure_other_owner(owners: list[User], member: User, outcome: str) -> None:
        if not any(owner.id != member.id for owner in owners):
            raise Conflict(
                f"The last owner cannot be {outcome}: make someone else an owner first.",
                code="last_owner",
            )

    def _disconnect_after_commit(self, user_id: uuid.UUID) -> None:
        """The member's sockets drop (they reconnect with their new role, or not at all),
        and every teammate's screen refreshes the team (pickers, the Team page)."""

        async def _disconnect() -> None:
            await disconnect_user(user_id)

        after_commit(self.session, _disconnect)
        emit_team_updated(self.session, self.scope.tenant_id, user_id)


def emit_team_updated(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """`team:updated {user_id}`: someone joined, changed role or left."""
    emit(session, tenant_id, "team:updated", {"user_id": str(user_id)})
