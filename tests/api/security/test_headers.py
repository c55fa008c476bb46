"""Security headers on every API response: JSON, errors (4xx and an unexpected 500), the
HTML pages the API serves, and Swagger UI; HSTS only over https (or when forced)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from api.config import Environment, SecuritySettings, Settings, get_settings
from api.main import create_app
from api.models import DataDeletionRequest
from api.security.headers import DOCS_CSP, HTML_PAGE_CSP, JSON_CSP, SecurityHeadersMiddleware

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}


def assert_hardened(response: httpx.Response, csp: str = JSON_CSP) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.headers)
    assert response.headers["content-security-policy"] == csp
    assert "camera=()" in response.headers["permissions-policy"]


def with_security(**changes: object) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"security": settings.security.model_copy(update=changes)})


@pytest.fixture
async def app_client(sessionmaker: object, redis: object) -> AsyncIterator[httpx.AsyncClient]:
    """A client over an app with one route that fails unexpectedly."""
    app: FastAPI = create_app()

    @app.get("/api/_test/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        yield client


async def test_json_and_error_responses_carry_the_headers(
    app_client: httpx.AsyncClient,
) -> None:
    responses = {
        "ok": await app_client.get("/api/healthz"),
        "unauthenticated": await app_client.get("/api/auth/me"),
        "unknown route": await app_client.get("/api/nothing-here"),
        "validation": await app_client.post("/api/auth/login", json={"email": "x"}),
        "method": await app_client.delete("/api/healthz"),
        "unexpected": await app_client.get("/api/_test/boom"),
    }
    assert {k: r.status_code for k, r in responses.items()} == {
        "ok": 200,
        "unauthenticated": 401,
        "unknown route": 404,
        "validation": 422,
        "method": 405,
        "unexpected": 500,
    }
    for response in responses.values():
        assert_hardened(response)
    assert "strict-transport-security" not in responses["ok"].headers  # plain http


async def test_the_html_pages_get_a_policy_for_their_inline_styles(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    session.add(
        DataDeletionRequest(
            confirmation_code="abc123",
            fb_user_id="42",
            summary="All done.",
            requested_at=datetime.now(UTC),
        )
    )
    await session.commit()
    page = await client.get("/api/meta/data-deletion/abc123")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_hardened(page, HTML_PAGE_CSP)
    assert "script-src" not in HTML_PAGE_CSP and "frame-ancestors 'none'" in HTML_PAGE_CSP


async def test_hsts_over_https_only_unless_forced(client: httpx.AsyncClient) -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="https://parley.test") as tls:
        secure = await tls.get("/api/healthz")
    assert secure.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"

    forced = create_app(with_security(hsts=True, hsts_max_age_seconds=600))
    transport = httpx.ASGITransport(app=forced)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as plain:
        response = await plain.get("/api/healthz")
    assert response.headers["strict-transport-security"] == "max-age=600; includeSubDomains"


async def test_swagger_ui_gets_its_own_policy_and_is_off_in_production(
    client: httpx.AsyncClient,
) -> None:
    docs = await client.get("/api/docs")  # tests run with ENVIRONMENT=test: docs on
    assert docs.status_code == 200
    assert_hardened(docs, DOCS_CSP)
    assert "cdn.jsdelivr.net" in docs.text  # what the policy allows is what the page loads

    transport = httpx.ASGITransport(app=create_app(with_security(api_docs=False)))
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as off:
        assert (await off.get("/api/docs")).status_code == 404
        assert (await off.get("/api/openapi.json")).status_code == 200

    production = get_settings().model_copy(update={"environment": Environment.PRODUCTION})
    assert not production.api_docs_enabled
    assert production.model_copy(
        update={"security": SecuritySettings(api_docs=True)}
    ).api_docs_enabled


async def test_a_response_that_sets_its_own_headers_keeps_them() -> None:
    async def page(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html"),
                    (b"content-security-policy", b"default-src 'self'"),
                    (b"cache-control", b"max-age=60"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"<p>hi</p>"})

    app = SecurityHeadersMiddleware(page, SecuritySettings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://parley.test"
    ) as client:
        response = await client.get("/")
    assert response.headers["content-security-policy"] == "default-src 'self'"
    assert response.headers["cache-control"] == "max-age=60"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers.get_list("content-security-policy") == ["default-src 'self'"]
