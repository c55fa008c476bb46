"""Reading the audit log: newest first, keyset pages, filters, 422s, roles, tenant isolation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction
from api.models import AuditLog, Role, Tenant
from tests.api.inbox.inbox_data import create_teammate
from tests.helpers import create_account

LOGS = "/api/audit-logs"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Workspace:
    tenant_id: uuid.UUID
    owner_id: uuid.UUID
    headers: dict[str, str]


async def workspace(session: AsyncSession, name: str = "Acme") -> Workspace:
    """A tenant made straight in the tables (so no sign-up entry) and its owner."""
    tenant = Tenant(name=name)
    session.add(tenant)
    await session.commit()
    owner = await create_teammate(session, tenant.id, Role.OWNER)
    return Workspace(tenant.id, owner.user_id, owner.headers)


def entry(tenant_id: uuid.UUID, action: AuditAction, minutes: float, **fields: Any) -> AuditLog:
    return AuditLog(
        tenant_id=tenant_id,
        action=fields.pop("raw_action", action.value),
        created_at=T0 + timedelta(minutes=minutes),
        actor_type=fields.pop("actor_type", "user"),
        details=fields.pop("details", {}),
        **fields,
    )


async def add(session: AsyncSession, *entries: AuditLog) -> list[AuditLog]:
    session.add_all(entries)
    await session.commit()
    return list(entries)


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(LOGS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def actions(items: list[dict[str, Any]]) -> list[str]:
    return [item["action"] for item in items]


# --- the shape and the order ------------------------------------------------------


async def test_an_entry_shows_actor_target_ip_agent_and_details(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await workspace(session)
    member_id = uuid.uuid4()
    (row,) = await add(
        session,
        entry(
            acme.tenant_id,
            AuditAction.MEMBER_ROLE_CHANGED,
            0,
            actor_user_id=acme.owner_id,
            actor_label="owner@acme.test",
            target_type="user",
            target_id=str(member_id),
            target_label="ann@acme.test",
            ip="203.0.113.9",
            user_agent="Firefox/140",
            details={"from": "agent", "to": "admin"},
        ),
    )

    response = await client.get(LOGS, headers=acme.headers)

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": str(row.id),
                "created_at": "2026-11-20T09:00:00Z",
                "action": "team.role_changed",
                "actor": {
                    "type": "user",
                    "user_id": str(acme.owner_id),
                    "api_key_id": None,
                    "label": "owner@acme.test",
                },
                "target": {"type": "user", "id": str(member_id), "label": "ann@acme.test"},
                "ip": "203.0.113.9",
                "user_agent": "Firefox/140",
                "details": {"from": "agent", "to": "admin"},
            }
        ],
        "next_cursor": None,
    }


async def test_an_entry_without_target_or_request_says_so(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await workspace(session)
    await add(
        session,
        entry(acme.tenant_id, AuditAction.CHANNEL_NEEDS_REAUTH, 0, actor_type="system"),
    )

    (item,) = await listed(client, acme.headers)

    assert item["target"] is None
    assert item["actor"] == {"type": "system", "user_id": None, "api_key_id": None, "label": None}
    assert (item["ip"], item["user_agent"], item["details"]) == (None, None, {})


async def test_entries_come_newest_first_in_pages_that_neither_skip_nor_repeat(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await workspace(session)
    # Seven entries, three of them in the same instant (one transaction writes several).
    rows = await add(
        session,
        *[entry(acme.tenant_id, AuditAction.API_KEY_CREATED, m) for m in (0, 1, 2, 2, 2, 3, 4)],
    )
    expected = [str(r.id) for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get(LOGS, params=params, headers=acme.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10

    assert seen == expected
    assert pages == 3


async def test_the_action_list_names_every_action(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await workspace(session)

    response = await client.get(f"{LOGS}/actions", headers=acme.headers)

    assert response.status_code == 200
    names = response.json()
    assert names == [action.value for action in AuditAction]
    assert {"auth.login_failed", "team.role_changed", "channel.connected"} <= set(names)


# --- filters ----------------------------------------------------------------------


@pytest.fixture
async def history(session: AsyncSession) -> Workspace:
    """A small day of Acme's log (minutes after 09:00)."""
    acme = await workspace(session)
    rows = {
        "login": entry(acme.tenant_id, AuditAction.LOGIN_SUCCEEDED, 0, actor_user_id=acme.owner_id),
        "failed": entry(
            acme.tenant_id, AuditAction.LOGIN_FAILED, 5, actor_type="anonymous", ip="198.51.100.7"
        ),
        "invite": entry(
            acme.tenant_id,
            AuditAction.INVITATION_CREATED,
            10,
            actor_user_id=acme.owner_id,
            target_type="invitation",
            target_id="inv-1",
        ),
        "role": entry(
            acme.tenant_id,
            AuditAction.MEMBER_ROLE_CHANGED,
            20,
            actor_user_id=acme.owner_id,
            target_type="user",
            target_id="user-7",
        ),
        "by_key": entry(
            acme.tenant_id,
            AuditAction.WEBHOOK_ENDPOINT_CREATED,
            30,
            actor_type="api_key",
            actor_label="API key Zapier (prly_3f9a1c2b7d4e)",
            target_type="webhook_endpoint",
            target_id="ep-1",
        ),
        "key": entry(
            acme.tenant_id,
            AuditAction.API_KEY_CREATED,
            40,
            actor_user_id=acme.owner_id,
            target_type="api_key",
            target_id="key-1",
        ),
    }
    await add(session, *rows.values())
    return acme


async def test_filter_by_one_action_or_by_a_group_of_actions(
    client: httpx.AsyncClient, session: AsyncSession, history: Workspace
) -> None:
    acme = history
    # `_` is a LIKE wildcard: the group `api_key.` must not match an action like this one.
    await add(
        session, entry(acme.tenant_id, AuditAction.API_KEY_CREATED, 50, raw_action="apixkey.x")
    )

    exact = await listed(client, acme.headers, action="team.role_changed")
    group = await listed(client, acme.headers, action="team.")
    auth = await listed(client, acme.headers, action="auth.")
    keys = await listed(client, acme.headers, action="api_key.")
    unknown = await listed(client, acme.headers, action="team.nothing_like_this")

    assert actions(exact) == ["team.role_changed"]
    assert actions(group) == ["team.role_changed", "team.invitation_created"]
    assert actions(auth) == ["auth.login_failed", "auth.login_succeeded"]
    assert actions(keys) == ["api_key.created"]
    assert unknown == []


async def test_filter_by_actor(client: httpx.AsyncClient, history: Workspace) -> None:
    acme = history

    by_owner = await listed(client, acme.headers, actor_user_id=str(acme.owner_id))
    by_keys = await listed(client, acme.headers, actor_type="api_key")
    anonymous = await listed(client, acme.headers, actor_type="anonymous")
    nobody = await listed(client, acme.headers, actor_user_id=str(uuid.uuid4()))

    assert actions(by_owner) == [
        "api_key.created",
        "team.role_changed",
        "team.invitation_created",
        "auth.login_succeeded",
    ]
    assert actions(by_keys) == ["webhook_endpoint.created"]
    assert [(i["action"], i["ip"]) for i in anonymous] == [("auth.login_failed", "198.51.100.7")]
    assert nobody == []


async def test_filter_by_target(client: httpx.AsyncClient, history: Workspace) -> None:
    acme = history

    users = await listed(client, acme.headers, target_type="user")
    one = await listed(client, acme.headers, target_type="api_key", target_id="key-1")
    other = await listed(client, acme.headers, target_type="api_key", target_id="key-2")

    assert actions(users) == ["team.role_changed"]
    assert actions(one) == ["api_key.created"]
    assert other == []


async def test_filter_by_time_range_since_inclusive_until_exclusive(
    client: httpx.AsyncClient, history: Workspace
) -> None:
    acme = history

    window = await listed(
        client, acme.headers, since="2026-11-20T09:10:00Z", until="2026-11-20T09:30:00Z"
    )
    # Another offset, same instants: 10:10+01:00 is 09:10Z.
    shifted = await listed(
        client, acme.headers, since="2026-11-20T10:10:00+01:00", until="2026-11-20T10:30:00+01:00"
    )
    # No offset is read as UTC.
    naive = await listed(client, acme.headers, since="2026-11-20T09:30:00")
    before = await listed(client, acme.headers, until="2026-11-20T09:05:00Z")

    assert actions(window) == ["team.role_changed", "team.invitation_created"]
    assert shifted == window
    assert actions(naive) == ["api_key.created", "webhook_endpoint.created"]
    assert actions(before) == ["auth.login_succeeded"]


async def test_filters_combine_and_page_together(
    client: httpx.AsyncClient, history: Workspace
) -> None:
    acme = history
    params: dict[str, Any] = {
        "actor_user_id": str(acme.owner_id),
        "since": "2026-11-20T09:05:00Z",
        "limit": 1,
    }

    first = await client.get(LOGS, params=params, headers=acme.headers)
    cursor = first.json()["next_cursor"]
    second = await client.get(LOGS, params={**params, "cursor": cursor}, headers=acme.headers)
    third_cursor = second.json()["next_cursor"]
    third = await client.get(LOGS, params={**params, "cursor": third_cursor}, headers=acme.headers)

    assert actions(first.json()["items"]) == ["api_key.created"]
    assert actions(second.json()["items"]) == ["team.role_changed"]
    assert actions(third.json()["items"]) == ["team.invitation_created"]
    assert third.json()["next_cursor"] is None


# --- bad requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45T00:00:00Z"}, "until"),
        ({"actor_user_id": "not-a-uuid"}, "actor_user_id"),
        ({"actor_type": "robot"}, "actor_type"),
        ({"action": "team.role_changed; drop table"}, "action"),
        ({"action": "Team.Role"}, "action"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"target_id": "x" * 65}, "target_id"),
    ],
)
async def test_bad_filter_values_are_422_naming_the_field(
    client: httpx.AsyncClient, session: AsyncSession, params: dict[str, Any], field: str
) -> None:
    acme = await workspace(session)

    response = await client.get(LOGS, params=params, headers=acme.headers)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert [f["field"] for f in body["fields"]] == [field]


async def test_a_range_that_ends_before_it_starts_is_422(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await workspace(session)

    response = await client.get(
        LOGS,
        params={"since": "2026-11-20T10:00:00Z", "until": "2026-11-20T09:00:00Z"},
        headers=acme.headers,
    )

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_range"
    assert "earlier" in response.json()["detail"]


async def test_a_malformed_cursor_is_a_clear_400(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme = await workspace(session)

    response = await client.get(LOGS, params={"cursor": "%%%nope"}, headers=acme.headers)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_cursor"


# --- who may read, and whose entries --------------------------------------------


@pytest.mark.parametrize("path", [LOGS, f"{LOGS}/actions"])
async def test_only_admins_and_owners_read_the_log(
    client: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    acme = await workspace(session)
    await add(session, entry(acme.tenant_id, AuditAction.LOGIN_SUCCEEDED, 0))
    statuses = {}
    for role in Role:
        member = await create_teammate(session, acme.tenant_id, role)
        statuses[role] = (await client.get(path, headers=member.headers)).status_code
    anonymous = await client.get(path)

    assert statuses == {Role.OWNER: 200, Role.ADMIN: 200, Role.AGENT: 403, Role.VIEWER: 403}
    assert anonymous.status_code == 401


async def test_an_agent_is_told_why_not(client: httpx.AsyncClient, session: AsyncSession) -> None:
    acme = await workspace(session)
    agent = await create_teammate(session, acme.tenant_id, Role.AGENT)

    response = await client.get(LOGS, headers=agent.headers)

    assert response.json()["error"] == "forbidden"
    assert "audit:read" in response.json()["detail"]


async def test_a_tenant_sees_only_its_own_entries_whatever_the_filter(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme, globex = await workspace(session, "Acme"), await workspace(session, "Globex")
    (theirs,) = await add(
        session,
        entry(
            globex.tenant_id,
            AuditAction.MEMBER_ROLE_CHANGED,
            0,
            actor_user_id=globex.owner_id,
            target_type="user",
            target_id="u-globex",
        ),
    )
    (ours,) = await add(session, entry(acme.tenant_id, AuditAction.LOGIN_SUCCEEDED, 1))

    everything = await listed(client, acme.headers)
    by_their_actor = await listed(client, acme.headers, actor_user_id=str(globex.owner_id))
    by_their_target = await listed(client, acme.headers, target_id="u-globex")
    by_their_action = await listed(client, acme.headers, action="team.")

    assert [i["id"] for i in everything] == [str(ours.id)]
    assert by_their_actor == by_their_target == by_their_action == []
    assert [i["id"] for i in await listed(client, globex.headers)] == [str(theirs.id)]


async def test_a_cursor_from_another_tenant_reveals_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    acme, globex = await workspace(session, "Acme"), await workspace(session, "Globex")
    await add(
        session,
        *[entry(globex.tenant_id, AuditAction.LOGIN_SUCCEEDED, m) for m in range(3)],
    )
    page = await client.get(LOGS, params={"limit": 1}, headers=globex.headers)
    cursor = page.json()["next_cursor"]
    assert cursor is not None

    response = await client.get(LOGS, params={"cursor": cursor}, headers=acme.headers)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_entries_written_by_the_api_show_up_with_the_callers_ip_and_agent(
    client: httpx.AsyncClient,
) -> None:
    account = await create_account(client)
    created = await client.post(
        "/api/api-keys",
        json={"name": "Zapier", "role": "agent"},
        headers={**account.headers, "User-Agent": "AuditTest/1.0"},
    )
    assert created.status_code == 201, created.text

    (item,) = await listed(client, account.headers, action="api_key.created")

    assert item["actor"]["type"] == "user"
    assert item["actor"]["user_id"] == str(account.user_id)
    assert item["actor"]["label"] == account.email
    assert item["target"]["type"] == "api_key"
    assert item["target"]["id"] == created.json()["id"]
    assert item["ip"] == "127.0.0.1"
    assert item["user_agent"] == "AuditTest/1.0"
    assert created.json()["secret"] not in str(item)
