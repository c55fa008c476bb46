"""The FastAPI application: `create_app()` wires middleware, error handlers and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import health
from api.apikeys.router import router as apikeys_router
from api.auth.router import router as auth_router
from api.channels.router import router as channels_router
from api.config import Settings, get_settings
from api.context import RequestContextMiddleware
from api.db import get_engine
from api.errors import install_error_handlers
from api.inbox.outbox_router import router as outbox_router
from api.inbox.router import router as inbox_router
from api.logging import configure_logging
from api.meta.router import router as meta_router
from api.redis import get_redis
from api.team.router import router as team_router
from api.templates.router import router as templates_router
from api.uploads.router import router as uploads_router
from api.webhooks.router import router as webhooks_router


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    await get_redis().aclose()
    await get_engine().dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Parley API",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    # Outermost: every later layer (errors, audit, rate limits) sees the request's context.
    app.add_middleware(RequestContextMiddleware)
    api = APIRouter(prefix="/api")
    for router in (
        health.router,
        auth_router,
        apikeys_router,
        channels_router,
        meta_router,
        inbox_router,
        outbox_router,
        templates_router,
        team_router,
        uploads_router,
        webhooks_router,
    ):
        api.include_router(router)
    app.include_router(api)
    return app
