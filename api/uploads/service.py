"""Presigned uploads: the browser PUTs a file straight to object storage, with its type
and size signed, so the store itself refuses anything else; the API never carries the
bytes. Each upload is recorded for the tenant, to be used by one send."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import AppError
from api.models import Upload
from api.storage import Storage
from api.tenancy import TenantScope
from api.uploads.limits import FileType, all_accepted, file_type, megabytes
from api.uploads.schemas import UploadCreate, UploadOut


class UploadTypeNotAllowed(AppError):
    status_code = 422
    code = "upload_type_not_allowed"


class UploadTooLarge(AppError):
    status_code = 422
    code = "upload_too_large"


def upload_key(tenant_id: uuid.UUID, upload_id: uuid.UUID, filename: str) -> str:
    """Keys start with the tenant, like every stored file's."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename)[-100:].strip("._") or "file"
    return f"{tenant_id}/uploads/{upload_id}/{name}"


def check_file(content_type: str, size: int) -> FileType:
    """The type, if some channel takes it at this size; else a 422 naming the limit."""
    kind = file_type(content_type)
    if kind is None:
        raise UploadTypeNotAllowed(
            f"Files of type {content_type!r} cannot be sent. Allowed: {all_accepted()}."
        )
    if size > kind.max_bytes:
        raise UploadTooLarge(
            f"{kind.label} can be at most {megabytes(kind.max_bytes)} ({kind.max_bytes} "
            f"bytes); this file is {megabytes(size)} ({size} bytes)."
        )
    return kind


class UploadService:
    def __init__(self, session: AsyncSession, scope: TenantScope, storage: Storage) -> None:
        self.session = session
        self.scope = scope
        self.storage = storage

    async def create(self, body: UploadCreate) -> UploadOut:
        """Record an upload and sign a PUT for exactly this file's type and size."""
        kind = check_file(body.content_type, body.size)
        upload_id = uuid.uuid4()
        upload = Upload(
            id=upload_id,
            tenant_id=self.scope.tenant_id,
            uploader_user_id=self.scope.user_id,
            storage_key=upload_key(self.scope.tenant_id, upload_id, body.filename),
            filename=body.filename,
            content_type=kind.mime_type,
            size=body.size,
        )
        self.session.add(upload)
        await self.session.flush()
        url = await self.storage.presigned_put(upload.storage_key, kind.mime_type, body.size)
        expires_at = datetime.now(UTC) + timedelta(seconds=self.storage.settings.presign_seconds)
        return UploadOut(
            upload_id=upload.id,
            url=url,
            method="PUT",
            headers={"Content-Type": kind.mime_type},
            expires_at=expires_at,
            max_size=kind.max_bytes,
        )
