"""Saved replies: the team's canned responses, inserted in the composer by `/shortcut`.

Shortcuts are unique per tenant (a constraint, so two agents saving the same one at once
get one row and one 409). The list is ordered by shortcut and searched by its prefix.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import AppError, Conflict, NotFound
from api.inbox.repository import SavedReplyRepository
from api.inbox.schemas import SavedReplyCreate, SavedReplyOut, SavedReplyUpdate
from api.models import SavedReply
from api.pagination import Page
from api.tenancy import TenantScope


class ShortcutTaken(Conflict):
    code = "shortcut_taken"


def encode_after(shortcut: str) -> str:
    return base64.urlsafe_b64encode(shortcut.encode()).decode().rstrip("=")


def decode_after(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError) as exc:
        raise AppError(
            "The cursor is malformed; start again without it.", code="invalid_cursor"
        ) from exc


@asynccontextmanager
async def shortcut_free(session: AsyncSession, shortcut: str) -> AsyncIterator[None]:
    """Run a write in a savepoint (opened before anything changes, so nothing is flushed
    outside it): a taken shortcut is then a clean 409."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise ShortcutTaken(f"The shortcut /{shortcut} is already in use.") from exc


class SavedReplyService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.replies = SavedReplyRepository(session, scope)

    async def find(self, *, q: str | None, cursor: str | None, limit: int) -> Page[SavedReplyOut]:
        """By shortcut; `q` keeps those starting with it (a leading "/" is ignored)."""
        prefix = q.strip().removeprefix("/").lower() if q else None
        after = decode_after(cursor) if cursor else None
        rows = await self.replies.list_page(prefix=prefix, after=after, limit=limit + 1)
        page = rows[:limit]
        next_cursor = encode_after(page[-1].shortcut) if len(rows) > limit else None
        return Page(items=[SavedReplyOut.model_validate(r) for r in page], next_cursor=next_cursor)

    async def get(self, reply_id: uuid.UUID) -> SavedReplyOut:
        return SavedReplyOut.model_validate(await self._reply(reply_id))

    async def create(self, body: SavedReplyCreate) -> SavedReplyOut:
        reply = SavedReply(
            id=uuid.uuid4(),
            tenant_id=self.scope.tenant_id,
            shortcut=body.shortcut,
            title=body.title,
            text=body.text,
            created_by_user_id=self.scope.user_id,
        )
        async with shortcut_free(self.session, reply.shortcut):
            self.session.add(reply)
            await self.session.flush()
        await self.session.refresh(reply)
        return SavedReplyOut.model_validate(reply)

    async def edit(self, reply_id: uuid.UUID, body: SavedReplyUpdate) -> SavedReplyOut:
        reply = await self._reply(reply_id)
        async with shortcut_free(self.session, body.shortcut or reply.shortcut):
            for name in body.model_fields_set:
                setattr(reply, name, getattr(body, name))
            await self.session.flush()
        await self.session.refresh(reply)
        return SavedReplyOut.model_validate(reply)

    async def remove(self, reply_id: uuid.UUID) -> None:
        await self.session.delete(await self._reply(reply_id))
        await self.session.flush()

    async def _reply(self, reply_id: uuid.UUID) -> SavedReply:
        reply = await self.replies.get(reply_id)
        if reply is None:
            raise NotFound("Saved reply not found.")
        return reply
