"""The simulator's ASGI app: ``uvicorn metasim.main:app --port 8010``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from metasim import admin, admin_events, admin_meta, graph, webhooks
from metasim.config import SimSettings
from metasim.errors import install_error_handlers
from metasim.fixtures import load_fixtures
from metasim.state import SimState


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    await webhooks.close_webhook_client()  # the one client every webhook POST shares


def create_app(settings: SimSettings | None = None) -> FastAPI:
    """A fresh simulator (own in-memory state, fixtures loaded); settings from the env."""
    app = FastAPI(
        title="metasim",
        summary="Local stand-in for Meta's Graph API and webhooks",
        lifespan=lifespan,
    )
    app.state.settings = settings or SimSettings()
    sim = SimState(app_id=app.state.settings.app_id, seed=load_fixtures)
    sim.reset()
    app.state.sim = sim
    install_error_handlers(app)
    # Admin routes first: /_sim/... would otherwise match /{version}/{node_id}/{edge}.
    app.include_router(admin.router)
    app.include_router(admin_meta.router)
    app.include_router(admin_events.router)
    app.include_router(graph.router)
    return app


app = create_app()
