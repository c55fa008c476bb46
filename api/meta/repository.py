from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Channel, ChannelKind, MetaAccount, OAuthState, WhatsAppBusinessAccount
from api.tenancy import ScopedRepository


class MetaAccountRepository(ScopedRepository[MetaAccount]):
    model = MetaAccount

    async def by_fb_user(self, fb_user_id: str) -> MetaAccount | None:
        statement = self.scoped().where(MetaAccount.fb_user_id == fb_user_id)
        return (await self.session.execute(statement)).scalar_one_or_none()


class WabaRepository(ScopedRepository[WhatsAppBusinessAccount]):
    model = WhatsAppBusinessAccount

    async def by_waba_id(self, waba_id: str) -> WhatsAppBusinessAccount | None:
        statement = self.scoped().where(WhatsAppBusinessAccount.waba_id == waba_id)
        return (await self.session.execute(statement)).scalar_one_or_none()


class TenantChannels(ScopedRepository[Channel]):
    """The tenant's own channel rows for an external id (live or disconnected)."""

    model = Channel

    async def latest(self, kind: ChannelKind, external_id: str) -> Channel | None:
        statement = (
            self.scoped()
            .where(Channel.kind == kind, Channel.external_id == external_id)
            .order_by(Channel.updated_at.desc())
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()


class OAuthStateRepository:
    """States are looked up by hash before a tenant is known (the browser returns from Meta)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_for_update(self, state_hash: str) -> OAuthState | None:
        statement = select(OAuthState).where(OAuthState.state_hash == state_hash).with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()
