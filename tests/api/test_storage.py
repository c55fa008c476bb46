"""Object storage against a real S3 server (SeaweedFS enforces SigV4)."""

from __future__ import annotations

import httpx

from api.storage import Storage


async def test_put_get_and_presigned_url_round_trip(storage: Storage) -> None:
    await storage.put("tenant-a/m1/a1/photo.png", b"\x89PNG fake bytes", "image/png")
    assert await storage.get("tenant-a/m1/a1/photo.png") == b"\x89PNG fake bytes"
    url = await storage.presigned_get("tenant-a/m1/a1/photo.png", "photo.png")
    assert "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as client:
        ok = await client.get(url)
        tampered = await client.get(url.replace("photo.png?", "other.png?"))
        unsigned = await client.get(url.split("?")[0])
    assert ok.status_code == 200 and ok.content == b"\x89PNG fake bytes"
    assert tampered.status_code in (403, 404)
    assert unsigned.status_code == 403
