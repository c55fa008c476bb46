"""Tenant isolation, generated from the app's routes: tenant A's owner (who may do anything
in A) calls every route with tenant B's ids, and B owns one of every resource.

- A path naming any of B's resources answers 404: never 403 (which would confirm the id
  exists), never 2xx, never 5xx. Where a route takes several ids, each of B's ids is also
  tried alone among A's own.
- A body or query field naming one of B's resources (`channel_id`, `assignee_id`,
  `upload_ids`...) in a write is refused with a 4xx (not 403); in a read it filters to
  nothing.
- No response to A, whatever it is, contains any of B's ids, names or texts (other than
  the ids A itself sent).

Public routes (sign-in, Meta's callbacks, invitation links, legal pages) are left out: they
are not tenant-scoped, the token in their path is the credential. Every call is rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import respx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.main import create_app
from tests.api.security.matrix import (
    MISSING_FACTORY,
    Call,
    Caller,
    Route,
    World,
    api_routes,
    build_world,
    leaks,
    missing_params,
    query_id_params,
    refuse_graph,
    request_body,
)


@dataclass(frozen=True)
class Probe:
    route: Route
    label: str
    call: Call
    foreign_in_path: bool
    fields: tuple[str, ...]  # body/query fields that name a resource
    foreign_fields: tuple[str, ...]  # those that carry B's ids
    sent: frozenset[str]  # B's values the request carries (a 404 may echo them)

    def __str__(self) -> str:
        return f"{self.route} with {self.label}"

    def problem(self, response: httpx.Response) -> str | None:
        status = response.status_code
        if self.foreign_in_path:
            return None if status == 404 else "expected 404"
        if status >= 500 or status == 403:
            return "expected a 4xx other than 403" if self.writes else "expected no 403/5xx"
        if self.foreign_fields and self.writes and status < 400:
            return f"accepted another tenant's {', '.join(self.foreign_fields)}"
        return None

    @property
    def writes(self) -> bool:
        return self.route.method != "GET"


def _probe(
    route: Route,
    spec: Mapping[str, Any],
    a: World,
    b: World,
    label: str,
    path_ids: Mapping[str, str],
    field_ids: Mapping[str, str],
) -> Probe:
    example = request_body(route, spec, field_ids)
    body = example.body
    params = query_id_params(route, field_ids)
    url = route.url(path_ids)
    foreign = set(b.ids.values())
    fields = sorted(example.fields | set(params))
    request = url + json.dumps(body) + json.dumps(params)
    return Probe(
        route=route,
        label=label,
        call=Call(route.method, url, a.owner.headers, json=body, params=params or None),
        foreign_in_path=any(path_ids[p] in foreign for p in route.path_params),
        fields=tuple(fields),
        foreign_fields=tuple(name for name in fields if field_ids[name] in foreign),
        sent=frozenset(value for value in foreign if value in request),
    )


def probes(route: Route, spec: Mapping[str, Any], a: World, b: World) -> Iterator[Probe]:
    theirs, ours = b.ids_for(route.path), a.ids_for(route.path)
    yield _probe(route, spec, a, b, "B's ids", theirs, theirs)
    own = _probe(route, spec, a, b, "A's ids", ours, ours)
    owned_path = [p for p in route.path_params if p in b.owned]
    if len(owned_path) + len(own.fields) < 2:
        return
    for param in owned_path:
        path_ids = {**ours, param: theirs[param]}
        yield _probe(route, spec, a, b, f"B's {{{param}}}", path_ids, ours)
    for name in [field for field in own.fields if field in b.owned]:
        yield _probe(route, spec, a, b, f"B's {name}", ours, {**ours, name: theirs[name]})


async def test_another_tenants_ids_answer_404_and_nothing_of_it_leaks(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: object,
    graph: respx.MockRouter,
) -> None:
    refuse_graph(graph)
    app = create_app()
    spec = app.openapi()
    routes = [route for route in api_routes(app) if not route.public]
    a = await build_world(client, session, "alpha")
    b = await build_world(client, session, "bravo")
    missing = missing_params(routes, b)
    assert not missing, MISSING_FACTORY.format(missing=", ".join(missing))
    call = Caller(client, sessionmaker, redis)

    failures: list[str] = []
    checked = 0
    for route in routes:
        for probe in probes(route, spec, a, b):
            response = await call(probe.call)
            checked += probe.foreign_in_path
            problem = probe.problem(response)
            if problem:
                failures.append(
                    f"{probe}: {problem}, got {response.status_code} {response.text[:160]}"
                )
            leaked = leaks(response, b.markers, set(probe.sent))
            if leaked:
                failures.append(f"{probe}: the response carries B's {leaked}")
    assert checked >= len([r for r in routes if r.path_params])
    assert not failures, f"{len(failures)} isolation failures:\n" + "\n".join(failures)
