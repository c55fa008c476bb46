"""schemathesis over `/api/openapi.json`: every operation, called with data generated from
its own schema (hypothesis, derandomized so a run is reproducible), answers without a 5xx,
with a status code the schema declares and a body that matches the schema declared for it.

The cases are generated up front and sent through the test's own client on the test's event
loop (schemathesis's ASGI runner would start its own loop, which the database connections
of the per-test transaction cannot follow). Calls are authenticated as the owner of a tenant
with one of every resource; most cases name that tenant's real resources in their path, so
the handlers run on real rows, the others use generated ids. Every call is rolled back, so
destructive operations (deleting the tenant, revoking keys) run too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.main import create_app
from api.storage import Storage
from tests.api.security.matrix import Caller, World, build_world, refuse_graph

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]

BASE_URL = "http://parley.test"
REAL_IDS_EXAMPLES = 10
GENERATED_EXAMPLES = 6
NUL_EXAMPLES = 3
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Operations that cannot run in-process, and why. (None today: Meta's callbacks answer 4xx
# to unsigned bodies, and destructive operations are rolled back after each call.)
EXCLUDED: dict[str, str] = {}


def generated(strategy: SearchStrategy[Case], count: int) -> list[Case]:
    cases: list[Case] = []

    @given(strategy)
    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases


def cases_for(operation: Operation, ids: Mapping[str, str]) -> list[Case]:
    """Cases naming the tenant's real resources first (when the path has parameters), then
    cases with generated path parameters."""
    names = [p.name for p in operation.path_parameters]
    if not names:
        return generated(operation.as_strategy(), REAL_IDS_EXAMPLES)
    cases = []
    if all(name in ids for name in names):
        real = {name: ids[name] for name in names}
        cases += generated(operation.as_strategy(path_parameters=real), REAL_IDS_EXAMPLES)
    return cases + generated(operation.as_strategy(), GENERATED_EXAMPLES)


def with_nul(value: Any) -> Any:
    """`value` with a NUL character at the end of every string in it."""
    if isinstance(value, str):
        return f"{value}\x00"
    if isinstance(value, dict):
        return {key: with_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_nul(item) for item in value]
    return value


@dataclass
class Run:
    operations: list[Operation]
    world: World
    call: Caller

    def requests(
        self, operation: Operation, limit: int | None = None
    ) -> Iterator[tuple[Case, dict[str, Any]]]:
        """The operation's cases with the request each one makes (as the tenant's owner)."""
        for case in cases_for(operation, self.world.ids_for(operation.path))[:limit]:
            kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=self.world.owner.headers)
            kwargs.pop("cookies", None)
            yield case, kwargs

    async def send(self, kwargs: dict[str, Any]) -> httpx.Response:
        return await self.call.send(kwargs.pop("method"), kwargs.pop("url"), **kwargs)


@pytest.fixture
async def run(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: object,
    graph: respx.MockRouter,
    storage: Storage,  # a real S3 server: readiness and uploads answer as in production
) -> Run:
    refuse_graph(graph)
    served = await client.get("/api/openapi.json")
    assert served.status_code == 200
    assert served.json() == create_app().openapi()
    schema = schemathesis.openapi.from_dict(served.json())
    operations: list[Operation] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an invalid operation: {result.err()}"
        operations.append(result.ok())
    assert len(operations) > 40
    operations = [op for op in operations if op.label not in EXCLUDED]
    world = await build_world(client, session, "alpha")
    return Run(operations, world, Caller(client, sessionmaker, redis))


async def test_every_operation_answers_within_its_schema(run: Run) -> None:
    failures: dict[str, str] = {}
    for operation in run.operations:
        for case, kwargs in run.requests(operation):
            response = await run.send(kwargs)
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                text = str(group).strip()
                for failure in group.exceptions:
                    key = f"{operation.label}: {failure.title}"
                    failures.setdefault(key, f"--- {key}\n{text[:1500]}")
    assert run.call.count > 5 * len(run.operations)
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures.values())


async def test_text_with_nul_characters_is_refused_never_a_server_error(run: Run) -> None:
    """PostgreSQL cannot store NUL in text or jsonb: every string of the generated bodies
    and query parameters gets one, and the answer must still be a 4xx (or a success where
    the value is never stored), not a 500."""
    failures: dict[str, str] = {}
    sent = 0
    for operation in run.operations:
        for _, kwargs in run.requests(operation, limit=NUL_EXAMPLES):
            if not kwargs.get("json") and not kwargs.get("params"):
                continue
            kwargs["json"] = with_nul(kwargs.get("json"))
            kwargs["params"] = with_nul(kwargs.get("params"))
            request = f"{kwargs['method']} {kwargs['url']} {kwargs['params']!r} {kwargs['json']!r}"
            response = await run.send(kwargs)
            sent += 1
            if response.status_code >= 500:
                failures.setdefault(
                    operation.label,
                    f"{request[:400]} -> {response.status_code} {response.text[:200]}",
                )
    assert sent > 30
    assert not failures, f"{len(failures)} operations answered 5xx:\n" + "\n".join(
        failures.values()
    )
