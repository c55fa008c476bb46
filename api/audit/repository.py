"""The tenant's audit log, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from api.models import AuditLog
from api.pagination import beyond
from api.tenancy import ScopedRepository


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """`action` ending in "." matches every action of that group (`team.`)."""

    action: str | None = None
    actor_user_id: uuid.UUID | None = None
    actor_type: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditLogRepository(ScopedRepository[AuditLog]):
    model = AuditLog

    async def page(
        self, filters: AuditFilters, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[AuditLog]:
        statement = self.scoped()
        if filters.action is not None:
            statement = statement.where(
                AuditLog.action.startswith(filters.action, autoescape=True)
                if filters.action.endswith(".")
                else AuditLog.action == filters.action
            )
        if filters.actor_user_id is not None:
            statement = statement.where(AuditLog.actor_user_id == filters.actor_user_id)
        if filters.actor_type is not None:
            statement = statement.where(AuditLog.actor_type == filters.actor_type)
        if filters.target_type is not None:
            statement = statement.where(AuditLog.target_type == filters.target_type)
        if filters.target_id is not None:
            statement = statement.where(AuditLog.target_id == filters.target_id)
        if filters.since is not None:
            statement = statement.where(AuditLog.created_at >= filters.since)
        if filters.until is not None:
            statement = statement.where(AuditLog.created_at < filters.until)
        if after is not None:
            statement = statement.where(
                beyond(AuditLog.created_at, AuditLog.id, after, descending=True)
            )
        statement = statement.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)
        return list((await self.session.execute(statement)).scalars())
