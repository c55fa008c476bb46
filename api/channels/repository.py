from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, ChannelKind, ChannelStatus
from api.tenancy import ScopedRepository


class ChannelRepository(ScopedRepository[Channel]):
    model = Channel

    async def list_all(self) -> list[Channel]:
        result = await self.session.execute(self.scoped().order_by(Channel.created_at, Channel.id))
        return list(result.scalars())

    async def clear_primary(self, kind: ChannelKind, except_id: uuid.UUID) -> list[Channel]:
        """Unset the primary flag on the tenant's other channels of `kind`; returns them."""
        result = await self.session.execute(
            update(Channel)
            .where(
                Channel.tenant_id == self.scope.tenant_id,
                Channel.kind == kind,
                Channel.id != except_id,
                Channel.is_primary.is_(True),
            )
            .values(is_primary=False)
            .returning(Channel)
            .execution_options(populate_existing=True)
        )
        return list(result.scalars())

    async def others_on_waba(self, channel: Channel) -> int:
        statement = self.scoped().where(
            Channel.waba_id == channel.waba_id,
            Channel.id != channel.id,
            Channel.status != ChannelStatus.DISCONNECTED,
        )
        return len((await self.session.execute(statement)).scalars().all())


class ChannelRouting:
    """Webhooks arrive without a tenant: they are routed by the page id or phone number id,
    which belongs to at most one tenant. The only unscoped channel lookup."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_waba(self, waba_id: str) -> list[Channel]:
        statement = select(Channel).where(
            Channel.waba_id == waba_id, Channel.status != ChannelStatus.DISCONNECTED
        )
        return list((await self.session.execute(statement)).scalars())

    async def find(self, kind: ChannelKind, external_id: str) -> Channel | None:
        statement = select(Channel).where(
            Channel.kind == kind,
            Channel.external_id == external_id,
            Channel.status != ChannelStatus.DISCONNECTED,
        )
        return (await self.session.execute(statement)).scalar_one_or_none()
