"""Row-level security: an authenticated request's transaction runs as the `parley_tenant`
database role with the caller's tenant set, so PostgreSQL itself hides other tenants' rows.

This is defence in depth behind the repositories' own scoping: a query that forgot its
tenant filter sees (and can change) only the caller's rows. Migration 0011 creates the role
and a policy on every table with a `tenant_id` column:

    USING (tenant_id = NULLIF(current_setting('parley.tenant_id', true), '')::uuid)

Both settings are transaction-local (`set_config(..., true)`, i.e. `SET LOCAL`), so they end
with the request's commit or rollback and a pooled connection never carries them on.

Reads that must legitimately cross tenants inside an authenticated request go through
SECURITY DEFINER functions created by the same migration (see `CrossTenantChecks`), each
answering one narrow question.
"""

from __future__ import annotations

import uuid

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

TENANT_ROLE = "parley_tenant"
TENANT_SETTING = "parley.tenant_id"
_APPLIED = "parley.rls_tenant"

_ENTER = text(
    "SELECT set_config('role', :role, true), set_config('parley.tenant_id', :tenant_id, true)"
)
# `role` 'none' is the session user again (what RESET ROLE does).
_LEAVE = text("SELECT set_config('role', 'none', true), set_config('parley.tenant_id', '', true)")


async def enter_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """From here to the end of the session's transaction, run as the tenant role for
    `tenant_id` (one round trip)."""
    await session.execute(_ENTER, {"role": TENANT_ROLE, "tenant_id": str(tenant_id)})
    session.info[_APPLIED] = tenant_id


def tenant_of(session: AsyncSession) -> uuid.UUID | None:
    """The tenant the session's transaction is confined to, if any."""
    value = session.info.get(_APPLIED)
    return value if isinstance(value, uuid.UUID) else None


@event.listens_for(Session, "before_commit")
def _leave_before_commit(session: Session) -> None:
    """When the unit of work is a savepoint inside a longer transaction (a caller that
    wraps it, as the tests do), its commit only releases the savepoint and `SET LOCAL`
    would outlive it: switch back explicitly. A top-level commit ends both by itself."""
    if session.info.pop(_APPLIED, None) is None:
        return
    connection = session.connection()
    if connection.in_nested_transaction():
        connection.execute(_LEAVE)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    # The session's own transaction ended (a rollback undid the settings with it).
    if transaction.parent is None:
        session.info.pop(_APPLIED, None)
