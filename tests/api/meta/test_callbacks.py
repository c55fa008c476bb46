"""Meta's deauthorize and data-deletion callbacks, signed like Meta signs them (§6)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import (
    Channel,
    ChannelStatus,
    Conversation,
    DataDeletionRequest,
    MetaAccount,
    MetaAccountStatus,
)
from tests.api.inbox.test_router import customer_writes
from tests.api.meta.fake_meta import FakeMeta, default_user
from tests.api.meta.flows import connected_number, connected_page, public_url
from tests.api.meta.signing import b64url, meta_payload, signed_request, signed_request_raw
from tests.helpers import Account, create_account


async def _accounts(session: AsyncSession) -> list[MetaAccount]:
    result = await session.execute(select(MetaAccount).execution_options(populate_existing=True))
    return list(result.scalars())


async def _channels(session: AsyncSession, tenant_id: uuid.UUID) -> list[Channel]:
    result = await session.execute(
        select(Channel)
        .where(Channel.tenant_id == tenant_id)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def _three_workspaces(
    client: httpx.AsyncClient, meta: FakeMeta
) -> tuple[Account, Account, Account]:
    """Ada connects a page and a number for Acme and a page for Globex; Bob connects a page
    for Initech."""
    ada = meta.users[0]
    bob = meta.add_user(default_user("bob", id_base=500))
    acme, globex, initech = (
        await create_account(client, "Acme"),
        await create_account(client, "Globex"),
        await create_account(client, "Initech"),
    )
    await connected_page(client, acme, ada, page_index=0)
    await connected_number(client, acme, ada)
    await connected_page(client, globex, ada, page_index=1)
    await connected_page(client, initech, bob)
    return acme, globex, initech


# --- deauthorize -----------------------------------------------------------------


async def test_deauthorize_revokes_the_users_logins_and_flags_their_channels(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    acme, globex, initech = await _three_workspaces(client, meta)
    ada = meta.users[0]

    response = await client.post(
        "/api/meta/deauthorize", data={"signed_request": signed_request(meta_payload(ada.id))}
    )

    assert response.status_code == 200
    assert response.json() == {"channels_affected": 3}
    accounts = {a.tenant_id: a for a in await _accounts(session)}
    for tenant in (acme.tenant_id, globex.tenant_id):
        assert accounts[tenant].status is MetaAccountStatus.REVOKED
        assert accounts[tenant].token_ciphertext is None
        assert accounts[tenant].token_key_id is None
        assert {c.status for c in await _channels(session, tenant)} == {ChannelStatus.NEEDS_REAUTH}
    assert accounts[initech.tenant_id].status is MetaAccountStatus.ACTIVE
    assert accounts[initech.tenant_id].token_ciphertext is not None
    assert {c.status for c in await _channels(session, initech.tenant_id)} == {ChannelStatus.ACTIVE}
    listed = (await client.get("/api/channels", headers=acme.headers)).json()["items"]
    assert {c["health"] for c in listed} == {"needs_reauth"}
    # The revoked login can no longer be used to pick pages.
    revoked = accounts[acme.tenant_id].id
    pages = await client.get(f"/api/meta/accounts/{revoked}/pages", headers=acme.headers)
    assert pages.status_code == 404


async def test_deauthorize_for_an_unknown_user_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    account = await create_account(client)
    await connected_page(client, account, meta.users[0])

    response = await client.post(
        "/api/meta/deauthorize", data={"signed_request": signed_request(meta_payload("42"))}
    )

    assert response.json() == {"channels_affected": 0}
    (stored,) = await _accounts(session)
    assert stored.status is MetaAccountStatus.ACTIVE


def _forged(case: str, user_id: str) -> str:
    good = signed_request(meta_payload(user_id))
    sig, payload = good.split(".")
    forged: dict[str, Callable[[], str]] = {
        "wrong secret": lambda: signed_request(meta_payload(user_id), secret="not-the-secret"),
        "tampered payload": lambda: f"{sig}.{b64url(json.dumps(meta_payload('1')).encode())}",
        "signature of another payload": lambda: (
            f"{signed_request(meta_payload('1')).split('.')[0]}.{payload}"
        ),
        "no dot": lambda: sig + payload,
        "three parts": lambda: f"{good}.{payload}",
        "empty": lambda: "",
        "payload not base64 json": lambda: f"{sig}.bm90IGpzb24",
        "payload not utf-8": lambda: signed_request_raw(b"\xff\xfe{"),
        "sha1": lambda: signed_request(meta_payload(user_id, algorithm="HMAC-SHA1")),
        "no algorithm": lambda: signed_request({"user_id": user_id}),
        "null algorithm": lambda: signed_request(meta_payload(user_id, algorithm=None)),
        "numeric algorithm": lambda: signed_request(meta_payload(user_id, algorithm=256)),
        "no user": lambda: signed_request({"algorithm": "HMAC-SHA256"}),
        "a json list": lambda: signed_request([user_id]),
    }
    return forged[case]()


FORGERIES = [
    "wrong secret",
    "tampered payload",
    "signature of another payload",
    "no dot",
    "three parts",
    "empty",
    "payload not base64 json",
    "payload not utf-8",
    "sha1",
    "no algorithm",
    "null algorithm",
    "numeric algorithm",
    "no user",
    "a json list",
]


@pytest.mark.parametrize("url", ["/api/meta/deauthorize", "/api/meta/data-deletion"])
@pytest.mark.parametrize("case", FORGERIES)
async def test_a_bad_signed_request_is_400_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta, url: str, case: str
) -> None:
    account = await create_account(client)
    await connected_page(client, account, meta.users[0])

    response = await client.post(url, data={"signed_request": _forged(case, meta.users[0].id)})

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_signed_request"
    (stored,) = await _accounts(session)
    assert stored.status is MetaAccountStatus.ACTIVE and stored.token_ciphertext is not None
    deletions = await session.execute(select(func.count()).select_from(DataDeletionRequest))
    assert deletions.scalar_one() == 0


@pytest.mark.parametrize("url", ["/api/meta/deauthorize", "/api/meta/data-deletion"])
async def test_a_missing_signed_request_is_400(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post(url, data={"something_else": "1"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_signed_request"


# --- data deletion ---------------------------------------------------------------


async def test_data_deletion_removes_the_login_and_channel_tokens_and_has_a_status_page(
    client: httpx.AsyncClient, session: AsyncSession, meta: FakeMeta
) -> None:
    acme, globex, initech = await _three_workspaces(client, meta)
    ada = meta.users[0]
    acme_page = next(
        c for c in await _channels(session, acme.tenant_id) if c.kind.value == "messenger"
    )
    await customer_writes(client, session, acme_page.external_id)

    response = await client.post(
        "/api/meta/data-deletion", data={"signed_request": signed_request(meta_payload(ada.id))}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url", "confirmation_code"}
    code = body["confirmation_code"]
    assert len(code) >= 16
    assert body["url"] == public_url(f"/api/meta/data-deletion/{code}")
    assert [a.tenant_id for a in await _accounts(session)] == [initech.tenant_id]
    for tenant in (acme.tenant_id, globex.tenant_id):
        for channel in await _channels(session, tenant):
            assert channel.token_ciphertext is None and channel.token_key_id is None
            assert channel.status is ChannelStatus.NEEDS_REAUTH
            assert channel.meta_account_id is None
    (bob_channel,) = await _channels(session, initech.tenant_id)
    assert bob_channel.token_ciphertext is not None
    conversations = await session.execute(select(func.count()).select_from(Conversation))
    assert conversations.scalar_one() == 1  # the business's conversations stay

    page = await client.get(urlsplit(body["url"]).path)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "completed" in page.text
    assert code in page.text


async def test_each_deletion_request_gets_its_own_code(
    client: httpx.AsyncClient, meta: FakeMeta
) -> None:
    codes = set()
    for _ in range(2):
        response = await client.post(
            "/api/meta/data-deletion",
            data={"signed_request": signed_request(meta_payload(meta.users[0].id))},
        )
        assert response.status_code == 200
        codes.add(response.json()["confirmation_code"])
    assert len(codes) == 2


async def test_an_unknown_confirmation_code_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/meta/data-deletion/0123456789abcdef")
    assert response.status_code == 404
