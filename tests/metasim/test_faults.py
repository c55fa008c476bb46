"""Faults generalised: an ``endpoint`` per fault, narrowed by object id, oldest first."""

from typing import Any

import httpx
import pytest

from metasim.config import SimSettings
from metasim.fixtures import (
    ANA_ID,
    LIMA_BIKES_PAGE_ID,
    LIMA_GROUP_ID,
    LIMA_OUTLET_PAGE_ID,
    LIMA_WABA_ID,
)
from tests.metasim.flows import (
    VERSION,
    bearer,
    choose_user,
    debug,
    exchange_code,
    graph_error,
    mint_token,
    page_tokens,
)

EXPIRED = {"code": 190, "error_subcode": 463, "message": "Error validating access token"}
PERMISSION = {"code": 200, "message": "(#200) Permissions error"}
RATE_LIMIT = {"code": 4, "message": "(#4) Application request limit reached", "is_transient": True}


async def fault(sim: httpx.AsyncClient, endpoint: str, **spec: Any) -> dict[str, Any]:
    response = await sim.post("/_sim/faults", json={"endpoint": endpoint, **spec})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def get(sim: httpx.AsyncClient, path: str, token: str, **params: str) -> httpx.Response:
    return await sim.get(f"/{VERSION}/{path}", params=params, headers=bearer(token))


async def test_fault_defaults_to_send_and_reports_its_endpoint(sim: httpx.AsyncClient) -> None:
    created = await fault(sim, "send", code=2, message="down")
    default = (await sim.post("/_sim/faults", json={"code": 2, "message": "down"})).json()

    assert created["endpoint"] == "send"
    assert default["endpoint"] == "send"


async def test_unknown_endpoint_is_a_validation_error(sim: httpx.AsyncClient) -> None:
    response = await sim.post("/_sim/faults", json={"endpoint": "nope", "code": 1, "message": "x"})

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_token_exchange_fault_does_not_burn_the_code(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    await fault(sim, "oauth_access_token", **RATE_LIMIT)
    code = await choose_user(sim, sim_settings, ANA_ID)

    limited = await exchange_code(sim, sim_settings, code)
    retried = await exchange_code(sim, sim_settings, code)

    error = graph_error(limited)
    assert (error["code"], error["is_transient"]) == (4, True)
    assert retried.status_code == 200


async def test_debug_token_fault(sim: httpx.AsyncClient, sim_settings: SimSettings) -> None:
    token = await mint_token(sim, ANA_ID)
    await fault(sim, "debug_token", code=613, message="(#613) Calls exceeded the rate limit")

    limited = await sim.get(
        f"/{VERSION}/debug_token",
        params={"input_token": token},
        headers=bearer(f"{sim_settings.app_id}|{sim_settings.app_secret}"),
    )

    assert graph_error(limited)["code"] == 613
    assert (await debug(sim, sim_settings, token))["is_valid"] is True


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ("me_accounts", "me/accounts"),
        ("businesses", "me/businesses"),
        ("whatsapp_accounts", f"{LIMA_GROUP_ID}/owned_whatsapp_business_accounts"),
        ("phone_numbers", f"{LIMA_WABA_ID}/phone_numbers"),
    ],
)
async def test_user_token_endpoints_take_their_own_faults_only(
    sim: httpx.AsyncClient, endpoint: str, path: str
) -> None:
    token = await mint_token(sim, ANA_ID)
    await fault(sim, endpoint, **EXPIRED, http_status=401)
    await fault(sim, "send", **PERMISSION)  # must not leak into other endpoints

    faulted = await get(sim, path, token)
    recovered = await get(sim, path, token)

    assert faulted.status_code == 401
    error = graph_error(faulted)
    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert recovered.status_code == 200, recovered.text
    [remaining] = (await sim.get("/_sim/faults")).json()["items"]
    assert remaining["endpoint"] == "send"


async def test_page_scoped_fault_hits_only_that_page(sim: httpx.AsyncClient) -> None:
    tokens = await page_tokens(sim, await mint_token(sim, ANA_ID))
    await fault(sim, "subscribed_apps", page_id=LIMA_BIKES_PAGE_ID, **PERMISSION)
    params = {"subscribed_fields": "messages"}

    outlet = await sim.post(
        f"/{VERSION}/{LIMA_OUTLET_PAGE_ID}/subscribed_apps",
        params=params,
        headers=bearer(tokens[LIMA_OUTLET_PAGE_ID]),
    )
    bikes = await sim.post(
        f"/{VERSION}/{LIMA_BIKES_PAGE_ID}/subscribed_apps",
        params=params,
        headers=bearer(tokens[LIMA_BIKES_PAGE_ID]),
    )

    assert outlet.status_code == 200
    assert graph_error(bikes)["code"] == 200
    pages = {p["id"]: p for p in (await sim.get("/_sim/pages")).json()["items"]}
    assert pages[LIMA_BIKES_PAGE_ID]["subscribed_fields"] == []
    assert pages[LIMA_OUTLET_PAGE_ID]["subscribed_fields"] == ["messages"]


async def test_conversations_and_profile_faults(sim: httpx.AsyncClient) -> None:
    token = (await page_tokens(sim, await mint_token(sim, ANA_ID)))[LIMA_BIKES_PAGE_ID]
    await fault(sim, "conversations", code=10, message="(#10) Permission denied")
    await fault(sim, "profile", **RATE_LIMIT)

    conversations = await get(sim, f"{LIMA_BIKES_PAGE_ID}/conversations", token)
    profile = await get(sim, "7100000000000001", token)
    page = await get(sim, "me", token)  # reading the page is not a profile read

    assert graph_error(conversations)["code"] == 10
    assert graph_error(profile)["code"] == 4
    assert page.status_code == 200
    assert (await sim.get("/_sim/faults")).json()["items"] == []


async def test_messenger_send_faults_keep_their_behaviour(sim: httpx.AsyncClient) -> None:
    token = (await page_tokens(sim, await mint_token(sim, ANA_ID)))[LIMA_BIKES_PAGE_ID]
    await fault(sim, "me_accounts", **EXPIRED)
    send = {
        "recipient": {"id": "7100000000000001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "hi"},
    }

    response = await sim.post(f"/{VERSION}/me/messages", json=send, headers=bearer(token))

    assert response.status_code == 200
    assert len((await sim.get("/_sim/faults")).json()["items"]) == 1
