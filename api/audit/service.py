"""Reading the audit log (writing is `api.audit.log.record`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction
from api.audit.repository import AuditFilters, AuditLogRepository
from api.audit.schemas import AuditLogOut
from api.errors import AppError
from api.pagination import Page, decode_cursor, encode_cursor
from api.tenancy import TenantScope


def _aware(value: datetime | None) -> datetime | None:
    """A datetime without an offset is read as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class AuditLogService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.log = AuditLogRepository(session, scope)

    async def entries(
        self, filters: AuditFilters, *, cursor: str | None, limit: int
    ) -> Page[AuditLogOut]:
        """Newest first, filtered; `next_cursor` continues with older entries."""
        filters = self._checked(filters)
        after = decode_cursor(cursor) if cursor else None
        rows = await self.log.page(filters, after=after, limit=limit + 1)
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
        return Page(items=[AuditLogOut.of(row) for row in page], next_cursor=next_cursor)

    @staticmethod
    def actions() -> list[str]:
        """Every action the log can hold, grouped by area (for the filter menu)."""
        return [action.value for action in AuditAction]

    @staticmethod
    def _checked(filters: AuditFilters) -> AuditFilters:
        since, until = _aware(filters.since), _aware(filters.until)
        if since is not None and until is not None and since >= until:
            raise AppError(
                "`since` must be earlier than `until`.", status_code=422, code="invalid_range"
            )
        return replace(filters, since=since, until=until)
