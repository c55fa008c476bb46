"""row-level security: the parley_tenant role and a tenant policy on every tenant table

Defence in depth behind the application's own scoping (api/security/rls.py): an
authenticated request runs its transaction as `parley_tenant` with `parley.tenant_id` set,
and every table with a `tenant_id` column lets that role see and write only that tenant's
rows. Table owners (the migration user, the app's usual connection) are not affected, so
public routes, jobs and migrations work as before.

The role is cluster-wide and may already exist (another database on the same server): it
is created only when missing, and the downgrade leaves it in place.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 13:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "parley_tenant"
POLICY = "tenant_isolation"
TENANT = "NULLIF(current_setting('parley.tenant_id', true), '')::uuid"

# Base tables of this schema with a tenant_id column.
TENANT_TABLES = """
    SELECT c.table_name::text AS name
    FROM information_schema.columns c
    JOIN information_schema.tables t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id'
      AND t.table_type = 'BASE TABLE'
"""


# The few questions an authenticated request must ask across tenants, each answered by a
# SECURITY DEFINER function (it runs as its owner, so row-level security does not hide the
# other tenants' rows) that returns only the answer, never a row: is this page / number
# live in my workspace, in another one, or nowhere; is this email mine, someone else's, or
# free. "Mine" is the request's tenant (parley.tenant_id) when set, else the argument (when
# row-level security is switched off in the settings). Used by api/security/crosstenant.py.
WHERE_OF = "CASE WHEN tenant_id = COALESCE({tenant}, p_tenant) THEN 'here' ELSE 'elsewhere' END"
#
# And one that stays inside the tenant: message search. Under row-level security the
# planner may not evaluate a non-LEAKPROOF operator such as the full-text `@@` before the
# policy, so the (tenant_id, search_vector) GIN index could no longer serve the search and
# every one of the tenant's messages would be scanned. The function runs as the owner
# (no policy, the index works) and applies the same tenant condition itself.
FUNCTIONS = {
    "parley_channel_connected(p_kind text, p_external_id text, p_tenant uuid)": (
        "text",
        f"""
        SELECT {WHERE_OF.format(tenant=TENANT)} FROM channels
        WHERE kind = p_kind::channel_kind AND external_id = p_external_id
          AND status <> 'disconnected'
        LIMIT 1
        """,
    ),
    "parley_email_in_use(p_email text, p_tenant uuid)": (
        "text",
        f"SELECT {WHERE_OF.format(tenant=TENANT)} FROM users WHERE email = p_email",
    ),
    "parley_message_search(p_query tsquery, p_tenant uuid)": (
        "SETOF uuid",
        f"""
        SELECT conversation_id FROM messages
        WHERE tenant_id = COALESCE({TENANT}, p_tenant) AND search_vector @@ p_query
        """,
    ),
}


def upgrade() -> None:
    # Concurrent migrations of two databases on one server may race to create the role.
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
    """)
    # The app's database user may switch to the role (a superuser may anyway).
    op.execute(f"""
        DO $$ BEGIN
          IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT {ROLE} TO %I', current_user);
          END IF;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', current_schema());
          EXECUTE format(
            'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {ROLE}',
            current_schema());
          EXECUTE format(
            'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {ROLE}', current_schema());
          EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I '
            'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}', current_schema());
          EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I '
            'GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}', current_schema());
        END $$;
    """)
    op.execute(f"REVOKE ALL ON TABLE alembic_version FROM {ROLE}")
    op.execute(f"""
        DO $$
        DECLARE tbl text;
        BEGIN
          FOR tbl IN {TENANT_TABLES} LOOP
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
            EXECUTE format('DROP POLICY IF EXISTS {POLICY} ON %I', tbl);
            EXECUTE format(
              'CREATE POLICY {POLICY} ON %I AS PERMISSIVE FOR ALL TO {ROLE} '
              'USING (tenant_id = {TENANT.replace("'", "''")}) '
              'WITH CHECK (tenant_id = {TENANT.replace("'", "''")})', tbl);
          END LOOP;
        END $$;
    """)
    schema = _schema()
    for signature, (returns, body) in FUNCTIONS.items():
        # A pinned search_path (temporary schema last) so no caller can shadow the tables.
        op.execute(f"""
            CREATE OR REPLACE FUNCTION {signature} RETURNS {returns}
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, {schema}, pg_temp
            AS $fn$ {body} $fn$
        """)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {ROLE}")


def _schema() -> str:
    name = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    return '"' + str(name).replace('"', '""') + '"'


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute(f"""
        DO $$
        DECLARE tbl text;
        BEGIN
          FOR tbl IN {TENANT_TABLES} LOOP
            EXECUTE format('DROP POLICY IF EXISTS {POLICY} ON %I', tbl);
            EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', tbl);
          END LOOP;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I '
            'REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {ROLE}', current_schema());
          EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I '
            'REVOKE USAGE, SELECT ON SEQUENCES FROM {ROLE}', current_schema());
          EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {ROLE}', current_schema());
          EXECUTE format(
            'REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {ROLE}', current_schema());
          EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {ROLE}', current_schema());
        END $$;
    """)
