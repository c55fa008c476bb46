"""Invitations found by their token (the token names its tenant: this read comes before any
tenant is known) or by id (the email job carries the id; the tenant comes from the row)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Invitation


class InvitationLookup:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_token_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> Invitation | None:
        statement = select(Invitation).where(Invitation.token_hash == token_hash)
        if for_update:  # accepting: one of two concurrent accepts waits, then sees it used
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get(self, invitation_id: uuid.UUID) -> Invitation | None:
        return await self.session.get(Invitation, invitation_id)
