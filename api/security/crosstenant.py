"""The few reads an authenticated request must make across tenants, under row-level security.

Each is a SECURITY DEFINER function created by migration 0011: it sees every tenant's rows
but answers only "here" (the caller's tenant), "elsewhere" (another tenant) or nothing,
never a row or another tenant's id. "Here" is the transaction's tenant when row-level
security is on (it cannot be spoofed from an argument), else the tenant passed in.

- `channel_connected`: is this page / phone number live in a workspace (connect flow:
  pages and numbers "connected elsewhere" are shown and refused with 409).
- `email_in_use`: does this email belong to a member, or to someone in another workspace
  (invitations: one account per email across Parley).
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import ChannelKind

Where = Literal["here", "elsewhere"] | None


def _where(value: object) -> Where:
    if value == "here":
        return "here"
    if value == "elsewhere":
        return "elsewhere"
    return None


class CrossTenantChecks:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def channel_connected(
        self, kind: ChannelKind, external_id: str, tenant_id: uuid.UUID
    ) -> Where:
        """Where a page / number is live (not disconnected), relative to `tenant_id`."""
        value = await self.session.scalar(
            select(func.parley_channel_connected(kind.value, external_id, tenant_id))
        )
        return _where(value)

    async def email_in_use(self, email: str, tenant_id: uuid.UUID) -> Where:
        """Whose account has this email, relative to `tenant_id`."""
        value = await self.session.scalar(select(func.parley_email_in_use(email, tenant_id)))
        return _where(value)
