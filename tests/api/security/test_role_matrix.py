"""Every route x every role gives exactly the permission table's answer.

Generated from the app's routes: each route's permission is read off its dependencies
(`api.auth.deps.permission_of`), then every non-public route is called by the tenant's owner,
admin, agent and viewer (users) and by an admin, agent and viewer API key, with path
parameters naming real resources of that tenant. A role without the permission must get
403 `forbidden` naming that permission; a role with it must get past the check (anything
but 401/403, and no 5xx: the minimal `{}` body usually ends in a 422, which FastAPI reports
only after the dependencies, the permission check among them, have run). Without
credentials every one of these routes answers 401. Every call is rolled back, so destructive routes
(deleting the tenant, revoking a key, removing a member) run for real without changing
what the next call sees.
"""

from __future__ import annotations

import httpx
import respx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.permissions import allows
from api.main import create_app
from api.models import Role
from tests.api.security.matrix import (
    MISSING_FACTORY,
    Call,
    Caller,
    Route,
    api_routes,
    build_world,
    missing_params,
    permission_table_problems,
    refuse_graph,
    request_body_schema,
)


def _describe(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:200]}"


def test_every_route_checks_exactly_one_permission_or_is_public() -> None:
    routes = api_routes(create_app())
    assert len(routes) > 40, "the route walk found too few routes"
    problems = permission_table_problems(routes)
    assert not problems, "\n".join(problems)


async def test_every_role_gets_exactly_the_permission_tables_answer(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: object,
    graph: respx.MockRouter,
) -> None:
    refuse_graph(graph)
    routes = [r for r in api_routes(create_app()) if not r.public and len(r.permissions) == 1]
    world = await build_world(client, session, "alpha")
    missing = missing_params(routes, world)
    assert not missing, MISSING_FACTORY.format(missing=", ".join(missing))
    call = Caller(client, sessionmaker, redis)

    mismatches: list[str] = []
    for route in routes:
        body: dict[str, object] | None = {} if request_body_schema(route) else None
        url = route.url(world.ids_for(route.path))
        anonymous = await call(Call(route.method, url, {}, json=body))
        if anonymous.status_code != 401:
            mismatches.append(f"{route} without credentials: {_describe(anonymous)}")
        for principal in world.principals:
            response = await call(Call(route.method, url, principal.headers, json=body))
            problem = _check(route, principal.role, response)
            if problem:
                mismatches.append(f"{route} as {principal.label}: {problem}")
    assert call.count > 7 * len(routes)
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)


def _check(route: Route, role: Role, response: httpx.Response) -> str | None:
    if allows(role, route.permission):
        if response.status_code in (401, 403):
            return f"{role.value} has {route.permission.value} but got {_describe(response)}"
        if response.status_code >= 500:  # e.g. a path that assumes a user, called by a key
            return f"server error: {_describe(response)}"
        return None
    body = response.json() if response.headers.get("content-type") == "application/json" else {}
    if response.status_code != 403 or body.get("error") != "forbidden":
        return f"{role.value} lacks {route.permission.value} but got {_describe(response)}"
    if body.get("permission") != route.permission.value:
        return f"403 names {body.get('permission')!r}, the route needs {route.permission.value}"
    return None
