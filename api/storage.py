"""S3-compatible object storage for attachments (Cloudflare R2, SeaweedFS, MinIO, AWS...).

Files are private; browsers only ever get short-lived presigned URLs, minted by the API
for the caller's own tenant: GET to read a stored file, PUT to upload one (its type and
size signed, so the store refuses any other). Keys start with the tenant id. Browsers
PUT straight to the store, so the bucket carries CORS rules for the SPA's origin
(`ensure_bucket`, run by `python -m api.cli storage-setup` and `make dev`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from api.config import StorageSettings, get_settings

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
# What a browser needs to upload with a presigned PUT and read with a presigned GET.
CORS_METHODS = ["GET", "HEAD", "PUT"]
CORS_MAX_AGE = 3600


class StorageError(Exception):
    """The store could not be reached, or refused the call."""


class ObjectMissing(StorageError):
    """No object under that key."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    content_type: str | None


def _unavailable(exc: Exception) -> StorageError:
    return StorageError(f"object storage failed: {type(exc).__name__}")


# botocore's own errors, and the network ones aiohttp raises under it.
STORE_ERRORS = (ClientError, BotoCoreError, OSError, asyncio.TimeoutError)


class Storage:
    def __init__(self, settings: StorageSettings, cors_origins: Sequence[str] = ()) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self.cors_origins = list(cors_origins)
        self._session = aioboto3.Session()
        self._config = AioConfig(signature_version="s3v4", s3={"addressing_style": "path"})

    def _client(self, endpoint_url: str | None = None, config: AioConfig | None = None) -> Any:
        return self._session.client(
            "s3",
            endpoint_url=endpoint_url or self.settings.resolved_endpoint_url,
            aws_access_key_id=self.settings.access_key_id,
            aws_secret_access_key=self.settings.secret_access_key,
            region_name=self.settings.region,
            config=config or self._config,
        )

    async def ping(self, socket_timeout: float) -> None:
        """The bucket answers a signed HEAD, tried once, `socket_timeout` seconds to connect
        and to read (readiness: it proves the endpoint, the credentials and the bucket).
        `StorageError` otherwise."""
        config = AioConfig(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=socket_timeout,
            read_timeout=socket_timeout,
            retries={"total_max_attempts": 1},
        )
        try:
            async with self._client(config=config) as s3:
                await s3.head_bucket(Bucket=self.bucket)
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from exc

    async def ensure_bucket(self) -> None:
        """Create the bucket if missing, and let the SPA's origins upload to it (CORS).
        A store that refuses CORS rules (a key without the permission, rules kept in a
        dashboard) is logged, not fatal: uploads from browsers then need them set there."""
        async with self._client() as s3:
            try:
                await s3.head_bucket(Bucket=self.bucket)
            except ClientError:
                await s3.create_bucket(Bucket=self.bucket)
            if not (self.settings.manage_cors and self.cors_origins):
                return
            try:
                await s3.put_bucket_cors(
                    Bucket=self.bucket, CORSConfiguration={"CORSRules": [self.cors_rule()]}
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "unknown")
                logger.warning(
                    "could not set the CORS rules of bucket %s (%s); browsers can upload "
                    "only once they allow %s",
                    self.bucket,
                    code,
                    ", ".join(self.cors_origins),
                )

    def cors_rule(self) -> dict[str, Any]:
        return {
            "AllowedOrigins": self.cors_origins,
            "AllowedMethods": CORS_METHODS,
            "AllowedHeaders": ["*"],  # what is accepted is decided by the signature
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": CORS_MAX_AGE,
        }

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

    async def presigned_get(
        self, key: str, filename: str | None = None, *, download: bool = False
    ) -> str:
        """A GET URL valid for `presign_seconds`, signed for the browser-facing endpoint;
        `download` makes browsers save the file rather than show it."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if filename:
            disposition = "attachment" if download else "inline"
            params["ResponseContentDisposition"] = (
                f'{disposition}; filename="{filename.replace(chr(34), "")}"'
            )
        async with self._client(self.settings.public_endpoint_url or None) as s3:
            url: str = await s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=self.settings.presign_seconds
            )
        return url

    async def presigned_put(self, key: str, content_type: str, size: int) -> str:
        """A PUT URL valid for `presign_seconds`, signed for the browser-facing endpoint
        over Content-Type and Content-Length: the store refuses another type or size."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentType": content_type,
            "ContentLength": size,
        }
        async with self._client(self.settings.public_endpoint_url or None) as s3:
            url: str = await s3.generate_presigned_url(
                "put_object", Params=params, ExpiresIn=self.settings.presign_seconds
            )
        return url

    async def head(self, key: str) -> ObjectInfo | None:
        """The object's size and type; None when there is none. `StorageError` when the
        store cannot answer."""
        try:
            async with self._client() as s3:
                answer = await s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING_CODES:
                return None
            raise _unavailable(exc) from exc
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from exc
        return ObjectInfo(size=int(answer["ContentLength"]), content_type=answer.get("ContentType"))

    async def download_to(self, key: str, file: IO[bytes]) -> int:
        """Stream the object into `file` (never all of it in memory); the bytes written.
        `ObjectMissing` when there is no such object, `StorageError` on any other failure."""
        written = 0
        try:
            async with self._client() as s3:
                response = await s3.get_object(Bucket=self.bucket, Key=key)
                body = response["Body"]
                async with body:  # releases the connection, read to the end or not
                    async for chunk in body.iter_chunks(CHUNK_BYTES):
                        file.write(chunk)
                        written += len(chunk)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING_CODES:
                raise ObjectMissing(key) from exc
            raise _unavailable(exc) from exc
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from exc
        return written

    async def upload_file(self, key: str, file: IO[bytes], content_type: str) -> None:
        """Upload a file from disk in parts (a managed multipart upload): never all of it
        in memory. `StorageError` on failure."""
        try:
            async with self._client() as s3:
                await s3.upload_fileobj(
                    file, self.bucket, key, ExtraArgs={"ContentType": content_type}
                )
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from exc

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix` (a page of up to 1,000 keys
        at a time); how many were deleted. `StorageError` on failure."""
        if not prefix:
            raise ValueError("refusing to delete the whole bucket")
        deleted = 0
        try:
            async with self._client() as s3:
                paginator = s3.get_paginator("list_objects_v2")
                async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                    keys = [item["Key"] for item in page.get("Contents", [])]
                    await self.delete_many(keys)
                    deleted += len(keys)
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from exc
        return deleted

    async def delete_many(self, keys: Sequence[str]) -> None:
        """Delete up to 1,000 objects in one call (keys with no object are fine)."""
        if not keys:
            return
        objects: Any = [{"Key": key} for key in keys]
        try:
            async with self._client() as s3:
                answer = await s3.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from exc
        failed = [e for e in answer.get("Errors", []) if e.get("Code") not in MISSING_CODES]
        if failed:
            raise StorageError(f"object storage kept {len(failed)} object(s): {failed[0]['Code']}")


@lru_cache
def get_storage() -> Storage:
    settings = get_settings()
    return Storage(settings.storage, settings.storage_cors_origins)
