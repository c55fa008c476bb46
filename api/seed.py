"""The development seed: tenant "Demo Co", its owner, a simulated Page and WhatsApp number."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.passwords import hash_password
from api.crypto import SecretBox
from api.models import Channel, ChannelKind, Role, SavedReply, Tenant, User
from api.vault import seal_token

DEMO_TENANT_NAME = "Demo Co"


@dataclass(frozen=True, slots=True)
class DemoSeed:
    email: str
    password: str
    page_id: str
    page_name: str
    page_token: str
    wa_number_id: str = "109000000000001"
    wa_waba_id: str = "110000000000001"
    wa_display: str = "+1 555-0100"
    wa_name: str = "Demo Co WhatsApp"
    wa_token: str = "dev-demo-wa-token"  # noqa: S105 - development seed


DEMO_OWNER_NAME = "Dana Demo"
# A new demo tenant starts with a few saved replies, so `/` in the composer shows something.
DEMO_SAVED_REPLIES = (
    ("hi", "Greeting", "Hi! Thanks for reaching out. How can I help you today?"),
    ("shipping", "Shipping times", "Orders ship within 1-2 business days; delivery takes 3-5."),
    ("thanks", "Closing", "Glad I could help! Is there anything else I can do for you?"),
)


async def seed_demo(session: AsyncSession, box: SecretBox, seed: DemoSeed) -> list[Channel]:
    """Create the demo tenant, owner, Page and WhatsApp number if missing. Safe to run every start."""
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
            name=DEMO_OWNER_NAME,
            role=Role.OWNER,
        )
        session.add(owner)
        await session.flush()
        session.add_all(
            SavedReply(
                tenant_id=tenant.id,
                shortcut=shortcut,
                title=title,
                text=text,
                created_by_user_id=owner.id,
            )
            for shortcut, title, text in DEMO_SAVED_REPLIES
        )
    page = await _channel(
        session, owner.tenant_id, ChannelKind.MESSENGER, seed.page_id, seed.page_name
    )
    seal_token(box, page, seed.page_token)
    number = await _channel(
        session, owner.tenant_id, ChannelKind.WHATSAPP, seed.wa_number_id, seed.wa_name
    )
    number.waba_id, number.display_phone_number, number.is_primary = (
        seed.wa_waba_id,
        seed.wa_display,
        True,
    )
    seal_token(box, number, seed.wa_token)
    await session.flush()
    return [page, number]


async def _channel(
    session: AsyncSession, tenant_id: uuid.UUID, kind: ChannelKind, external_id: str, name: str
) -> Channel:
    found = await session.execute(
        select(Channel).where(Channel.kind == kind, Channel.external_id == external_id)
    )
    channel = found.scalars().first()
    if channel is None:
        channel = Channel(tenant_id=tenant_id, kind=kind, external_id=external_id, name=name)
        session.add(channel)
    return channel
