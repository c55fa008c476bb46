"""metasim in process for the worker tests that send through it (Parley's Graph client
talks to it over ASGI); each test module registers the numbers and pages it needs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.config import get_settings
from api.meta.graph import GraphClient
from metasim.config import SimSettings
from metasim.main import create_app


@pytest.fixture
async def sim_app() -> AsyncIterator[FastAPI]:
    app = create_app(
        SimSettings(
            app_secret="test-app-secret",
            app_id=get_settings().meta.app_id,
            webhook_url="http://127.0.0.1:9/nowhere",  # tests take the bodies from its log
        )
    )
    yield app
    app.state.sim.cancel_background()


@pytest.fixture
async def sim_graph(sim_app: FastAPI) -> AsyncIterator[GraphClient]:
    """Parley's Graph client, talking to metasim instead of Meta."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim_app))
    yield GraphClient(get_settings(), http=http)
    await http.aclose()
