"""The simulator's ASGI app: ``uvicorn metasim.main:app --port 8010``."""

from fastapi import FastAPI

from metasim import admin, graph
from metasim.config import SimSettings
from metasim.errors import install_error_handlers
from metasim.state import SimState


def create_app(settings: SimSettings | None = None) -> FastAPI:
    """A fresh simulator with empty state (settings from the environment by default)."""
    app = FastAPI(title="metasim", summary="Local stand-in for Meta's Graph API and webhooks")
    app.state.settings = settings or SimSettings()
    app.state.sim = SimState()
    install_error_handlers(app)
    # Admin routes first: /_sim/... would otherwise match /{version}/{node_id}.
    app.include_router(admin.router)
    app.include_router(graph.router)
    return app


app = create_app()
