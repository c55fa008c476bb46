"""Helpers shared by the metasim tests: the OAuth dance and Graph call shorthands."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from metasim.config import SimSettings

VERSION = "v25.0"
REDIRECT_URI = "https://parley.test/api/channels/meta/callback"
ALL_TEST_SCOPES = (
    "pages_show_list",
    "pages_manage_metadata",
    "pages_messaging",
    "business_management",
    "whatsapp_business_management",
    "whatsapp_business_messaging",
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def app_token(settings: SimSettings) -> str:
    return f"{settings.app_id}|{settings.app_secret}"


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a Meta-shaped failure (checks the envelope on the way)."""
    assert response.status_code >= 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert isinstance(error["message"], str)
    assert error["type"]
    assert error["fbtrace_id"]
    return error


def dialog_params(
    settings: SimSettings, scopes: tuple[str, ...] = ALL_TEST_SCOPES, state: str = "csrf-1"
) -> dict[str, str]:
    return {
        "client_id": settings.app_id,
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "scope": ",".join(scopes),
        "response_type": "code",
    }


def redirect_query(response: httpx.Response) -> dict[str, str]:
    """The query of a 302 back to the redirect_uri, one value per key."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def choose_user(
    sim: httpx.AsyncClient,
    settings: SimSettings,
    user_id: str,
    scopes: tuple[str, ...] = ALL_TEST_SCOPES,
) -> str:
    """Press "Continue as <user>" in the dialog; the code it redirects with."""
    form = {**dialog_params(settings, scopes), "choice": user_id}
    response = await sim.post(f"/{VERSION}/dialog/oauth", data=form)
    return redirect_query(response)["code"]


async def exchange_code(
    sim: httpx.AsyncClient, settings: SimSettings, code: str, **overrides: str
) -> httpx.Response:
    params = {
        "client_id": settings.app_id,
        "client_secret": settings.app_secret,
        "redirect_uri": REDIRECT_URI,
        "code": code,
        **overrides,
    }
    return await sim.get(f"/{VERSION}/oauth/access_token", params=params)


async def exchange_for_long(
    sim: httpx.AsyncClient, settings: SimSettings, short_token: str
) -> httpx.Response:
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": settings.app_id,
        "client_secret": settings.app_secret,
        "fb_exchange_token": short_token,
    }
    return await sim.get(f"/{VERSION}/oauth/access_token", params=params)


async def login(
    sim: httpx.AsyncClient,
    settings: SimSettings,
    user_id: str,
    scopes: tuple[str, ...] = ALL_TEST_SCOPES,
) -> str:
    """The whole dance: dialog → code → short-lived → long-lived user token."""
    code = await choose_user(sim, settings, user_id, scopes)
    short = await exchange_code(sim, settings, code)
    assert short.status_code == 200, short.text
    long = await exchange_for_long(sim, settings, short.json()["access_token"])
    assert long.status_code == 200, long.text
    token: str = long.json()["access_token"]
    return token


async def page_tokens(sim: httpx.AsyncClient, user_token: str) -> dict[str, str]:
    """page id → page token, from /me/accounts."""
    response = await sim.get(
        f"/{VERSION}/me/accounts",
        params={"fields": "id,name,access_token"},
        headers=bearer(user_token),
    )
    assert response.status_code == 200, response.text
    return {page["id"]: page["access_token"] for page in response.json()["data"]}


async def debug(sim: httpx.AsyncClient, settings: SimSettings, token: str) -> dict[str, Any]:
    response = await sim.get(
        f"/{VERSION}/debug_token",
        params={"input_token": token},
        headers=bearer(app_token(settings)),
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def mint_token(sim: httpx.AsyncClient, user_id: str, kind: str = "long", **extra: Any) -> str:
    """A user token straight from /_sim/tokens."""
    response = await sim.post("/_sim/tokens", json={"user_id": user_id, "kind": kind, **extra})
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token
