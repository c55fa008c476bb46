"""The FastAPI application: `create_app()` wires middleware, error handlers and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from api import health
from api.apikeys.router import router as apikeys_router
from api.audit.router import router as audit_router
from api.auth.router import router as auth_router
from api.channels.router import router as channels_router
from api.config import SecuritySettings, Settings, get_settings
from api.context import RequestContextMiddleware
from api.data.router import router as data_router
from api.db import get_engine
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.gctuning import tune_gc
from api.inbox.outbox_router import router as outbox_router
from api.inbox.router import router as inbox_router
from api.invitations.router import router as invitations_router
from api.legal.router import router as legal_router
from api.logging import configure_logging
from api.meta.router import router as meta_router
from api.observability import metrics, tracing
from api.outgoing.router import router as outgoing_router
from api.redis import get_redis
from api.reports.router import router as reports_router
from api.security.body_limit import BodyLimitMiddleware
from api.security.headers import SecurityHeadersMiddleware
from api.team.router import router as team_router
from api.templates.router import router as templates_router
from api.uploads.router import router as uploads_router
from api.webhooks.lane import WebhookLane
from api.webhooks.router import router as webhooks_router


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    tune_gc()
    yield
    await get_redis().aclose()
    await get_engine().dispose()


class ParleyAPI(FastAPI):
    """FastAPI with the security headers as its very outermost layer: outside Starlette's
    ServerErrorMiddleware, so even an unexpected 500 carries them."""

    def __init__(self, security: SecuritySettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.security = security

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack(), self.security)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.resolved_log_format)
    tracing.configure_tracing(settings.tracing, "parley-api")
    app = ParleyAPI(
        settings.security,
        title="Parley API",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        # Swagger UI loads its script from a CDN: off in production unless SECURITY_API_DOCS.
        docs_url="/api/docs" if settings.api_docs_enabled else None,
        redoc_url=None,
        lifespan=lifespan,
        telemetry=tracing.FASTAPI_TELEMETRY_OFF,  # see api.observability.tracing
    )
    install_error_handlers(app)
    # Innermost: Meta's deliveries go straight to their handler (api.webhooks.lane).
    app.add_middleware(WebhookLane, api=app)
    # An oversized body is refused before anything reads it (and the 413 still gets CORS
    # headers, so a browser sees it).
    app.add_middleware(BodyLimitMiddleware, settings=settings.security)
    if settings.cors_origins:
        # An explicit allowlist (validated: no wildcard); bearer tokens, never cookies.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Retry-After"],
        )
    # Counts and times each request by route template and status, 413s and 500s included.
    app.add_middleware(metrics.HTTPMetricsMiddleware)
    if tracing.enabled():  # a server span per request (off: not in the stack at all)
        app.add_middleware(tracing.TracingMiddleware)
    # Outermost: every later layer (errors, audit, rate limits) sees the request's context.
    app.add_middleware(RequestContextMiddleware)
    api = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
    # Routes are matched one by one in this order (FastAPI tries each until one fits), so
    # the hottest come first: Meta's deliveries, then what agents' screens ask for.
    for router in (
        webhooks_router,
        inbox_router,
        outbox_router,
        health.router,
        auth_router,
        apikeys_router,
        audit_router,
        channels_router,
        meta_router,
        outgoing_router,
        data_router,
        legal_router,
        templates_router,
        team_router,
        invitations_router,
        uploads_router,
        reports_router,
    ):
        api.include_router(router)
    app.include_router(api)
    # Prometheus scrapes it on the api's own port; the reverse proxy never routes it.
    app.add_api_route("/metrics", metrics.endpoint(settings.metrics.token), include_in_schema=False)
    return app
