"""messages: a small index of replies in flight, for the outbound re-drive

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:30:00+00:00

The re-drive looks every minute for `queued` / `sending` replies left alone too long.
Only those rows are indexed, so it reads a handful of entries instead of scanning every
message; built CONCURRENTLY so a large messages table keeps taking writes meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FLIGHT = sa.text("status IN ('queued', 'sending')")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_messages_in_flight",
            "messages",
            ["status", "updated_at", "id"],
            unique=False,
            postgresql_where=IN_FLIGHT,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_messages_in_flight",
            table_name="messages",
            postgresql_where=IN_FLIGHT,
            postgresql_concurrently=True,
        )
