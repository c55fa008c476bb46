"""The hourly clean-up: uploads no message uses, once old enough, lose their object and
their row; uploads a message uses, and recent ones, stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Upload
from api.storage import Storage
from api.uploads.cleanup import prune_unused_uploads
from tests.api.inbox.sending_data import INBOX, whatsapp_setup
from tests.api.uploads.upload_data import uploaded


async def test_old_unused_uploads_are_deleted_with_their_files(
    client: httpx.AsyncClient, session: AsyncSession, storage: Storage
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    abandoned = await uploaded(client, account)
    recent = await uploaded(client, account)
    sent = await uploaded(client, account)
    response = await client.post(
        f"{INBOX}/{conversation.id}/messages",
        json={"attachment": {"upload_id": sent}},
        headers=account.headers,
    )
    assert response.status_code == 202
    old = datetime.now(UTC) - timedelta(hours=30)
    await session.execute(
        update(Upload)
        .where(Upload.id.in_([uuid.UUID(abandoned), uuid.UUID(sent)]))
        .values(created_at=old)
    )
    await session.commit()
    keys = {str(u.id): u.storage_key for u in (await session.execute(select(Upload))).scalars()}

    assert await prune_unused_uploads(storage, timedelta(hours=24)) == 1

    left = {str(u.id) for u in (await session.execute(select(Upload))).scalars()}
    assert left == {recent, sent}
    assert await storage.head(keys[abandoned]) is None
    assert (await storage.head(keys[recent])) is not None
    assert (await storage.head(keys[sent])) is not None
    assert await prune_unused_uploads(storage, timedelta(hours=24)) == 0
