"""CORS: an explicit allowlist. Listed origins get Access-Control-Allow-Origin (never with
credentials); any other origin gets none, so a browser on a foreign site cannot read the
API's answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from api.config import Settings, get_settings
from api.main import create_app

ALLOWED = "https://inbox.example.com"
FOREIGN = "https://evil.example.net"


@pytest.fixture
async def cors_client(sessionmaker: object, redis: object) -> AsyncIterator[httpx.AsyncClient]:
    settings = get_settings().model_copy(update={"cors_origins": [ALLOWED]})
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_an_allowed_origin_gets_cors_headers_without_credentials(
    cors_client: httpx.AsyncClient,
) -> None:
    answer = await cors_client.options("/api/auth/login", headers=preflight(ALLOWED))
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in answer.headers
    assert "authorization" in answer.headers["access-control-allow-headers"].lower()

    simple = await cors_client.get("/api/healthz", headers={"Origin": ALLOWED})
    assert simple.headers["access-control-allow-origin"] == ALLOWED
    # The SPA can read how long to wait after a 429.
    assert "retry-after" in simple.headers["access-control-expose-headers"].lower()


async def test_a_foreign_origin_gets_no_allow_origin(cors_client: httpx.AsyncClient) -> None:
    answer = await cors_client.options("/api/auth/login", headers=preflight(FOREIGN))
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    simple = await cors_client.get("/api/healthz", headers={"Origin": FOREIGN})
    assert simple.status_code == 200  # served, but the browser will not let the page read it
    assert "access-control-allow-origin" not in simple.headers
    # Nor a look-alike of the allowed origin.
    for origin in ("http://inbox.example.com", "https://inbox.example.com.evil.net", "null"):
        response = await cors_client.get("/api/healthz", headers={"Origin": origin})
        assert "access-control-allow-origin" not in response.headers, origin


async def test_without_an_allowlist_no_origin_is_allowed(client: httpx.AsyncClient) -> None:
    assert get_settings().cors_origins == []
    response = await client.get("/api/healthz", headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("value", ["*", "https://*.example.com", "null", "inbox.example.com"])
def test_the_allowlist_refuses_wildcards_and_non_origins(value: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(cors_origins=value)


def test_the_allowlist_is_a_list_of_exact_origins() -> None:
    settings = Settings(cors_origins="https://a.example.com/, http://localhost:5173")
    assert settings.cors_origins == ["https://a.example.com", "http://localhost:5173"]
