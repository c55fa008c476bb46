"""The connect-channels flows driven through the HTTP API, for tests."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.passwords import hash_password
from api.config import get_settings
from api.models import Role, User
from tests.api.meta.fake_meta import FakeUser
from tests.helpers import Account

AGENT_PASSWORD = "agent horse battery staple"


def public_url(path: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}{path}"


def split(url: str) -> tuple[str, dict[str, str]]:
    """`http://host/path?a=1` → ("http://host/path", {"a": "1"}); one value per key."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


async def create_agent(
    client: httpx.AsyncClient, session: AsyncSession, tenant_id: uuid.UUID
) -> dict[str, str]:
    """An agent of the tenant (no API creates one yet), signed in. Returns auth headers."""
    email = f"agent-{uuid.uuid4().hex[:8]}@example.com"
    session.add(
        User(
            tenant_id=tenant_id,
            email=email,
            password_hash=hash_password(AGENT_PASSWORD),
            name="Agent",
            role=Role.AGENT,
        )
    )
    await session.commit()
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": AGENT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def start_login(
    client: httpx.AsyncClient, account: Account, product: str = "messenger"
) -> str:
    """Start Facebook Login; returns the `state` from the authorize URL."""
    response = await client.get(
        "/api/meta/login",
        params={"product": product},
        headers={**account.headers, "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    return split(response.json()["authorize_url"])[1]["state"]


async def callback(client: httpx.AsyncClient, **params: str) -> tuple[str, dict[str, str]]:
    """Facebook sends the browser back; returns where Parley redirects it (path, query)."""
    response = await client.get("/api/meta/callback", params=params)
    assert response.status_code == 302, response.text
    return split(response.headers["location"])


async def messenger_login(
    client: httpx.AsyncClient, account: Account, user: FakeUser, product: str = "messenger"
) -> uuid.UUID:
    """The whole Facebook Login; returns the stored meta account's id."""
    state = await start_login(client, account, product)
    target, query = await callback(client, code=user.code, state=state)
    assert target == public_url(f"/channels/connect/{product}"), query
    return uuid.UUID(query["account"])


async def connect_pages(
    client: httpx.AsyncClient,
    account: Account,
    meta_account_id: uuid.UUID,
    page_ids: list[str],
    *,
    import_history: bool = False,
) -> httpx.Response:
    return await client.post(
        f"/api/meta/accounts/{meta_account_id}/pages/connect",
        json={"page_ids": page_ids, "import_history": import_history},
        headers=account.headers,
    )


async def connected_page(
    client: httpx.AsyncClient, account: Account, user: FakeUser, page_index: int = 0
) -> dict[str, Any]:
    """Log in and connect one of the user's Pages; returns the ChannelOut."""
    meta_account_id = await messenger_login(client, account, user)
    response = await connect_pages(client, account, meta_account_id, [user.pages[page_index].id])
    assert response.status_code == 201, response.text
    channel: dict[str, Any] = response.json()["items"][0]
    return channel


async def whatsapp_login(
    client: httpx.AsyncClient, account: Account, **body: str
) -> httpx.Response:
    return await client.post("/api/meta/whatsapp/login", json=body, headers=account.headers)


async def connect_number(
    client: httpx.AsyncClient,
    account: Account,
    meta_account_id: uuid.UUID | str,
    waba_id: str,
    phone_number_id: str,
    *,
    make_primary: bool = False,
) -> httpx.Response:
    return await client.post(
        f"/api/meta/accounts/{meta_account_id}/whatsapp/connect",
        json={"waba_id": waba_id, "phone_number_id": phone_number_id, "make_primary": make_primary},
        headers=account.headers,
    )


async def connected_number(
    client: httpx.AsyncClient, account: Account, user: FakeUser, *, make_primary: bool = False
) -> dict[str, Any]:
    """Log in with the JS SDK token and connect the owned WABA's first number."""
    login = await whatsapp_login(client, account, access_token=user.short_token)
    assert login.status_code == 201, login.text
    waba = user.businesses[0].owned[0]
    response = await connect_number(
        client, account, login.json()["id"], waba.id, waba.numbers[0].id, make_primary=make_primary
    )
    assert response.status_code == 201, response.text
    channel: dict[str, Any] = response.json()
    return channel
