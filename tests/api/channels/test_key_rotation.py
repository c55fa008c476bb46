"""Rotating the token encryption key: every sealed token re-sealed under the active key, so
the old key can be removed."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import EncryptionSettings
from api.crypto import DecryptionError, SecretBox
from api.models import Channel, ChannelKind, ChannelStatus, MetaAccount
from api.vault import open_token, rotate, seal_token
from tests.helpers import create_account

K1, K2 = os.urandom(32), os.urandom(32)


def box(active: str, **keys: bytes) -> SecretBox:
    return SecretBox(EncryptionSettings(keys=keys, active_key_id=active))


async def _seed(session: AsyncSession, tenant_id: uuid.UUID, sealer: SecretBox) -> dict[str, str]:
    """Two channels and a Facebook login sealed under `sealer`, and a disconnected channel
    without a token. Returns {row key: token}."""
    page = Channel(
        tenant_id=tenant_id,
        kind=ChannelKind.MESSENGER,
        external_id="104000000000001",
        name="Support",
    )
    number = Channel(
        tenant_id=tenant_id, kind=ChannelKind.WHATSAPP, external_id="109000000000001", name="WA"
    )
    gone = Channel(
        tenant_id=tenant_id,
        kind=ChannelKind.MESSENGER,
        external_id="104000000000002",
        name="Old",
        status=ChannelStatus.DISCONNECTED,
    )
    login = MetaAccount(tenant_id=tenant_id, fb_user_id="10150000000000001")
    seal_token(sealer, page, "EAApageROTATEme")
    seal_token(sealer, number, "EAAwabaROTATEme")
    seal_token(sealer, login, "EAAuserROTATEme")
    session.add_all([page, number, gone, login])
    await session.commit()
    return {"page": "EAApageROTATEme", "number": "EAAwabaROTATEme", "login": "EAAuserROTATEme"}


async def _rows(session: AsyncSession) -> dict[str, Channel | MetaAccount]:
    channels = (
        await session.execute(select(Channel).execution_options(populate_existing=True))
    ).scalars()
    by_external = {c.external_id: c for c in channels}
    login = (
        await session.execute(select(MetaAccount).execution_options(populate_existing=True))
    ).scalar_one()
    return {
        "page": by_external["104000000000001"],
        "number": by_external["109000000000001"],
        "gone": by_external["104000000000002"],
        "login": login,
    }


async def test_rotate_reseals_every_token_so_the_old_key_can_go(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    tokens = await _seed(session, account.tenant_id, box("k1", k1=K1))
    before = {name: row.token_ciphertext for name, row in (await _rows(session)).items()}

    resealed = await rotate(session, box("k2", k1=K1, k2=K2))
    await session.commit()

    assert resealed == 3
    rows = await _rows(session)
    only_k2 = box("k2", k2=K2)
    for name, token in tokens.items():
        row = rows[name]
        assert row.token_key_id == "k2"
        assert row.token_ciphertext != before[name]
        assert open_token(only_k2, row) == token
        with pytest.raises(DecryptionError):
            open_token(box("k1", k1=K1), row)
    assert rows["gone"].token_ciphertext is None and rows["gone"].token_key_id is None

    assert await rotate(session, box("k2", k1=K1, k2=K2)) == 0
    assert await rotate(session, only_k2) == 0


async def test_rotate_without_the_old_key_fails_and_keeps_the_tokens(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    tokens = await _seed(session, account.tenant_id, box("k1", k1=K1))

    with pytest.raises(DecryptionError):
        await rotate(session, box("k2", k2=K2))
    await session.rollback()

    rows = await _rows(session)
    for name, token in tokens.items():
        assert rows[name].token_key_id == "k1"
        assert open_token(box("k1", k1=K1), rows[name]) == token


async def test_a_sealed_token_only_opens_on_its_own_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    sealer = box("k1", k1=K1)
    await _seed(session, account.tenant_id, sealer)
    rows = await _rows(session)
    page, gone = rows["page"], rows["gone"]

    gone.token_key_id, gone.token_ciphertext = page.token_key_id, page.token_ciphertext

    with pytest.raises(DecryptionError):
        open_token(sealer, gone)
