"""Deleting uploads no message uses: never sent (the agent gave up, or the browser never
finished), or whose message is gone. A system job over every tenant's rows, oldest first,
a page per unit of work; the objects go first, so a failure leaves rows to retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from api.db import unit_of_work
from api.models import Upload
from api.storage import Storage

PAGE_SIZE = 500  # delete_objects takes up to 1,000 keys
MAX_PER_RUN = 50_000


async def prune_unused_uploads(storage: Storage, older_than: timedelta) -> int:
    """Delete unused uploads created before `older_than` ago; how many were deleted."""
    cutoff, total = datetime.now(UTC) - older_than, 0
    while total < MAX_PER_RUN:
        async with unit_of_work() as session:
            rows = await session.execute(
                select(Upload)
                .where(Upload.message_id.is_(None), Upload.created_at < cutoff)
                .order_by(Upload.created_at, Upload.id)
                .limit(PAGE_SIZE)
                # An upload a send is using right now stays (it will be used, or come back).
                .with_for_update(skip_locked=True)
            )
            uploads = list(rows.scalars())
            await storage.delete_many([u.storage_key for u in uploads])
            for upload in uploads:
                await session.delete(upload)
        total += len(uploads)
        if len(uploads) < PAGE_SIZE:
            break
    return total
