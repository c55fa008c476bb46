"""S3-compatible object storage for attachments (Cloudflare R2, SeaweedFS, MinIO, AWS...).

Files are private; browsers only ever get short-lived presigned GET URLs, minted by the
API for the caller's own tenant. Keys start with the tenant id.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError

from api.config import StorageSettings, get_settings


class Storage:
    def __init__(self, settings: StorageSettings) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self._session = aioboto3.Session()
        self._config = AioConfig(signature_version="s3v4", s3={"addressing_style": "path"})

    def _client(self, endpoint_url: str | None = None) -> Any:
        return self._session.client(
            "s3",
            endpoint_url=endpoint_url or self.settings.resolved_endpoint_url,
            aws_access_key_id=self.settings.access_key_id,
            aws_secret_access_key=self.settings.secret_access_key,
            region_name=self.settings.region,
            config=self._config,
        )

    async def ensure_bucket(self) -> None:
        async with self._client() as s3:
            try:
                await s3.head_bucket(Bucket=self.bucket)
            except ClientError:
                await s3.create_bucket(Bucket=self.bucket)

    async def drop_bucket(self) -> None:
        """Empty and delete the bucket (tests; an operator tearing down an environment)."""
        async with self._client() as s3:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    await s3.delete_object(Bucket=self.bucket, Key=item["Key"])
            await s3.delete_bucket(Bucket=self.bucket)

    async def put(self, key: str, body: bytes, content_type: str | None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        async with self._client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)

    async def get(self, key: str) -> bytes:
        async with self._client() as s3:
            response = await s3.get_object(Bucket=self.bucket, Key=key)
            async with response["Body"] as stream:
                return bytes(await stream.read())

    async def presigned_get(self, key: str, filename: str | None = None) -> str:
        """A GET URL valid for `presign_seconds`, signed for the browser-facing endpoint."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = (
                f'inline; filename="{filename.replace(chr(34), "")}"'
            )
        async with self._client(self.settings.public_endpoint_url or None) as s3:
            url: str = await s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=self.settings.presign_seconds
            )
        return url


@lru_cache
def get_storage() -> Storage:
    return Storage(get_settings().storage)
