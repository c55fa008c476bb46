"""The demo tenant `make dev` creates: complete on the first run, unchanged by later runs."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import get_secret_box
from api.models import Channel, SavedReply, User
from api.seed import DEMO_SAVED_REPLIES, DemoSeed, seed_demo

SEED = DemoSeed(
    email="seed-owner@example.com",
    password="seed-password-123",
    page_id="104000000000777",
    page_name="Seed Page",
    page_token="seed-page-token",
    wa_number_id="109000000000777",
    wa_waba_id="110000000000777",
    wa_display="+1 555-010-0777",
    wa_name="Seed WhatsApp",
    wa_token="seed-wa-token",
)


async def test_the_demo_tenant_is_seeded_once_with_its_saved_replies(session: AsyncSession) -> None:
    first = await seed_demo(session, get_secret_box(), SEED)
    await session.flush()
    again = await seed_demo(session, get_secret_box(), SEED)
    await session.flush()

    assert [c.id for c in first] == [c.id for c in again]
    owner = (await session.execute(select(User).where(User.email == SEED.email))).scalar_one()
    assert owner.name and owner.tenant_id == first[0].tenant_id
    shortcuts = (
        await session.execute(
            select(SavedReply.shortcut).where(SavedReply.tenant_id == owner.tenant_id)
        )
    ).scalars()
    assert sorted(shortcuts) == sorted(s for s, _, _ in DEMO_SAVED_REPLIES)
    channels = await session.scalar(
        select(func.count()).select_from(Channel).where(Channel.tenant_id == owner.tenant_id)
    )
    assert channels == 2
