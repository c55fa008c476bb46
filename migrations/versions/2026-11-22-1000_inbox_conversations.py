"""inbox: conversation workflow (filled in by the conversations work)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:00:00+00:00

- Private notes are messages with direction `note`; a check constraint makes sure the
  database never holds one that is queued, sent or carries a provider id.
- Message search: a stored generated column `search_vector` (`to_tsvector('simple', text)`:
  every language, no stemming) and a GIN index over (tenant_id, search_vector) (btree_gin),
  so a tenant's search never wades through other tenants' matches, and a plan that checks a
  conversation's own messages reads their lexemes instead of parsing their text again.
  Adding the column rewrites `messages` under an exclusive lock (about a minute per million
  rows on a small machine): webhooks are still acknowledged meanwhile, only processing
  waits. The index is then built CONCURRENTLY.
- Conversation filters: status and folder (assignee) orderings, the window (last inbound)
  range, labels, and the snoozed rows the wake-up cron reads.
- `saved_replies`: the team's canned responses, one shortcut per tenant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_VECTOR = "to_tsvector('simple'::regconfig, COALESCE(text, ''::text))"
NOTE_NEVER_SENT = "direction <> 'note' OR (status = 'received' AND external_id IS NULL)"
LABELLED = sa.text("cardinality(labels) > 0")
SNOOZED = sa.text("status = 'snoozed'")


def upgrade() -> None:
    # A trusted extension since PostgreSQL 13: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    with op.get_context().autocommit_block():
        # A new enum value must be committed before a constraint can name it.
        op.execute("ALTER TYPE message_direction ADD VALUE IF NOT EXISTS 'note'")
    _saved_replies()
    _conversation_indexes()
    # NOT VALID + VALIDATE: no row can be a note yet, and validating does not block writes.
    op.execute(
        f"ALTER TABLE messages ADD CONSTRAINT ck_messages_note_never_sent "
        f"CHECK ({NOTE_NEVER_SENT}) NOT VALID"
    )
    op.execute("ALTER TABLE messages VALIDATE CONSTRAINT ck_messages_note_never_sent")
    op.add_column(
        "messages",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(SEARCH_VECTOR, persisted=True),
            nullable=True,
        ),
    )
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_messages_search",
            "messages",
            ["tenant_id", "search_vector"],
            unique=False,
            postgresql_using="gin",
            postgresql_concurrently=True,
        )


def _saved_replies() -> None:
    op.create_table(
        "saved_replies",
        sa.Column("shortcut", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_saved_replies_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_saved_replies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_replies")),
        sa.UniqueConstraint(
            "tenant_id", "shortcut", name=op.f("uq_saved_replies_tenant_id_shortcut")
        ),
    )
    op.create_index(
        op.f("ix_saved_replies_tenant_id"), "saved_replies", ["tenant_id"], unique=False
    )


def _conversation_indexes() -> None:
    op.create_index(
        "ix_conversations_tenant_status_activity",
        "conversations",
        ["tenant_id", "status", "last_message_at", "id"],
        unique=False,
        postgresql_include=["channel_id", "assignee_id"],
    )
    op.create_index(
        "ix_conversations_tenant_assignee_activity",
        "conversations",
        ["tenant_id", "assignee_id", "status", "last_message_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_conversations_tenant_inbound",
        "conversations",
        ["tenant_id", "last_inbound_at"],
        unique=False,
    )
    op.create_index(
        "ix_conversations_labels",
        "conversations",
        ["tenant_id", "labels"],
        unique=False,
        postgresql_using="gin",
        postgresql_where=LABELLED,
    )
    op.create_index(
        "ix_conversations_snoozed_until",
        "conversations",
        ["snoozed_until"],
        unique=False,
        postgresql_where=SNOOZED,
    )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_messages_search",
            table_name="messages",
            postgresql_using="gin",
            postgresql_concurrently=True,
        )
    op.drop_column("messages", "search_vector")
    op.execute("ALTER TABLE messages DROP CONSTRAINT ck_messages_note_never_sent")
    op.drop_index(
        "ix_conversations_snoozed_until", table_name="conversations", postgresql_where=SNOOZED
    )
    op.drop_index(
        "ix_conversations_labels",
        table_name="conversations",
        postgresql_using="gin",
        postgresql_where=LABELLED,
    )
    op.drop_index("ix_conversations_tenant_inbound", table_name="conversations")
    op.drop_index("ix_conversations_tenant_assignee_activity", table_name="conversations")
    op.drop_index("ix_conversations_tenant_status_activity", table_name="conversations")
    op.drop_index(op.f("ix_saved_replies_tenant_id"), table_name="saved_replies")
    op.drop_table("saved_replies")
    # PostgreSQL cannot drop an enum value: notes go, then the type is rebuilt without it.
    op.execute("DELETE FROM messages WHERE direction = 'note'")
    op.execute("ALTER TYPE message_direction RENAME TO message_direction_old")
    op.execute("CREATE TYPE message_direction AS ENUM ('inbound', 'outbound')")
    op.execute(
        "ALTER TABLE messages ALTER COLUMN direction TYPE message_direction "
        "USING direction::text::message_direction"
    )
    op.execute("DROP TYPE message_direction_old")
    # btree_gin stays: other objects may use it, and it costs nothing unused.
