"""Connecting a WhatsApp number queues a sync of its WABA's templates for the picker."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.meta.fake_meta import FakeMeta
from tests.api.meta.flows import connected_number
from tests.helpers import create_account


async def test_connecting_a_number_queues_its_templates_sync(
    client: httpx.AsyncClient, meta: FakeMeta, redis: Any
) -> None:
    account = await create_account(client)
    user = meta.users[0]
    channel = await connected_number(client, account, user)

    queued = [k.decode() for k in await redis.zrange("parley:queue", 0, -1)]
    assert f"templates:{account.tenant_id}:{channel['waba_id']}" in queued
