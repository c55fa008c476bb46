"""conversations: a partial index of the open ones in list order, for deep inbox pages

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 17:00:00+00:00

The inbox's default view lists a tenant's open conversations newest first. Under
row-level security `status = 'open'` cannot be an index condition (enum equality is not
LEAKPROOF), so a page deep in the keyset walked ix_conversations_tenant_activity and
filtered every other status out row by row (page 20 of 100k conversations: ~2,500 rows
for 50). A partial index over exactly the open, undeleted rows in (last_message_at, id)
order serves any page directly. Built CONCURRENTLY so the table keeps taking writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_IN_USE = sa.text("status = 'open' AND deleted_at IS NULL")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_conversations_open_activity",
            "conversations",
            ["tenant_id", "last_message_at", "id"],
            unique=False,
            postgresql_where=OPEN_IN_USE,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_conversations_open_activity",
            table_name="conversations",
            postgresql_where=OPEN_IN_USE,
            postgresql_concurrently=True,
        )
