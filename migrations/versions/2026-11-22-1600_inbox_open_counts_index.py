"""conversations: a partial index of the open ones, for the inbox's folder counts

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 16:00:00+00:00

The folder counts (`GET /api/inbox/conversations/counts`) count a tenant's open
conversations in use per channel, assigned to the caller and unassigned. Under row-level
security `status = 'open'` cannot be an index condition (enum equality is not LEAKPROOF,
so the planner keeps it behind the tenant policy) and `deleted_at` is in no index: the
count read every one of the tenant's conversations. A partial index over exactly those
rows answers it from the index alone (a predicate is proven, not evaluated, so row-level
security does not stand in the way), in (channel_id, assignee_id) order for a streaming
aggregate. Built CONCURRENTLY so a large conversations table keeps taking writes meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_IN_USE = sa.text("status = 'open' AND deleted_at IS NULL")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_conversations_open_counts",
            "conversations",
            ["tenant_id", "channel_id", "assignee_id"],
            unique=False,
            postgresql_where=OPEN_IN_USE,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_conversations_open_counts",
            table_name="conversations",
            postgresql_where=OPEN_IN_USE,
            postgresql_concurrently=True,
        )
