"""channels: send_read_receipts; messages: index of business reactions pending at Meta

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 11:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL 11+ adds the column without rewriting the table.
    op.add_column(
        "channels",
        sa.Column(
            "send_read_receipts", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    # Partial: only the few messages whose business reaction is still on its way to Meta
    # (the re-drive of lost reaction jobs walks it), never the millions of others.
    op.create_index(
        "ix_messages_reaction_pending",
        "messages",
        ["updated_at", "id"],
        postgresql_where=sa.text("reactions @> '[{\"pending\": true}]'::jsonb"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_reaction_pending", table_name="messages")
    op.drop_column("channels", "send_read_receipts")
