"""Uploading a file the way the SPA does: ask the API for a presigned PUT, then PUT the
bytes straight to object storage (SeaweedFS in the tests, SigV4 enforced)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Account

UPLOADS = "/api/storage/uploads"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00fake png bytes" * 20
PDF = b"%PDF-1.4\n" + b"fake pdf " * 50 + b"\n%%EOF\n"


async def presign(
    client: httpx.AsyncClient,
    account: Account | dict[str, str],
    *,
    filename: str = "photo.png",
    content_type: str = "image/png",
    size: int = len(PNG),
) -> httpx.Response:
    headers = account.headers if isinstance(account, Account) else account
    return await client.post(
        UPLOADS,
        json={"filename": filename, "content_type": content_type, "size": size},
        headers=headers,
    )


async def put(
    upload: dict[str, Any], content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    """The browser's PUT to the presigned URL."""
    async with httpx.AsyncClient() as s3:
        return await s3.put(upload["url"], content=content, headers=headers or upload["headers"])


async def uploaded(
    client: httpx.AsyncClient,
    account: Account,
    content: bytes = PNG,
    *,
    filename: str = "photo.png",
    content_type: str = "image/png",
) -> str:
    """A file uploaded for real; its upload id."""
    response = await presign(
        client, account, filename=filename, content_type=content_type, size=len(content)
    )
    assert response.status_code == 201, response.text
    stored = await put(response.json(), content)
    assert stored.status_code == 200, stored.text
    upload_id: str = response.json()["upload_id"]
    return upload_id
