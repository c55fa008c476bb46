"""Messages as the API and socket events show them: with attachments and quoted messages,
loaded in two queries for a whole page (no N+1)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api import events
from api.inbox.schemas import MessageOut, ReplyRef, message_out
from api.models import Attachment, Message


async def messages_out(
    session: AsyncSession,
    messages: Sequence[Message],
    attachments: dict[uuid.UUID, list[Attachment]] | None = None,
) -> list[MessageOut]:
    """`attachments` may be passed when the caller has them all (a message just stored)."""
    if not messages:
        return []
    if attachments is None:
        attachments = await _attachments(session, [m.id for m in messages])
    replies = await _replies(session, messages)
    return [
        message_out(
            m,
            attachments.get(m.id, []),
            replies.get((m.channel_id, m.reply_to_external_id)) if m.reply_to_external_id else None,
        )
        for m in messages
    ]


async def message_payload(
    session: AsyncSession, message: Message, attachments: list[Attachment] | None = None
) -> dict[str, Any]:
    known = None if attachments is None else {message.id: attachments}
    (out,) = await messages_out(session, [message], known)
    return {"message": out.model_dump(mode="json")}


async def emit_message(
    session: AsyncSession,
    message: Message,
    event: str = "message:updated",
    attachments: list[Attachment] | None = None,
) -> None:
    """Publish the message's current state after the unit of work commits.

    `attachments` may be passed when the caller knows them (e.g. `[]` for a message read
    together with the fact that it has none): the payload is the same, one query fewer."""
    await session.flush()
    payload = await message_payload(session, message, attachments)
    events.emit(session, message.tenant_id, event, payload)


async def _attachments(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Attachment]]:
    rows = await session.execute(
        select(Attachment).where(Attachment.message_id.in_(ids)).order_by(Attachment.position)
    )
    grouped: dict[uuid.UUID, list[Attachment]] = defaultdict(list)
    for attachment in rows.scalars():
        grouped[attachment.message_id].append(attachment)
    return grouped


async def _replies(
    session: AsyncSession, messages: Sequence[Message]
) -> dict[tuple[uuid.UUID, str | None], ReplyRef]:
    keys = {(m.channel_id, m.reply_to_external_id) for m in messages if m.reply_to_external_id}
    found: dict[tuple[uuid.UUID, str | None], ReplyRef] = {
        key: ReplyRef(id=None, external_id=key[1] or "", text=None, type=None, direction=None)
        for key in keys
    }
    if keys:
        rows = await session.execute(
            select(Message).where(tuple_(Message.channel_id, Message.external_id).in_(list(keys)))
        )
        for original in rows.scalars():
            found[(original.channel_id, original.external_id)] = ReplyRef(
                id=original.id,
                external_id=original.external_id or "",
                text=original.text,
                type=original.type,
                direction=original.direction,
            )
    return found
