"""Data exports: an owner asks, a job streams the tenant's data into a ZIP of JSON files in
object storage (a real S3 server, SeaweedFS) with progress as it goes, and a short-lived
URL downloads it. Nothing secret is ever in the archive."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import get_secret_box
from api.data.export_builder import ExportBuilder
from api.data.housekeeping import EXPORT_STALE_AFTER, prune_exports, redrive
from api.jobs import QUEUE_NAME
from api.models import (
    Invitation,
    MessageTemplate,
    MetaAccount,
    Role,
    TenantExport,
    TenantExportStatus,
    User,
    WebhookEndpoint,
)
from api.outgoing.signing import seal_secret
from api.storage import Storage
from api.vault import seal_token
from tests.api.data.data_helpers import audit_actions, conversation_url, first_message, stored_file
from tests.api.inbox.inbox_data import Team, create_team, create_teammate, create_thread
from tests.event_payloads import create_whatsapp_channel
from tests.helpers import EventRecorder, create_account, create_messenger_channel

EXPORTS = "/api/tenant/exports"
PAGE_TOKEN = "EAAG-page-token-SECRET-1"
WA_TOKEN = "EAAG-wa-token-SECRET-2"
USER_TOKEN = "EAAG-user-token-SECRET-3"
HOOK_SECRET = "whsec_SECRET_4"
URL_SECRET = "url-secret-SECRET-5"
INVITE_TOKEN = "invite-token-SECRET-6"


@dataclass
class Filled:
    team: Team
    api_key_secret: str
    api_key_prefix: str
    password_hash: str
    note_text: str
    deleted_conversation_id: uuid.UUID
    messages: int


async def fill(client: httpx.AsyncClient, session: AsyncSession, storage: Storage) -> Filled:
    """A tenant with one of everything, secrets included."""
    team = await create_team(client, session)
    tenant = team.tenant_id
    owner = team.owner.headers
    box = get_secret_box()
    await create_messenger_channel(session, tenant, token=PAGE_TOKEN)
    await create_whatsapp_channel(session, tenant, token=WA_TOKEN)
    account = MetaAccount(tenant_id=tenant, fb_user_id="1000123", name="Ana", scopes=["x"])
    seal_token(box, account, USER_TOKEN)
    endpoint_id = uuid.uuid4()
    sealed = seal_secret(box, endpoint_id, HOOK_SECRET)
    session.add_all(
        [
            account,
            WebhookEndpoint(
                id=endpoint_id,
                tenant_id=tenant,
                url=f"https://user:pw@hooks.example.com/parley?token={URL_SECRET}",
                events=["message.created"],
                secret_ciphertext=sealed.ciphertext,
                secret_key_id=sealed.key_id,
            ),
            Invitation(
                tenant_id=tenant,
                email="new@example.com",
                role=Role.AGENT,
                token_hash=hashlib.sha256(INVITE_TOKEN.encode()).hexdigest(),
                expires_at=datetime.now(UTC) + timedelta(days=3),
            ),
            MessageTemplate(
                tenant_id=tenant,
                waba_id=team.whatsapp.waba_id or "",
                name="order_update",
                language="en",
                status="APPROVED",
                components=[{"type": "BODY", "text": "Your order {{1}} shipped"}],
            ),
        ]
    )
    await session.commit()
    key = await client.post("/api/api-keys", json={"name": "CRM", "role": "agent"}, headers=owner)
    assert key.status_code == 201, key.text
    reply = await client.post(
        "/api/inbox/saved-replies",
        json={"shortcut": "thanks", "title": "Thanks", "text": "Thank you!"},
        headers=owner,
    )
    assert reply.status_code == 201, reply.text
    first = await create_thread(session, team.messenger, texts=("hello", "is it shipped?"))
    second = await create_thread(session, team.whatsapp, texts=("hola",), labels=("vip",))
    await stored_file(session, storage, await first_message(session, first))
    note = await client.post(
        f"{conversation_url(first.id)}/notes", json={"text": "call them back"}, headers=owner
    )
    assert note.status_code == 201, note.text
    deleted = await client.delete(conversation_url(second.id), headers=owner)
    assert deleted.status_code == 200, deleted.text
    password_hash = await session.scalar(
        select(User.password_hash).where(User.id == team.owner.user_id)
    )
    assert password_hash
    return Filled(
        team=team,
        api_key_secret=key.json()["secret"],
        api_key_prefix=key.json()["prefix"],
        password_hash=password_hash,
        note_text="call them back",
        deleted_conversation_id=second.id,
        messages=3,
    )


async def request_export(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post(EXPORTS, headers=headers)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def download(client: httpx.AsyncClient, headers: dict[str, str], export_id: str) -> bytes:
    response = await client.get(f"{EXPORTS}/{export_id}/download", headers=headers)
    assert response.status_code == 200, response.text
    async with httpx.AsyncClient() as outside:
        archive = await outside.get(response.json()["url"])
    assert archive.status_code == 200
    assert "attachment" in archive.headers["content-disposition"]
    assert response.json()["filename"] in archive.headers["content-disposition"]
    return archive.content


def entries(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


async def test_an_export_holds_the_tenants_data_and_no_secret(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    filled = await fill(client, session, storage)
    owner = filled.team.owner.headers
    export = await request_export(client, owner)
    assert (export["status"], export["progress"], export["downloadable"]) == ("queued", 0, False)

    assert await ExportBuilder(storage).run(uuid.UUID(export["id"])) == "succeeded"

    done = (await client.get(f"{EXPORTS}/{export['id']}", headers=owner)).json()
    assert (done["status"], done["progress"], done["downloadable"]) == ("succeeded", 100, True)
    expires = datetime.fromisoformat(done["expires_at"]) - datetime.fromisoformat(
        done["finished_at"]
    )
    assert expires == timedelta(days=7)
    archive = await download(client, owner, export["id"])
    assert done["size_bytes"] == len(archive)
    files = entries(archive)
    tenant = json.loads(files["tenant.json"])
    assert tenant["id"] == str(filled.team.tenant_id) and tenant["name"] == "Acme"
    assert set(tenant["files"]) == set(files)
    users = json.loads(files["users.json"])
    assert {u["email"] for u in users} >= {filled.team.owner.email}
    assert len(users) == 3
    channels = json.loads(files["channels.json"])
    assert {c["kind"] for c in channels} == {"messenger", "whatsapp"}
    conversations = json.loads(files["conversations.json"])
    assert len(conversations) == 2
    deleted = [c for c in conversations if c["deleted_at"] is not None]
    assert [c["id"] for c in deleted] == [str(filled.deleted_conversation_id)]
    messages = lines(files["messages.jsonl"])
    assert sorted(m["text"] for m in messages) == ["hello", "hola", "is it shipped?"]
    with_file = [m for m in messages if m["attachments"]]
    assert len(with_file) == 1
    assert with_file[0]["attachments"][0]["filename"] == "photo.png"
    assert [n["text"] for n in lines(files["notes.jsonl"])] == [filled.note_text]
    assert json.loads(files["labels.json"]) == [{"name": "vip", "conversations": 1}]
    assert [r["shortcut"] for r in json.loads(files["saved_replies.json"])] == ["thanks"]
    assert [t["name"] for t in json.loads(files["templates.json"])] == ["order_update"]
    [key] = json.loads(files["api_keys.json"])
    assert key["prefix"] == filled.api_key_prefix and key["prefix"].startswith("prly_")
    [endpoint] = json.loads(files["webhook_endpoints.json"])
    assert endpoint["url"] == "https://hooks.example.com/parley?[redacted]"
    assert [a["fb_user_id"] for a in json.loads(files["meta_accounts.json"])] == ["1000123"]
    actions = {entry["action"] for entry in json.loads(files["audit_logs.json"])}
    assert {"api_key.created", "conversation.deleted", "data.export_requested"} <= actions
    assert len(json.loads(files["invitations.json"])) == 1

    everything = b"\n".join(files.values())
    secrets = {
        "page token": PAGE_TOKEN,
        "WhatsApp token": WA_TOKEN,
        "user token": USER_TOKEN,
        "webhook signing secret": HOOK_SECRET,
        "webhook URL secret": URL_SECRET,
        "webhook URL password": "user:pw",
        "invitation token hash": hashlib.sha256(INVITE_TOKEN.encode()).hexdigest(),
        "API key": filled.api_key_secret,
        "API key hash": hashlib.sha256(filled.api_key_secret.encode()).hexdigest(),
        "password hash": filled.password_hash,
    }
    for what, secret in secrets.items():
        assert secret.encode() not in everything, f"the archive holds the {what}"
    fields = ("password_hash", "secret_hash", "token_hash", "ciphertext", "token_key_id")
    for column in (*fields, "secret_key_id", "request_fingerprint"):
        assert f'{column}":'.encode() not in everything, f"the archive has a {column} field"


async def test_progress_is_saved_and_announced_as_the_export_goes(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, events: EventRecorder
) -> None:
    team = await create_team(client, session)
    for n in range(6):
        await create_thread(session, team.messenger, texts=tuple(f"m{n}-{i}" for i in range(4)))
    export = await request_export(client, team.owner.headers)

    assert await ExportBuilder(storage, batch=3).run(uuid.UUID(export["id"])) == "succeeded"

    updates = [p["export"] for _, name, p in events.published if name == "export:updated"]
    assert all(u["id"] == export["id"] for u in updates)
    progress = [u["progress"] for u in updates]
    assert progress == sorted(progress), progress
    assert progress[0] == 0 and progress[-1] == 100
    assert len({p for p in progress if 0 < p < 100}) >= 5, progress
    assert [u["status"] for u in updates][:2] == ["queued", "running"]
    assert updates[-1]["status"] == "succeeded" and updates[-1]["downloadable"] is True


async def test_one_export_at_a_time(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, redis: Any
) -> None:
    team = await create_team(client, session)
    owner = team.owner.headers
    first = await request_export(client, owner)
    # The job is queued (after the commit) under the export's id.
    assert f"export:{first['id']}".encode() in await redis.zrange(QUEUE_NAME, 0, -1)

    second = await client.post(EXPORTS, headers=owner)

    assert second.status_code == 409
    assert second.json()["error"] == "export_in_progress"
    not_ready = await client.get(f"{EXPORTS}/{first['id']}/download", headers=owner)
    assert not_ready.status_code == 409 and not_ready.json()["error"] == "export_not_ready"
    await ExportBuilder(storage).run(uuid.UUID(first["id"]))
    third = await request_export(client, owner)
    listed = (await client.get(EXPORTS, headers=owner)).json()["items"]
    assert [e["id"] for e in listed] == [third["id"], first["id"]]
    actions = [a for a, _ in await audit_actions(session, team.tenant_id)]
    assert actions.count("data.export_requested") == 2


async def test_downloading_is_audited_and_an_expired_export_is_gone(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    team = await create_team(client, session)
    owner = team.owner.headers
    export = await request_export(client, owner)
    await ExportBuilder(storage).run(uuid.UUID(export["id"]))
    await download(client, owner, export["id"])
    assert ("data.export_downloaded", export["id"]) in await audit_actions(session, team.tenant_id)
    row = await session.get(TenantExport, uuid.UUID(export["id"]))
    assert row is not None and row.storage_key is not None
    key = row.storage_key
    assert key == f"exports/{team.tenant_id}/{export['id']}.zip"
    await session.execute(
        update(TenantExport)
        .where(TenantExport.id == row.id)
        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await session.commit()

    expired = await client.get(f"{EXPORTS}/{export['id']}/download", headers=owner)
    assert expired.status_code == 410 and expired.json()["error"] == "export_expired"

    assert await prune_exports(storage, timedelta(days=7)) == 1
    assert await storage.head(key) is None
    gone = await client.get(f"{EXPORTS}/{export['id']}", headers=owner)
    assert gone.status_code == 404


async def test_exports_are_the_owners_and_their_tenants_only(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    team = await create_team(client, session)
    export = await request_export(client, team.owner.headers)
    await ExportBuilder(storage).run(uuid.UUID(export["id"]))
    admin = await create_teammate(session, team.tenant_id, Role.ADMIN)
    for member in (admin, team.agent, team.viewer):
        for response in (
            await client.post(EXPORTS, headers=member.headers),
            await client.get(EXPORTS, headers=member.headers),
            await client.get(f"{EXPORTS}/{export['id']}/download", headers=member.headers),
        ):
            assert response.status_code == 403, response.text
    other = await create_account(client, "Other Co")
    for path in (f"{EXPORTS}/{export['id']}", f"{EXPORTS}/{export['id']}/download"):
        response = await client.get(path, headers=other.headers)
        assert response.status_code == 404, response.text
    assert (await client.get(EXPORTS, headers=other.headers)).json()["items"] == []


async def test_lost_export_jobs_are_requeued_and_stuck_ones_fail(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    team = await create_team(client, session)
    waiting = await request_export(client, team.owner.headers)
    await session.execute(
        update(TenantExport)
        .where(TenantExport.id == uuid.UUID(waiting["id"]))
        .values(created_at=datetime.now(UTC) - timedelta(minutes=10))
    )
    await session.commit()
    await redis.flushdb()  # Redis lost the queue

    report = await redrive()

    assert (report.exports, report.interrupted) == (1, 0)
    assert await redis.exists(f"arq:job:export:{waiting['id']}")
    await session.execute(
        update(TenantExport)
        .where(TenantExport.id == uuid.UUID(waiting["id"]))
        .values(created_at=datetime.now(UTC) - EXPORT_STALE_AFTER - timedelta(minutes=1))
    )
    await session.commit()

    report = await redrive()

    assert (report.exports, report.interrupted) == (0, 1)
    stuck = (await client.get(f"{EXPORTS}/{waiting['id']}", headers=team.owner.headers)).json()
    assert stuck["status"] == "failed" and "interrupted" in stuck["error"]
    assert (await client.post(EXPORTS, headers=team.owner.headers)).status_code == 202


@pytest.mark.parametrize("status", [TenantExportStatus.SUCCEEDED, TenantExportStatus.FAILED])
async def test_a_finished_export_is_not_built_again(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage, status: TenantExportStatus
) -> None:
    team = await create_team(client, session)
    export = await request_export(client, team.owner.headers)
    await session.execute(
        update(TenantExport).where(TenantExport.id == uuid.UUID(export["id"])).values(status=status)
    )
    await session.commit()

    assert await ExportBuilder(storage).run(uuid.UUID(export["id"])) == "skipped"
