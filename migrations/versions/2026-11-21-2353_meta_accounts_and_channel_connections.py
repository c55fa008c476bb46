"""meta accounts and channel connections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:53:16.254830+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_deletion_requests",
        sa.Column("confirmation_code", sa.String(length=64), nullable=False),
        sa.Column("fb_user_id", sa.String(length=64), nullable=False),
        sa.Column(
            "status", sa.Enum("pending", "completed", name="data_deletion_status"), nullable=False
        ),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_deletion_requests")),
        sa.UniqueConstraint(
            "confirmation_code", name=op.f("uq_data_deletion_requests_confirmation_code")
        ),
    )
    op.create_index(
        op.f("ix_data_deletion_requests_fb_user_id"),
        "data_deletion_requests",
        ["fb_user_id"],
        unique=False,
    )
    op.create_table(
        "meta_accounts",
        sa.Column("fb_user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("token_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("token_key_id", sa.String(length=32), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("granular_scopes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "needs_reauth", "revoked", name="meta_account_status"),
            nullable=False,
        ),
        sa.Column("connected_by_user_id", sa.Uuid(), nullable=True),
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
            ["connected_by_user_id"],
            ["users.id"],
            name=op.f("fk_meta_accounts_connected_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_meta_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meta_accounts")),
        sa.UniqueConstraint(
            "tenant_id", "fb_user_id", name=op.f("uq_meta_accounts_tenant_id_fb_user_id")
        ),
    )
    op.create_index(
        op.f("ix_meta_accounts_fb_user_id"), "meta_accounts", ["fb_user_id"], unique=False
    )
    op.create_index(
        op.f("ix_meta_accounts_tenant_id"), "meta_accounts", ["tenant_id"], unique=False
    )
    op.create_table(
        "whatsapp_business_accounts",
        sa.Column("meta_account_id", sa.Uuid(), nullable=True),
        sa.Column("business_id", sa.String(length=64), nullable=True),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
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
            ["meta_account_id"],
            ["meta_accounts.id"],
            name=op.f("fk_whatsapp_business_accounts_meta_account_id_meta_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_whatsapp_business_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_business_accounts")),
        sa.UniqueConstraint(
            "tenant_id", "waba_id", name=op.f("uq_whatsapp_business_accounts_tenant_id_waba_id")
        ),
    )
    op.create_index(
        op.f("ix_whatsapp_business_accounts_tenant_id"),
        "whatsapp_business_accounts",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_oauth_states_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_oauth_states_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_states")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oauth_states_state_hash")),
    )
    op.add_column("channels", sa.Column("meta_account_id", sa.Uuid(), nullable=True))
    op.add_column(
        "channels", sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "channels", sa.Column("token_checked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "channels",
        sa.Column(
            "history_import_status", sa.String(length=16), server_default="none", nullable=False
        ),
    )
    op.add_column(
        "channels",
        sa.Column("history_imported", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("channels", sa.Column("history_total", sa.Integer(), nullable=True))
    op.add_column("channels", sa.Column("history_error", sa.String(length=500), nullable=True))
    op.drop_constraint(op.f("uq_channels_kind_external_id"), "channels", type_="unique")
    op.create_index(
        "uq_channels_kind_external_id_live",
        "channels",
        ["kind", "external_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'disconnected'"),
    )
    op.create_foreign_key(
        op.f("fk_channels_meta_account_id_meta_accounts"),
        "channels",
        "meta_accounts",
        ["meta_account_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_channels_meta_account_id_meta_accounts"), "channels", type_="foreignkey"
    )
    op.drop_index(
        "uq_channels_kind_external_id_live",
        table_name="channels",
        postgresql_where=sa.text("status <> 'disconnected'"),
    )
    op.create_unique_constraint(
        op.f("uq_channels_kind_external_id"),
        "channels",
        ["kind", "external_id"],
        postgresql_nulls_not_distinct=False,
    )
    op.drop_column("channels", "history_error")
    op.drop_column("channels", "history_total")
    op.drop_column("channels", "history_imported")
    op.drop_column("channels", "history_import_status")
    op.drop_column("channels", "token_checked_at")
    op.drop_column("channels", "token_expires_at")
    op.drop_column("channels", "meta_account_id")
    op.drop_table("oauth_states")
    op.drop_index(
        op.f("ix_whatsapp_business_accounts_tenant_id"), table_name="whatsapp_business_accounts"
    )
    op.drop_table("whatsapp_business_accounts")
    op.drop_index(op.f("ix_meta_accounts_tenant_id"), table_name="meta_accounts")
    op.drop_index(op.f("ix_meta_accounts_fb_user_id"), table_name="meta_accounts")
    op.drop_table("meta_accounts")
    op.drop_index(op.f("ix_data_deletion_requests_fb_user_id"), table_name="data_deletion_requests")
    op.drop_table("data_deletion_requests")
    op.execute("DROP TYPE IF EXISTS meta_account_status")
    op.execute("DROP TYPE IF EXISTS data_deletion_status")
