"""Row-level security: with the tenant role and tenant set (as every authenticated request
does), PostgreSQL itself confines a query to the caller's tenant, even one that forgot its
tenant filter. The tests connect as a superuser, which bypasses RLS: every check here runs
after `enter_tenant` switched the transaction to the `parley_tenant` role."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.auth.deps import CurrentScope
from api.deps import SessionDep
from api.main import create_app
from api.models import Channel, ChannelKind, Contact, Conversation, Message, User
from api.security.crosstenant import CrossTenantChecks
from api.security.rls import TENANT_ROLE, enter_tenant, tenant_of
from tests.helpers import Account, create_account, create_messenger_channel


async def _conversation(session: AsyncSession, tenant_id: uuid.UUID) -> Conversation:
    channel = await create_messenger_channel(session, tenant_id)
    contact = Contact(tenant_id=tenant_id, channel_id=channel.id, external_id=uuid.uuid4().hex)
    session.add(contact)
    await session.flush()
    conversation = Conversation(tenant_id=tenant_id, channel_id=channel.id, contact_id=contact.id)
    session.add(conversation)
    await session.commit()
    return conversation


@pytest.fixture
async def two_tenants(
    client: httpx.AsyncClient, session: AsyncSession
) -> tuple[Account, Conversation, Account, Conversation]:
    alice = await create_account(client, "Alice Co")
    bob = await create_account(client, "Bob Co")
    return (
        alice,
        await _conversation(session, alice.tenant_id),
        bob,
        await _conversation(session, bob.tenant_id),
    )


async def _current_user(session: AsyncSession) -> str:
    return str((await session.execute(text("SELECT current_user"))).scalar_one())


async def test_a_query_without_a_tenant_filter_sees_only_the_tenants_rows(
    session: AsyncSession, two_tenants: tuple[Account, Conversation, Account, Conversation]
) -> None:
    alice, alice_conversation, _, _ = two_tenants
    # As the table owner (no tenant role) the unfiltered query sees both tenants...
    owner_view = (await session.execute(select(Conversation.id))).scalars().all()
    assert len(owner_view) == 2

    await enter_tenant(session, alice.tenant_id)
    assert await _current_user(session) == TENANT_ROLE
    assert tenant_of(session) == alice.tenant_id
    # ... as the tenant, the same statement with no where clause sees only Alice's.
    rows = (await session.execute(select(Conversation))).scalars().all()
    assert [row.id for row in rows] == [alice_conversation.id]
    users = (await session.execute(select(User.tenant_id))).scalars().all()
    assert set(users) == {alice.tenant_id}
    channels = (await session.execute(select(func.count()).select_from(Channel))).scalar_one()
    assert channels == 1
    await session.rollback()


async def test_an_update_of_another_tenants_row_changes_nothing(
    session: AsyncSession, two_tenants: tuple[Account, Conversation, Account, Conversation]
) -> None:
    alice, _, _, bob_conversation = two_tenants
    bobs = bob_conversation.id
    await enter_tenant(session, alice.tenant_id)
    result = await session.execute(
        update(Conversation).where(Conversation.id == bobs).values(unread_count=99)
    )
    assert result.rowcount == 0  # type: ignore[attr-defined]
    await session.rollback()
    unread = await session.scalar(select(Conversation.unread_count).where(Conversation.id == bobs))
    assert unread == 0


async def test_a_row_for_another_tenant_cannot_be_inserted(
    session: AsyncSession, two_tenants: tuple[Account, Conversation, Account, Conversation]
) -> None:
    alice, _, bob, bob_conversation = two_tenants
    conversation_id, channel_id = bob_conversation.id, bob_conversation.channel_id
    await enter_tenant(session, alice.tenant_id)
    with pytest.raises(DBAPIError, match="row-level security"):
        await session.execute(
            insert(Message).values(
                tenant_id=bob.tenant_id,
                conversation_id=conversation_id,
                channel_id=channel_id,
                direction="inbound",
                status="received",
                type="text",
                text="planted",
                sort_at=func.now(),
            )
        )
    await session.rollback()


async def test_nothing_is_visible_when_the_tenant_role_has_no_tenant(
    session: AsyncSession, two_tenants: tuple[Account, Conversation, Account, Conversation]
) -> None:
    await session.execute(text(f"SELECT set_config('role', '{TENANT_ROLE}', true)"))
    assert (await session.execute(select(Conversation.id))).all() == []
    await session.rollback()


async def test_the_role_ends_with_the_unit_of_work(
    session: AsyncSession, two_tenants: tuple[Account, Conversation, Account, Conversation]
) -> None:
    """Committed (here: a savepoint inside the test's transaction) or rolled back, the
    session is its own user again afterwards: nothing leaks into later work."""
    alice = two_tenants[0]
    await enter_tenant(session, alice.tenant_id)
    await session.commit()
    assert await _current_user(session) != TENANT_ROLE
    assert tenant_of(session) is None
    assert len((await session.execute(select(Conversation.id))).all()) == 2

    await enter_tenant(session, alice.tenant_id)
    await session.rollback()
    assert await _current_user(session) != TENANT_ROLE
    assert tenant_of(session) is None


@pytest.mark.committing
async def test_a_real_commit_ends_the_role_and_the_tenant(engine: AsyncEngine) -> None:
    """Outside the tests' savepoints: the settings are transaction-local, so a pooled
    connection never carries them into the next transaction."""
    from api.db import get_sessionmaker

    async with get_sessionmaker()() as session:
        await enter_tenant(session, uuid.uuid4())
        assert await _current_user(session) == TENANT_ROLE
        await session.commit()
        assert await _current_user(session) != TENANT_ROLE
        setting = await session.scalar(text("SELECT current_setting('parley.tenant_id', true)"))
        assert not setting
        await session.rollback()


async def test_an_authenticated_request_runs_confined_to_its_tenant(
    two_tenants: tuple[Account, Conversation, Account, Conversation], sessionmaker: Any
) -> None:
    """The request path: a route whose query forgot the tenant filter still answers only
    the caller's rows, for a user's token and for an API key alike."""
    alice, alice_conversation, bob, bob_conversation = two_tenants
    app: FastAPI = create_app()

    @app.get("/api/_test/forgetful")
    async def forgetful(scope: CurrentScope, session: SessionDep) -> dict[str, Any]:
        ids = (await session.execute(select(Conversation.id))).scalars().all()
        role = (await session.execute(text("SELECT current_user"))).scalar_one()
        return {"ids": [str(i) for i in ids], "role": role}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        as_alice = await client.get("/api/_test/forgetful", headers=alice.headers)
        as_bob = await client.get("/api/_test/forgetful", headers=bob.headers)
        created = await client.post(
            "/api/api-keys", json={"name": "ci", "role": "viewer"}, headers=bob.headers
        )
        assert created.status_code == 201, created.text
        key = created.json()["secret"]
        as_bobs_key = await client.get(
            "/api/_test/forgetful", headers={"Authorization": f"Bearer {key}"}
        )
    assert as_alice.json() == {"ids": [str(alice_conversation.id)], "role": TENANT_ROLE}
    assert as_bob.json() == {"ids": [str(bob_conversation.id)], "role": TENANT_ROLE}
    assert as_bobs_key.json() == {"ids": [str(bob_conversation.id)], "role": TENANT_ROLE}


async def test_every_table_with_a_tenant_id_has_row_level_security_and_the_policy(
    session: AsyncSession,
) -> None:
    tenant_tables = set(
        (
            await session.execute(
                text(
                    "SELECT c.table_name FROM information_schema.columns c "
                    "JOIN information_schema.tables t USING (table_schema, table_name) "
                    "WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' "
                    "AND t.table_type = 'BASE TABLE'"
                )
            )
        ).scalars()
    )
    assert {"conversations", "messages", "users", "channels", "audit_logs"} <= tenant_tables
    protected = {
        row.relname: row
        for row in await session.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, p.polname, p.polcmd::text AS polcmd, "
                "pg_get_expr(p.polqual, p.polrelid) AS using_expr, "
                "pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr, "
                "ARRAY(SELECT rolname FROM pg_roles WHERE oid = ANY(p.polroles)) AS roles "
                "FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
                "WHERE c.relnamespace = current_schema()::regnamespace"
            )
        )
    }
    missing = tenant_tables - protected.keys()
    assert not missing, f"tenant tables without a row-level security policy: {sorted(missing)}"
    for name in tenant_tables:
        policy = protected[name]
        assert policy.relrowsecurity, name
        assert policy.polcmd == "*", name  # every command: select, insert, update, delete
        assert policy.roles == [TENANT_ROLE], name
        for expression in (policy.using_expr, policy.check_expr):
            assert "tenant_id =" in expression and "parley.tenant_id" in expression, name


async def test_the_tenant_role_is_no_superuser_and_cannot_bypass_rls(
    session: AsyncSession,
) -> None:
    row = (
        await session.execute(
            text("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :r"),
            {"r": TENANT_ROLE},
        )
    ).one()
    assert tuple(row) == (False, False, False)


async def test_the_cross_tenant_checks_answer_here_elsewhere_or_nothing(
    session: AsyncSession, two_tenants: tuple[Account, Conversation, Account, Conversation]
) -> None:
    """The narrow way out of the tenant (SECURITY DEFINER functions): a yes/no about the
    other tenants, never their rows; "here" is the transaction's tenant, not the argument."""
    alice, alice_conversation, bob, bob_conversation = two_tenants
    pages = {}
    for conversation in (alice_conversation, bob_conversation):
        channel = await session.get(Channel, conversation.channel_id)
        assert channel is not None
        pages[conversation.tenant_id] = channel.external_id
    emails = {
        t: (await session.execute(select(User.email).where(User.tenant_id == t))).scalar_one()
        for t in (alice.tenant_id, bob.tenant_id)
    }
    await enter_tenant(session, alice.tenant_id)
    checks = CrossTenantChecks(session)
    kind = ChannelKind.MESSENGER
    assert await checks.channel_connected(kind, pages[alice.tenant_id], alice.tenant_id) == "here"
    assert (
        await checks.channel_connected(kind, pages[bob.tenant_id], alice.tenant_id) == "elsewhere"
    )
    assert await checks.channel_connected(kind, "nope", alice.tenant_id) is None
    # Claiming to be Bob changes nothing: the transaction's tenant decides.
    assert await checks.channel_connected(kind, pages[bob.tenant_id], bob.tenant_id) == "elsewhere"
    assert await checks.email_in_use(emails[alice.tenant_id], alice.tenant_id) == "here"
    assert await checks.email_in_use(emails[bob.tenant_id], alice.tenant_id) == "elsewhere"
    assert await checks.email_in_use("free@example.com", alice.tenant_id) is None
    await session.rollback()
    # Without row-level security the argument names the tenant.
    assert await checks.channel_connected(kind, pages[bob.tenant_id], bob.tenant_id) == "here"
