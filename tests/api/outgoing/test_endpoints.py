"""Registering endpoints: validation (https, SSRF guard, events), secrets, audit, isolation."""

from __future__ import annotations

import socket
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import EncryptionSettings, OutgoingWebhookSettings, get_settings
from api.crypto import DecryptionError, SecretBox, get_secret_box
from api.models import AuditLog, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from api.outgoing import addresses
from api.outgoing.signing import open_secret, reseal_secrets
from tests.api.outgoing.conftest import create_endpoint, endpoint_id
from tests.helpers import create_account

URL = "/api/webhook-endpoints"


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    monkeypatch.setattr(addresses, "resolve", resolve)


async def test_an_endpoint_is_created_with_a_secret_shown_and_sealed_at_rest(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)

    created = await create_endpoint(
        client,
        account,
        "https://hooks.example.com/parley?token=abc",
        ["message.created", "conversation.updated", "message.created"],
        description="  CRM sync  ",
    )

    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["message.created", "conversation.updated"]
    assert created["description"] == "CRM sync"
    assert created["enabled"] is True and created["last_delivery"] is None
    row = await session.get(WebhookEndpoint, endpoint_id(created))
    assert row is not None and row.tenant_id == account.tenant_id
    assert created["secret"].encode() not in row.secret_ciphertext
    box = get_secret_box()
    assert open_secret(box, row.id, row.secret_key_id, row.secret_ciphertext) == created["secret"]
    # Bound to its row: the same ciphertext on another endpoint does not open.
    with pytest.raises(DecryptionError):
        open_secret(box, uuid.uuid4(), row.secret_key_id, row.secret_ciphertext)
    listed = await client.get(URL, headers=account.headers)
    assert [e["id"] for e in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0]


async def test_the_secret_can_be_revealed_and_rotated_and_both_are_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    created = await create_endpoint(client, account, "https://hooks.example.com/a?token=xyz")
    base = f"{URL}/{created['id']}"

    revealed = await client.get(f"{base}/secret", headers=account.headers)
    rotated = await client.post(f"{base}/rotate-secret", headers=account.headers)
    revealed_again = await client.get(f"{base}/secret", headers=account.headers)

    assert revealed.json() == {"secret": created["secret"]}
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != created["secret"]
    assert revealed_again.json() == {"secret": new_secret}
    result = await session.execute(
        select(AuditLog).where(
            AuditLog.tenant_id == account.tenant_id, AuditLog.action.like("webhook%")
        )
    )
    entries = list(result.scalars())
    # (One test transaction: every entry has the same created_at, so compare as a multiset.)
    assert sorted(e.action for e in entries) == [
        "webhook_endpoint.created",
        "webhook_endpoint.secret_revealed",
        "webhook_endpoint.secret_revealed",
        "webhook_endpoint.secret_rotated",
    ]
    for entry in entries:
        assert entry.target_id == created["id"]
        assert entry.target_label == "https://hooks.example.com/a"  # the query is left out
        assert entry.actor_user_id == account.user_id
        text = f"{entry.details} {entry.target_label}"
        assert "whsec_" not in text and "xyz" not in text


async def test_changes_are_applied_and_audited_with_what_changed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    created = await create_endpoint(client, account, "https://hooks.example.com/a", description="x")

    response = await client.patch(
        f"{URL}/{created['id']}",
        json={
            "url": "https://hooks.example.com/b",
            "events": ["message.updated"],
            "description": None,
        },
        headers=account.headers,
    )
    unchanged = await client.patch(f"{URL}/{created['id']}", json={}, headers=account.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == "https://hooks.example.com/b"
    assert body["events"] == ["message.updated"]
    assert body["description"] is None
    assert unchanged.status_code == 200 and unchanged.json()["url"] == body["url"]
    updates = list(
        (
            await session.execute(
                select(AuditLog).where(
                    AuditLog.tenant_id == account.tenant_id,
                    AuditLog.action == "webhook_endpoint.updated",
                )
            )
        ).scalars()
    )
    assert len(updates) == 1  # the empty change is not an event
    assert updates[0].details == {
        "url": {"from": "https://hooks.example.com/a", "to": "https://hooks.example.com/b"},
        "events": {"from": ["message.created"], "to": ["message.updated"]},
        "description": {"from": "x", "to": None},
    }


async def test_deleting_an_endpoint_removes_it_and_its_log_and_is_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    created = await create_endpoint(client, account, "https://hooks.example.com/a")
    ping = await client.post(f"{URL}/{created['id']}/test", headers=account.headers)
    assert ping.status_code == 202

    response = await client.delete(f"{URL}/{created['id']}", headers=account.headers)

    assert response.status_code == 204
    assert (await client.get(f"{URL}/{created['id']}", headers=account.headers)).status_code == 404
    assert await session.get(WebhookDelivery, uuid.UUID(ping.json()["id"])) is None
    actions = (
        await session.execute(
            select(AuditLog.action).where(AuditLog.tenant_id == account.tenant_id)
        )
    ).scalars()
    assert "webhook_endpoint.deleted" in list(actions)


@pytest.mark.parametrize(
    ("url", "code", "reason"),
    [
        ("http://hooks.example.com/x", "insecure_url", "https://"),
        ("ftp://hooks.example.com/x", "invalid_url", "https://example.com/webhooks"),
        ("hooks.example.com/x", "invalid_url", "https://example.com/webhooks"),
        ("https://user:pw@hooks.example.com/x", "credentials_in_url", "Parley-Signature"),
        ("https://hooks.example.com:99999/x", "invalid_url", "not valid"),
        ("https://hooks.example.com/a b", "invalid_url", "spaces or control characters"),
        ("https://hooks.example.com/\x00", "invalid_url", "spaces or control characters"),
    ],
)
async def test_urls_that_are_not_https_or_well_formed_are_refused(
    client: httpx.AsyncClient,
    outgoing_settings: OutgoingWebhookSettings,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    code: str,
    reason: str,
) -> None:
    monkeypatch.setattr(outgoing_settings, "allow_http", False)
    account = await create_account(client)

    response = await client.post(
        URL, json={"url": url, "events": ["message.created"]}, headers=account.headers
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    assert reason in response.json()["detail"]


async def test_http_is_accepted_only_when_allowed(
    client: httpx.AsyncClient, outgoing_settings: OutgoingWebhookSettings
) -> None:
    account = await create_account(client)
    created = await create_endpoint(client, account, "http://hooks.example.com/dev")
    assert created["url"] == "http://hooks.example.com/dev"


@pytest.mark.parametrize(
    ("url", "dns", "code"),
    [
        ("https://127.0.0.1/hook", {}, "private_address"),
        ("https://[::1]:8443/hook", {}, "private_address"),
        ("https://169.254.169.254/latest/meta-data", {}, "private_address"),
        ("https://localhost/hook", {"localhost": ["127.0.0.1", "::1"]}, "private_address"),
        (
            "https://intranet.example.com/",
            {"intranet.example.com": ["10.1.2.3"]},
            "private_address",
        ),
        # One private answer among public ones is enough to refuse.
        (
            "https://mixed.example.com/",
            {"mixed.example.com": ["93.184.216.34", "192.168.1.9"]},
            "private_address",
        ),
        ("https://[::ffff:127.0.0.1]/hook", {}, "private_address"),
        ("https://cgnat.example.com/", {"cgnat.example.com": ["100.64.0.7"]}, "private_address"),
        ("https://nowhere.invalid/hook", {}, "unresolvable_host"),
    ],
)
async def test_hosts_resolving_to_private_addresses_are_refused(
    client: httpx.AsyncClient,
    outgoing_settings: OutgoingWebhookSettings,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    dns: dict[str, list[str]],
    code: str,
) -> None:
    monkeypatch.setattr(outgoing_settings, "allow_private", False)
    fake_dns(monkeypatch, dns)
    account = await create_account(client)

    response = await client.post(
        URL, json={"url": url, "events": ["message.created"]}, headers=account.headers
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    assert (await client.get(URL, headers=account.headers)).json()["items"] == []


async def test_a_public_host_is_accepted_and_a_change_to_a_private_one_is_refused(
    client: httpx.AsyncClient,
    outgoing_settings: OutgoingWebhookSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outgoing_settings, "allow_private", False)
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"], "db.example.com": ["10.0.0.5"]})
    account = await create_account(client)
    created = await create_endpoint(client, account, "https://hooks.example.com/x")

    response = await client.patch(
        f"{URL}/{created['id']}", json={"url": "https://db.example.com/x"}, headers=account.headers
    )

    assert response.status_code == 422
    assert response.json()["error"] == "private_address"
    assert "10.0.0.5" in response.json()["detail"]
    current = await client.get(f"{URL}/{created['id']}", headers=account.headers)
    assert current.json()["url"] == "https://hooks.example.com/x"


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://hooks.example.com/x", "events": []},
        {"url": "https://hooks.example.com/x", "events": ["message.deleted"]},
        {"url": "https://hooks.example.com/x", "events": ["ping"]},
        {"url": "https://hooks.example.com/x"},
        {"url": "", "events": ["message.created"]},
        {
            "url": "https://hooks.example.com/x",
            "events": ["message.created"],
            "description": "a\x00b",
        },
        {"url": "https://hooks.example.com/" + "x" * 2100, "events": ["message.created"]},
    ],
)
async def test_invalid_bodies_answer_422_with_a_reason(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    account = await create_account(client)
    response = await client.post(URL, json=body, headers=account.headers)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_a_workspace_has_a_limited_number_of_endpoints(
    client: httpx.AsyncClient,
    outgoing_settings: OutgoingWebhookSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outgoing_settings, "max_endpoints_per_tenant", 2)
    account = await create_account(client)
    await create_endpoint(client, account, "https://hooks.example.com/1")
    await create_endpoint(client, account, "https://hooks.example.com/2")

    response = await client.post(
        URL,
        json={"url": "https://hooks.example.com/3", "events": ["message.created"]},
        headers=account.headers,
    )

    assert response.status_code == 409
    assert response.json()["error"] == "too_many_endpoints"


async def test_another_tenants_endpoints_and_deliveries_are_404(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await create_account(client, "Owner Co")
    stranger = await create_account(client, "Stranger Co")
    created = await create_endpoint(client, owner, "https://hooks.example.com/owner")
    ping = await client.post(f"{URL}/{created['id']}/test", headers=owner.headers)
    delivery_id = ping.json()["id"]
    base = f"{URL}/{created['id']}"

    calls = [
        client.get(base, headers=stranger.headers),
        client.patch(base, json={"enabled": False}, headers=stranger.headers),
        client.delete(base, headers=stranger.headers),
        client.post(f"{base}/rotate-secret", headers=stranger.headers),
        client.get(f"{base}/secret", headers=stranger.headers),
        client.post(f"{base}/test", headers=stranger.headers),
        client.get(f"{base}/deliveries", headers=stranger.headers),
        client.get(f"/api/webhook-deliveries/{delivery_id}", headers=stranger.headers),
        client.post(f"/api/webhook-deliveries/{delivery_id}/resend", headers=stranger.headers),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 404, response.request.url
        assert "hooks.example.com" not in response.text and "whsec_" not in response.text

    assert (await client.get(URL, headers=stranger.headers)).json()["items"] == []
    endpoint = await session.get(WebhookEndpoint, endpoint_id(created))
    assert endpoint is not None and endpoint.enabled
    deliveries = (
        await session.execute(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        )
    ).scalars()
    assert len(list(deliveries)) == 1  # the stranger's resend made nothing


async def test_an_agent_key_cannot_manage_webhooks(client: httpx.AsyncClient) -> None:
    account = await create_account(client)
    key = await client.post(
        "/api/api-keys", json={"name": "agent bot", "role": "agent"}, headers=account.headers
    )
    assert key.status_code == 201, key.text
    headers = {"Authorization": f"Bearer {key.json()['secret']}"}

    listed = await client.get(URL, headers=headers)
    created = await client.post(
        URL,
        json={"url": "https://hooks.example.com/x", "events": ["message.created"]},
        headers=headers,
    )

    assert listed.status_code == 403 and created.status_code == 403
    assert created.json()["error"] == "forbidden"


async def test_an_admin_key_manages_webhooks_and_the_audit_names_the_key(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    key = await client.post(
        "/api/api-keys", json={"name": "integration", "role": "admin"}, headers=account.headers
    )
    headers = {"Authorization": f"Bearer {key.json()['secret']}"}

    response = await client.post(
        URL,
        json={"url": "https://hooks.example.com/x", "events": ["message.created"]},
        headers=headers,
    )

    assert response.status_code == 201
    assert response.json()["created_by_user_id"] is None
    entry = (
        await session.execute(select(AuditLog).where(AuditLog.action == "webhook_endpoint.created"))
    ).scalar_one()
    assert entry.actor_type == "api_key" and entry.actor_api_key_id == uuid.UUID(key.json()["id"])


async def test_a_secret_that_no_longer_decrypts_is_a_clear_409(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    created = await create_endpoint(client, account, "https://hooks.example.com/x")
    row = await session.get(WebhookEndpoint, endpoint_id(created))
    assert row is not None
    row.secret_ciphertext = get_secret_box().encrypt("whsec_other", b"elsewhere").ciphertext
    await session.commit()

    response = await client.get(f"{URL}/{created['id']}/secret", headers=account.headers)

    assert response.status_code == 409
    assert response.json()["error"] == "secret_unreadable"
    rotated = await client.post(f"{URL}/{created['id']}/rotate-secret", headers=account.headers)
    assert rotated.status_code == 200
    again = await client.get(f"{URL}/{created['id']}/secret", headers=account.headers)
    assert again.json()["secret"] == rotated.json()["secret"]


async def test_disabling_gives_up_on_pending_deliveries_and_refuses_sends(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    created = await create_endpoint(client, account, "https://hooks.example.com/x")
    base = f"{URL}/{created['id']}"
    ping = await client.post(f"{base}/test", headers=account.headers)

    disabled = await client.patch(base, json={"enabled": False}, headers=account.headers)

    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    delivery = await session.get(WebhookDelivery, uuid.UUID(ping.json()["id"]))
    assert delivery is not None
    await session.refresh(delivery)
    assert delivery.status is WebhookDeliveryStatus.FAILED
    assert delivery.error == "endpoint disabled"
    test = await client.post(f"{base}/test", headers=account.headers)
    resend = await client.post(
        f"/api/webhook-deliveries/{ping.json()['id']}/resend", headers=account.headers
    )
    assert test.status_code == 409 and test.json()["error"] == "endpoint_disabled"
    assert resend.status_code == 409
    entry = (
        await session.execute(select(AuditLog).where(AuditLog.action == "webhook_endpoint.updated"))
    ).scalar_one()
    assert entry.details == {"enabled": {"from": True, "to": False}, "abandoned_deliveries": 1}


async def test_key_rotation_re_seals_endpoint_secrets_under_the_active_key(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    created = await create_endpoint(client, account, "https://hooks.example.com/x")
    current = get_settings().encryption
    new_key = b"n" * 32
    rotated_box = SecretBox(
        EncryptionSettings(keys={**current.keys, "k2": new_key}, active_key_id="k2")
    )

    assert await reseal_secrets(session, rotated_box) == 1
    await session.commit()

    row = await session.get(WebhookEndpoint, endpoint_id(created), populate_existing=True)
    assert row is not None and row.secret_key_id == "k2"
    only_new = SecretBox(EncryptionSettings(keys={"k2": new_key}, active_key_id="k2"))
    assert open_secret(only_new, row.id, "k2", row.secret_ciphertext) == created["secret"]
    assert await reseal_secrets(session, rotated_box) == 0  # nothing left under the old key
