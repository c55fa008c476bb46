"""messages: indexes for the reports (traffic per day, failures by reason)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 14:00:00+00:00

The Reports page counts a tenant's messages per channel and day over a range of
`sort_at`: `(tenant_id, sort_at)` with the columns it groups by included answers that
from the index alone (an index-only scan), instead of reading every one of the tenant's
messages through `ix_messages_tenant_id`. Failed replies are few; a partial index finds
them without visiting the other rows of the period. Built CONCURRENTLY so a large
messages table keeps taking writes meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAILED = sa.text("status = 'failed'")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_messages_tenant_sort_at",
            "messages",
            ["tenant_id", "sort_at"],
            unique=False,
            postgresql_include=["channel_id", "direction", "status"],
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_messages_tenant_failed",
            "messages",
            ["tenant_id", "sort_at"],
            unique=False,
            postgresql_where=FAILED,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_messages_tenant_failed",
            table_name="messages",
            postgresql_where=FAILED,
            postgresql_concurrently=True,
        )
        op.drop_index(
            "ix_messages_tenant_sort_at", table_name="messages", postgresql_concurrently=True
        )
