"""Fan-out: realtime events become delivery rows in the transaction that caused them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import db as api_db
from api import events
from api.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from api.outgoing import fanout, store
from tests.api.outgoing.conftest import create_endpoint
from tests.helpers import create_account

MESSAGE = {"message": {"id": "m1", "text": "Hello", "direction": "inbound"}}


async def deliveries(session: AsyncSession) -> list[WebhookDelivery]:
    result = await session.execute(
        select(WebhookDelivery).order_by(WebhookDelivery.endpoint_id),
        execution_options={"populate_existing": True},
    )
    return list(result.scalars())


async def test_each_subscribed_enabled_endpoint_gets_one_delivery_with_its_job(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account = await create_account(client)
    other = await create_account(client, "Other Co")
    wants = await create_endpoint(client, account, "https://a.example.com/", ["message.created"])
    also = await create_endpoint(
        client, account, "https://b.example.com/", ["conversation.updated", "message.created"]
    )
    await create_endpoint(client, account, "https://c.example.com/", ["message.updated"])
    await create_endpoint(
        client, account, "https://d.example.com/", ["message.created"], enabled=False
    )
    await create_endpoint(client, other, "https://e.example.com/", ["message.created"])

    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    events.emit(session, account.tenant_id, "typing:start", {"conversation_id": "c1"})
    await api_db.commit(session)

    rows = await deliveries(session)
    assert {str(r.endpoint_id) for r in rows} == {wants["id"], also["id"]}
    first, second = rows
    assert first.event_id == second.event_id
    assert first.payload == second.payload
    payload = first.payload
    assert payload["type"] == "message.created" and payload["id"] == str(first.event_id)
    assert payload["tenant_id"] == str(account.tenant_id)
    assert payload["data"] == MESSAGE
    for row in rows:
        assert row.tenant_id == account.tenant_id and row.event_type == "message.created"
        assert row.status is WebhookDeliveryStatus.PENDING and row.attempts == 0
        assert row.next_attempt_at is not None
        assert await redis.exists(f"arq:job:outgoing:{row.id}")


async def test_a_rolled_back_change_has_no_deliveries(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    account = await create_account(client)
    await create_endpoint(client, account, "https://a.example.com/", ["conversation.updated"])

    with pytest.raises(RuntimeError):
        async with api_db.unit_of_work() as work:
            events.emit(work, account.tenant_id, "conversation:updated", {"conversation": {}})
            raise RuntimeError("the change failed")
    # The same session, used again after a rollback, does not carry the old event along.
    async with sessionmaker() as reused:
        await reused.execute(select(WebhookEndpoint.id))  # the change's work (a transaction)
        events.emit(reused, account.tenant_id, "conversation:updated", {"conversation": {}})
        await reused.rollback()
        await api_db.commit(reused)

    assert await deliveries(session) == []


async def test_an_event_each_in_several_commits_of_one_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    await create_endpoint(
        client, account, "https://a.example.com/", ["message.created", "message.updated"]
    )

    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)
    events.emit(session, account.tenant_id, "message:updated", MESSAGE)
    await api_db.commit(session)

    assert sorted(r.event_type for r in await deliveries(session)) == [
        "message.created",
        "message.updated",
    ]


async def test_a_tenant_without_endpoints_is_looked_up_once_per_cache_period(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await create_account(client)
    lookups: list[uuid.UUID] = []
    real = store.subscribed_event_types

    def counting(sync_session: Any, tenant_id: uuid.UUID) -> frozenset[str]:
        lookups.append(tenant_id)
        return real(sync_session, tenant_id)

    monkeypatch.setattr(store, "subscribed_event_types", counting)

    for _ in range(5):
        events.emit(session, account.tenant_id, "message:new", MESSAGE)
        await api_db.commit(session)

    assert lookups == [account.tenant_id]
    assert await deliveries(session) == []


async def test_an_endpoint_saved_in_this_process_gets_the_next_event_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)  # cached: nobody subscribes

    await create_endpoint(client, account, "https://a.example.com/", ["message.created"])
    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)

    assert len(await deliveries(session)) == 1


async def test_an_endpoint_saved_elsewhere_starts_within_the_cache_period(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await create_account(client)
    clock = [1000.0]
    monkeypatch.setattr(fanout.subscriptions, "clock", lambda: clock[0])
    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)  # cached for 5 s: nobody subscribes
    created = await create_endpoint(client, account, "https://a.example.com/")
    # ... as another process would see it: its cache entry was not forgotten.
    fanout.subscriptions.put(account.tenant_id, frozenset(), 5.0)

    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)
    assert await deliveries(session) == []
    clock[0] += 5.1
    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)

    assert [str(r.endpoint_id) for r in await deliveries(session)] == [created["id"]]


async def test_a_stale_cache_never_writes_to_a_removed_or_disabled_endpoint(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    gone = await create_endpoint(client, account, "https://a.example.com/")
    off = await create_endpoint(client, account, "https://b.example.com/")
    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)
    assert len(await deliveries(session)) == 2  # the cache now says message.created
    # Removed and disabled by another process (this one's cache is not told).
    removed = await session.get(WebhookEndpoint, uuid.UUID(gone["id"]))
    disabled = await session.get(WebhookEndpoint, uuid.UUID(off["id"]))
    assert removed is not None and disabled is not None
    await session.delete(removed)
    disabled.enabled = False
    await session.commit()

    events.emit(session, account.tenant_id, "message:new", MESSAGE)
    await api_db.commit(session)  # no foreign key error: the INSERT picks live endpoints

    rows = await deliveries(session)
    assert [str(r.endpoint_id) for r in rows] == [off["id"]]  # only the earlier one
