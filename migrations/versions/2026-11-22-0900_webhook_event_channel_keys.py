"""webhook_events.channel_keys: the backlog per channel before routing

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "webhook_events",
        sa.Column("channel_keys", postgresql.ARRAY(sa.String(length=64)), nullable=True),
    )
    op.create_index(
        "ix_webhook_events_pending_keys",
        "webhook_events",
        ["channel_keys"],
        unique=False,
        postgresql_using="gin",
        postgresql_where=sa.text("status = 'received'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_webhook_events_pending_keys",
        table_name="webhook_events",
        postgresql_using="gin",
        postgresql_where=sa.text("status = 'received'"),
    )
    op.drop_column("webhook_events", "channel_keys")
