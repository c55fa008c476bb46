"""`POST /api/storage/uploads`: a presigned PUT whose type and size the store itself
enforces (real SeaweedFS, SigV4), Meta's limits with readable reasons, roles, and the
bucket's CORS rules that let the SPA's origin PUT straight to it from a browser."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Environment, Settings
from api.models import Role, Upload
from api.storage import Storage
from tests.api.inbox.sending_data import teammate_headers
from tests.api.uploads.upload_data import PDF, PNG, presign, put
from tests.helpers import create_account

MB = 1000 * 1000


async def test_an_upload_is_a_put_signed_for_the_files_type_and_size(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account = await create_account(client)
    response = await presign(client, account, filename="Invoice March.pdf",
                             content_type="application/pdf", size=len(PDF))  # fmt: skip

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["method"] == "PUT"
    assert body["headers"] == {"Content-Type": "application/pdf"}
    assert body["max_size"] == 100 * MB  # WhatsApp documents
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert timedelta(seconds=250) < expires_at - datetime.now(UTC) <= timedelta(seconds=300)
    signed = parse_qs(urlsplit(body["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-type", "content-length", "host"} <= set(signed)

    upload = (await session.execute(select(Upload))).scalar_one()
    assert str(upload.id) == body["upload_id"]
    assert (upload.tenant_id, upload.uploader_user_id) == (account.tenant_id, account.user_id)
    assert (upload.filename, upload.content_type, upload.size) == (
        "Invoice March.pdf", "application/pdf", len(PDF)
    )  # fmt: skip
    assert upload.storage_key.startswith(f"{account.tenant_id}/uploads/{upload.id}/")
    assert upload.storage_key.endswith("/Invoice_March.pdf")
    assert upload.message_id is None and upload.consumed_at is None

    assert (await put(body, PDF)).status_code == 200
    stored = await storage.head(upload.storage_key)
    assert stored is not None and stored.size == len(PDF)
    assert stored.content_type == "application/pdf"


async def test_the_store_refuses_another_type_or_size_than_the_signed_ones(
    client: httpx.AsyncClient, storage: Storage
) -> None:
    account = await create_account(client)
    body = (await presign(client, account)).json()

    other_type = await put(body, PNG, {"Content-Type": "image/jpeg"})
    larger = await put(body, PNG + b"!")
    smaller = await put(body, PNG[:-1])

    for refused in (other_type, larger, smaller):
        assert refused.status_code == 403
        assert b"SignatureDoesNotMatch" in refused.content
    assert (await put(body, PNG)).status_code == 200


async def test_the_spa_origin_may_put_from_a_browser_and_other_origins_may_not(
    client: httpx.AsyncClient, storage: Storage
) -> None:
    """What the browser does: a CORS preflight for the PUT, then the PUT with Origin."""
    origin = storage.cors_origins[0]
    assert origin == "http://localhost:8000"  # PUBLIC_BASE_URL's origin (the default)
    account = await create_account(client)
    body = (await presign(client, account)).json()
    preflight = {"Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "content-type"}  # fmt: skip

    async with httpx.AsyncClient() as browser:
        allowed = await browser.options(body["url"], headers={"Origin": origin, **preflight})
        foreign = await browser.options(
            body["url"], headers={"Origin": "https://evil.example", **preflight}
        )
        uploaded = await browser.put(
            body["url"], content=PNG, headers={"Origin": origin, **body["headers"]}
        )

    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert "PUT" in allowed.headers["Access-Control-Allow-Methods"]
    assert allowed.headers["Access-Control-Allow-Headers"].lower() in ("content-type", "*")
    assert foreign.status_code == 403
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert uploaded.status_code == 200
    assert uploaded.headers["Access-Control-Allow-Origin"] == origin


def test_upload_origins_default_to_the_spas_own() -> None:
    production = Settings(public_base_url="https://inbox.example.com/app/", cors_origins=[])
    assert production.storage_cors_origins == ["https://inbox.example.com"]
    split = Settings(
        public_base_url="https://api.example.com", cors_origins=["https://app.example.com"]
    )
    assert split.storage_cors_origins == ["https://api.example.com", "https://app.example.com"]
    development = Settings(
        environment=Environment.DEVELOPMENT, public_base_url="http://localhost:8000"
    )
    assert development.storage_cors_origins == ["http://localhost:8000", "http://127.0.0.1:8000"]
    explicit = Settings(storage={"cors_origins": "https://a.example, https://b.example"})
    assert explicit.storage_cors_origins == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize(
    ("content_type", "size", "limit"),
    [
        ("image/png", 25 * MB + 1, "PNG images can be at most 25 MB"),  # Messenger's limit
        ("video/mp4", 25 * MB + 1, "MP4 videos can be at most 25 MB"),
        ("application/pdf", 100 * MB + 1, "PDF documents can be at most 100 MB"),  # WhatsApp
    ],
)
async def test_a_file_larger_than_any_channel_takes_is_refused_naming_the_limit(
    client: httpx.AsyncClient, session: AsyncSession, content_type: str, size: int, limit: str
) -> None:
    account = await create_account(client)
    response = await presign(client, account, content_type=content_type, size=size)
    assert response.status_code == 422
    assert response.json()["error"] == "upload_too_large"
    assert limit in response.json()["detail"]
    assert f"({size} bytes)" in response.json()["detail"]
    assert (await session.execute(select(Upload))).first() is None


@pytest.mark.parametrize("content_type", ["application/x-msdownload", "image/svg+xml", "text/html"])
async def test_a_type_no_channel_takes_is_refused_listing_the_allowed_ones(
    client: httpx.AsyncClient, content_type: str
) -> None:
    account = await create_account(client)
    response = await presign(client, account, content_type=content_type)
    assert response.status_code == 422
    assert response.json()["error"] == "upload_type_not_allowed"
    assert content_type in response.json()["detail"]
    assert "JPEG images (image/jpeg)" in response.json()["detail"]


async def test_type_aliases_are_signed_as_the_canonical_type(
    client: httpx.AsyncClient, storage: Storage
) -> None:
    account = await create_account(client)
    response = await presign(client, account, filename="a.jpg", content_type="Image/JPG")
    assert response.json()["headers"] == {"Content-Type": "image/jpeg"}
    assert (await put(response.json(), PNG)).status_code == 200


async def test_the_file_name_keeps_only_its_last_part(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account = await create_account(client)
    response = await presign(client, account, filename="..\\../etc/\x00pass wd.png")
    assert response.status_code == 201
    upload = (await session.execute(select(Upload))).scalar_one()
    assert upload.filename == "pass wd.png"
    assert upload.storage_key.endswith("/pass_wd.png")


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "a.png", "content_type": "image/png", "size": 0},
        {"filename": "../", "content_type": "image/png", "size": 10},
        {"filename": "a.png", "content_type": "image/png"},
        {"filename": "a.png", "content_type": "image/png", "size": 10, "extra": 1},
    ],
)
async def test_a_malformed_request_is_a_validation_error(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    account = await create_account(client)
    response = await client.post("/api/storage/uploads", json=body, headers=account.headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_viewers_cannot_upload_and_strangers_must_sign_in(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account = await create_account(client)
    viewer = await teammate_headers(session, account.tenant_id, Role.VIEWER)
    agent = await teammate_headers(session, account.tenant_id, Role.AGENT)

    assert (await presign(client, viewer)).status_code == 403
    assert (await presign(client, {})).status_code == 401
    assert (await presign(client, agent)).status_code == 201
    assert uuid.UUID((await presign(client, agent)).json()["upload_id"])
