"""Opaque keyset cursors and the `{"items": [...], "next_cursor": ...}` list shape."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from api.errors import AppError

ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


def beyond(
    at_column: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[uuid.UUID],
    key: tuple[datetime, uuid.UUID],
    *,
    descending: bool = False,
) -> ColumnElement[bool]:
    """Rows strictly past `key` = (at, id) in (at, id) order (newest first when
    `descending`): the keyset condition every cursor and sweeper page uses."""
    at, id_ = key
    if descending:
        return or_(at_column < at, and_(at_column == at, id_column < id_))
    return or_(at_column > at, and_(at_column == at, id_column > id_))


def encode_cursor(at: datetime, id_: uuid.UUID) -> str:
    raw = json.dumps({"at": at.isoformat(), "id": str(id_)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(data["at"]), uuid.UUID(data["id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise AppError(
            "The cursor is malformed; start again without it.", code="invalid_cursor"
        ) from exc
