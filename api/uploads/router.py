from __future__ import annotations

from fastapi import APIRouter, status

from api.auth.deps import TenantAgent
from api.deps import SessionDep
from api.storage import get_storage
from api.uploads.schemas import UploadCreate, UploadOut
from api.uploads.service import UploadService

router = APIRouter(prefix="/storage", tags=["storage"])


@router.post("/uploads", status_code=status.HTTP_201_CREATED)
async def create_upload(body: UploadCreate, scope: TenantAgent, session: SessionDep) -> UploadOut:
    """A presigned URL to upload one file straight to object storage, then send it with
    `attachment: {upload_id}`. The type and size are signed (the store refuses others) and
    checked against what Meta accepts: `upload_type_not_allowed`, `upload_too_large`."""
    return await UploadService(session, scope, get_storage()).create(body)
