"""events, attachments, statuses, templates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:31:35.523561+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "components",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_message_templates_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint(
            "tenant_id",
            "waba_id",
            "name",
            "language",
            name=op.f("uq_message_templates_tenant_id_waba_id_name_language"),
        ),
    )
    op.create_index(
        op.f("ix_message_templates_tenant_id"), "message_templates", ["tenant_id"], unique=False
    )
    op.create_table(
        "pending_statuses",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_pending_statuses_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_statuses")),
        sa.UniqueConstraint(
            "channel_id",
            "external_id",
            "status",
            name=op.f("uq_pending_statuses_channel_id_external_id_status"),
        ),
    )
    op.create_table(
        "webhook_event_routes",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_webhook_event_routes_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_event_routes_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_webhook_event_routes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "channel_id", name=op.f("pk_webhook_event_routes")),
    )
    op.create_index(
        op.f("ix_webhook_event_routes_tenant_id"),
        "webhook_event_routes",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "attachments",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=128), nullable=True),
        sa.Column("storage_key", sa.String(length=512), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_media_id", sa.String(length=255), nullable=True),
        sa.Column(
            "state", sa.Enum("pending", "stored", "failed", name="attachment_state"), nullable=False
        ),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_attachments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_message_id"), "attachments", ["message_id"], unique=False)
    op.create_index(op.f("ix_attachments_tenant_id"), "attachments", ["tenant_id"], unique=False)
    op.add_column("channels", sa.Column("quality_rating", sa.String(length=16), nullable=True))
    op.add_column("channels", sa.Column("messaging_limit", sa.String(length=32), nullable=True))
    op.add_column("contacts", sa.Column("username", sa.String(length=200), nullable=True))
    # WhatsApp business-scoped user ids can be longer than a phone number.
    op.alter_column("contacts", "external_id", type_=sa.String(length=255), existing_nullable=False)
    op.add_column(
        "messages", sa.Column("reply_to_external_id", sa.String(length=255), nullable=True)
    )
    op.add_column(
        "messages",
        sa.Column(
            "reactions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "messages",
        sa.Column(
            "written_elsewhere", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column("messages", sa.Column("status_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "messages",
        sa.Column(
            "status_details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "whatsapp_business_accounts",
        sa.Column("account_status", sa.String(length=64), nullable=True),
    )
    op.add_column(
        "whatsapp_business_accounts",
        sa.Column(
            "account_event",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("whatsapp_business_accounts", "account_event")
    op.drop_column("whatsapp_business_accounts", "account_status")
    op.drop_column("messages", "status_details")
    op.drop_column("messages", "status_at")
    op.drop_column("messages", "written_elsewhere")
    op.drop_column("messages", "reactions")
    op.drop_column("messages", "reply_to_external_id")
    op.alter_column("contacts", "external_id", type_=sa.String(length=64), existing_nullable=False)
    op.drop_column("contacts", "username")
    op.drop_column("channels", "messaging_limit")
    op.drop_column("channels", "quality_rating")
    op.drop_index(op.f("ix_attachments_tenant_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_message_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index(op.f("ix_webhook_event_routes_tenant_id"), table_name="webhook_event_routes")
    op.drop_table("webhook_event_routes")
    op.drop_table("pending_statuses")
    op.drop_index(op.f("ix_message_templates_tenant_id"), table_name="message_templates")
    op.drop_table("message_templates")
    op.execute("DROP TYPE IF EXISTS attachment_state")
