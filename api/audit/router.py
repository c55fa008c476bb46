from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.audit.repository import AuditFilters
from api.audit.schemas import ActorType, AuditLogOut
from api.audit.service import AuditLogService
from api.auth.deps import AuditScope
from api.deps import SessionDep
from api.pagination import MAX_LIMIT, Page

router = APIRouter(prefix="/audit-logs", tags=["audit log"])

ACTION_PATTERN = r"^[a-z_]+(\.[a-z_]*)?$"


@router.get("")
async def list_audit_logs(
    scope: AuditScope,
    session: SessionDep,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=ACTION_PATTERN,
            description="One action (`team.role_changed`) or a group ending in a dot (`team.`)",
        ),
    ] = None,
    actor_user_id: uuid.UUID | None = None,
    actor_type: ActorType | None = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[
        datetime | None, Query(description="ISO 8601; entries at or after (UTC if no offset)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="ISO 8601; entries before (UTC if no offset)")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> Page[AuditLogOut]:
    """Who did what to what, when and from where: newest first (admins)."""
    filters = AuditFilters(
        action=action,
        actor_user_id=actor_user_id,
        actor_type=actor_type,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
    )
    return await AuditLogService(session, scope).entries(filters, cursor=cursor, limit=limit)


@router.get("/actions")
async def list_audit_actions(scope: AuditScope) -> list[str]:
    """Every action name the log can hold (for a filter menu)."""
    return AuditLogService.actions()
