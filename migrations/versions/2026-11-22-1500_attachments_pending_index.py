"""attachments: a partial index of pending downloads, for the media sweeper

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 15:00:00+00:00

The worker's media sweeper (tasks.redrive_media, every 5 minutes) looks for pending
attachments in `(updated_at, id)` order. Pending ones are few next to stored ones: a
partial index finds them without reading the table. Built CONCURRENTLY so a large
attachments table keeps taking writes meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_attachments_pending",
            "attachments",
            ["updated_at", "id"],
            unique=False,
            postgresql_where=PENDING,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_attachments_pending",
            table_name="attachments",
            postgresql_where=PENDING,
            postgresql_concurrently=True,
        )
