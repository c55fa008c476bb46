from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_FILENAME_LENGTH = 255


class UploadCreate(BaseModel):
    """The file the browser is about to upload: its name, type and exact size in bytes."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=1000)
    content_type: str = Field(min_length=3, max_length=255, examples=["image/jpeg"])
    size: int = Field(gt=0, description="Bytes; the upload URL accepts exactly this size.")

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        """Only the last path part, without control characters, at most 255 characters."""
        name = value.replace("\\", "/").rsplit("/", 1)[-1]
        name = "".join(ch for ch in name if ch.isprintable()).strip()
        if not name or name in (".", ".."):
            raise ValueError("must name a file")
        if len(name) > MAX_FILENAME_LENGTH:
            stem, dot, extension = name.rpartition(".")
            keep = MAX_FILENAME_LENGTH - len(extension) - 1
            name = f"{stem[:keep]}.{extension}" if dot and keep > 0 else name[:MAX_FILENAME_LENGTH]
        return name


class UploadOut(BaseModel):
    """Where and how to upload: `PUT` the file's bytes to `url` with exactly `headers`
    (Content-Length is the declared size; the browser sets it) before `expires_at`; then
    send it with `attachment: {upload_id}`."""

    upload_id: uuid.UUID
    url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: datetime
    max_size: int = Field(description="The largest file of this type any channel accepts.")


class AttachmentRef(BaseModel):
    """A file uploaded with `POST /api/storage/uploads`, to send (once)."""

    model_config = ConfigDict(extra="forbid")

    upload_id: uuid.UUID
