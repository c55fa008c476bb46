from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, ChannelKind
from api.tenancy import ScopedRepository


class ChannelRepository(ScopedRepository[Channel]):
    model = Channel

    async def list(self) -> list[Channel]:
        result = await self.session.execute(self.scoped().order_by(Channel.created_at, Channel.id))
        return list(result.scalars())


class ChannelRouting:
    """Webhooks arrive without a tenant: they are routed by the page id or phone number id,
    which belongs to at most one tenant. The only unscoped channel lookup."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, kind: ChannelKind, external_id: str) -> Channel | None:
        statement = select(Channel).where(Channel.kind == kind, Channel.external_id == external_id)
        return (await self.session.execute(statement)).scalar_one_or_none()
