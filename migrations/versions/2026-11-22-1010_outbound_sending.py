"""outbound: compliant sending (idempotency per author, tags, retries, template sync)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 10:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Idempotency keys are scoped to (tenant, author); sends without an author share the
    # tenant's key space (NULLS NOT DISTINCT, PostgreSQL 15+). Partial: messages without a
    # key (every inbound one) are not in the index at all.
    op.drop_constraint("uq_messages_tenant_id_idempotency_key", "messages", type_="unique")
    op.create_index(
        "uq_messages_idempotency",
        "messages",
        ["tenant_id", "author_user_id", "idempotency_key"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.add_column("messages", sa.Column("request_fingerprint", sa.String(length=64)))
    op.add_column(
        "messages",
        sa.Column("automated", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("messages", sa.Column("tag", sa.String(length=32)))
    op.add_column(
        "messages",
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("message_templates", sa.Column("parameter_format", sa.String(length=16)))
    op.add_column("message_templates", sa.Column("quality_score", sa.String(length=16)))
    op.add_column("message_templates", sa.Column("synced_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("message_templates", "synced_at")
    op.drop_column("message_templates", "quality_score")
    op.drop_column("message_templates", "parameter_format")
    op.drop_column("messages", "retry_count")
    op.drop_column("messages", "tag")
    op.drop_column("messages", "automated")
    op.drop_column("messages", "request_fingerprint")
    op.drop_index("uq_messages_idempotency", table_name="messages")
    op.create_unique_constraint(
        op.f("uq_messages_tenant_id_idempotency_key"), "messages", ["tenant_id", "idempotency_key"]
    )
