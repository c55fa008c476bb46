"""Fixtures for the metasim tests: a fresh in-process simulator per test, no network.

Outgoing webhook POSTs are captured with respx; the simulator itself is reached through
``httpx.ASGITransport``, which respx does not intercept.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import respx
from fastapi import FastAPI

from metasim.config import SimSettings
from metasim.main import create_app

PAGE_ID = "104857600000001"
PAGE_TOKEN = "EAAG-page-one-token"
CUSTOMER_PSID = "7000000000000001"


@pytest.fixture
def sim_settings() -> SimSettings:
    """Settings with a test secret and a webhook URL that only respx answers."""
    return SimSettings(
        app_secret="test-app-secret",
        app_id="200000000000002",
        webhook_url="http://parley.test/api/webhooks/meta",
    )


@pytest.fixture
def sim_app(sim_settings: SimSettings) -> FastAPI:
    """A fresh simulator app (own state) for each test."""
    return create_app(sim_settings)


@pytest.fixture
async def sim(sim_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the in-process simulator."""
    transport = httpx.ASGITransport(app=sim_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metasim") as client:
        yield client
        # Automatic echoes/statuses still waiting must not fire into a later test.
        sim_app.state.sim.cancel_background()


@pytest.fixture
def outgoing() -> Iterator[respx.MockRouter]:
    """Every outgoing HTTP request must match a respx route (no real network)."""
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def webhook_target(outgoing: respx.MockRouter, sim_settings: SimSettings) -> respx.Route:
    """The configured webhook URL, answering 200 and recording what it received."""
    return outgoing.post(sim_settings.webhook_url).respond(200)


@pytest.fixture
async def page(sim: httpx.AsyncClient) -> dict[str, str]:
    """A registered page: its id, name and (page) access token."""
    body = {"name": "Acme Bikes", "access_token": PAGE_TOKEN}
    response = await sim.put(f"/_sim/pages/{PAGE_ID}", json=body)
    assert response.status_code == 200
    return {"id": PAGE_ID, "name": "Acme Bikes", "token": PAGE_TOKEN}


@pytest.fixture
async def customer(
    sim: httpx.AsyncClient, page: dict[str, str], webhook_target: respx.Route
) -> str:
    """The PSID of a customer who has written to ``page`` (so the page may reply)."""
    body = {"page_id": page["id"], "text": "Hi", "psid": CUSTOMER_PSID, "first_name": "Dana"}
    response = await sim.post("/_sim/messenger/deliver", json=body)
    assert response.json()["delivered"] is True
    return CUSTOMER_PSID


class SyncASGITransport(httpx.BaseTransport):
    """Lets the CLI's synchronous client reach the in-process app.

    Each request runs on a short-lived event loop in a worker thread, so the test's own
    event loop is left alone.
    """

    def __init__(self, app: FastAPI) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._executor = ThreadPoolExecutor(max_workers=1)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._executor.submit(asyncio.run, self._send(request)).result()

    async def _send(self, request: httpx.Request) -> httpx.Response:
        request.stream = httpx.ByteStream(request.read())
        response = await self._transport.handle_async_request(request)
        return httpx.Response(
            response.status_code, headers=response.headers, content=await response.aread()
        )

    def close(self) -> None:
        self._executor.shutdown()


@pytest.fixture
def sim_http(sim_app: FastAPI) -> Iterator[httpx.Client]:
    """A synchronous client bound to the in-process simulator, as the CLI needs."""
    transport = SyncASGITransport(sim_app)
    with httpx.Client(transport=transport, base_url="http://metasim") as client:
        yield client
