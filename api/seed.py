"""The development seed: tenant "Demo Co", its owner, and a connected simulated Page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.passwords import hash_password
from api.crypto import SecretBox
from api.models import Channel, ChannelKind, Role, Tenant, User
from api.vault import seal_token

DEMO_TENANT_NAME = "Demo Co"


@dataclass(frozen=True, slots=True)
class DemoSeed:
    email: str
    password: str
    page_id: str
    page_name: str
    page_token: str


async def seed_demo(session: AsyncSession, box: SecretBox, seed: DemoSeed) -> Channel:
    """Create the demo tenant, owner and page if missing. Safe to run every start."""
    owner = (
        await session.execute(select(User).where(User.email == seed.email))
    ).scalar_one_or_none()
    if owner is None:
        tenant = Tenant(name=DEMO_TENANT_NAME)
        session.add(tenant)
        await session.flush()
        owner = User(
            tenant_id=tenant.id,
            email=seed.email,
            password_hash=hash_password(seed.password),
            role=Role.OWNER,
        )
        session.add(owner)
        await session.flush()
    channel = (
        await session.execute(
            select(Channel).where(
                Channel.kind == ChannelKind.MESSENGER, Channel.external_id == seed.page_id
            )
        )
    ).scalar_one_or_none()
    if channel is None:
        channel = Channel(
            tenant_id=owner.tenant_id,
            kind=ChannelKind.MESSENGER,
            external_id=seed.page_id,
            name=seed.page_name,
        )
        session.add(channel)
    seal_token(box, channel, seed.page_token)
    await session.flush()
    return channel
