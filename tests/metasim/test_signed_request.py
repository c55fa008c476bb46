"""signed_request for the deauthorize / data-deletion callbacks, checked like a receiver."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx

from metasim.config import SimSettings
from metasim.fixtures import ANA_ID, BEN_ID, LIMA_BIKES_PAGE_ID
from metasim.signed_request import parse_signed_request
from tests.metasim.flows import VERSION, bearer, debug, graph_error, mint_token, page_tokens

CALLBACK = "https://parley.test/api/meta/deauthorize"


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(secret: str, signed_request: str) -> dict[str, Any]:
    """What a receiver does, written independently of metasim's own parser."""
    encoded_sig, encoded_payload = signed_request.split(".", 1)
    expected = hmac.new(secret.encode(), encoded_payload.encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(b64url_decode(encoded_sig), expected)
    payload: dict[str, Any] = json.loads(b64url_decode(encoded_payload))
    return payload


async def test_built_signed_request_verifies_with_the_app_secret(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    response = await sim.get("/_sim/signed-request", params={"user_id": ANA_ID})

    signed = response.json()["signed_request"]
    assert "=" not in signed  # base64url without padding
    assert signed.count(".") == 1
    payload = verify(sim_settings.app_secret, signed)
    assert payload["algorithm"] == "HMAC-SHA256"
    assert payload["user_id"] == ANA_ID
    assert abs(payload["issued_at"] - time.time()) < 60
    assert parse_signed_request(sim_settings.app_secret, signed) == payload
    assert parse_signed_request("another-secret", signed) is None


async def test_a_tampered_payload_fails_verification(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    signed = (await sim.get("/_sim/signed-request", params={"user_id": ANA_ID})).json()[
        "signed_request"
    ]
    sig, _ = signed.split(".")
    forged_payload = (
        base64.urlsafe_b64encode(
            json.dumps({"algorithm": "HMAC-SHA256", "issued_at": 1, "user_id": BEN_ID}).encode()
        )
        .decode()
        .rstrip("=")
    )

    assert parse_signed_request(sim_settings.app_secret, f"{sig}.{forged_payload}") is None


async def test_data_deletion_posts_the_form_and_returns_the_answer(
    sim: httpx.AsyncClient, sim_settings: SimSettings, outgoing: respx.MockRouter
) -> None:
    answer = {"url": "https://parley.test/deletion/abc", "confirmation_code": "abc"}
    target = outgoing.post("https://parley.test/api/meta/data-deletion").respond(200, json=answer)

    response = await sim.post(
        "/_sim/signed-request",
        json={
            "user_id": BEN_ID,
            "kind": "data_deletion",
            "url": "https://parley.test/api/meta/data-deletion",
        },
    )

    assert response.status_code == 200
    result = response.json()
    assert result["status_code"] == 200
    assert json.loads(result["body"]) == answer
    assert result["json"] == answer
    request = target.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    [posted] = parse_qs(request.content.decode())["signed_request"]
    assert posted == result["signed_request"]
    assert verify(sim_settings.app_secret, posted)["user_id"] == BEN_ID
    [logged] = (await sim.get("/_sim/deliveries")).json()["items"]
    assert (logged["kind"], logged["user_id"]) == ("data_deletion", BEN_ID)


async def test_deauthorize_revokes_the_users_tokens(
    sim: httpx.AsyncClient, sim_settings: SimSettings, outgoing: respx.MockRouter
) -> None:
    outgoing.post(CALLBACK).respond(200)
    ana = await mint_token(sim, ANA_ID)
    page_token = (await page_tokens(sim, ana))[LIMA_BIKES_PAGE_ID]
    ben = await mint_token(sim, BEN_ID)

    await sim.post(
        "/_sim/signed-request", json={"user_id": ANA_ID, "kind": "deauthorize", "url": CALLBACK}
    )

    me = await sim.get(f"/{VERSION}/me", headers=bearer(ana))
    page = await sim.get(f"/{VERSION}/me", headers=bearer(page_token))
    assert (graph_error(me)["code"], graph_error(me)["error_subcode"]) == (190, 458)
    assert graph_error(page)["code"] == 190
    assert (await debug(sim, sim_settings, ana))["is_valid"] is False
    assert (await debug(sim, sim_settings, ben))["is_valid"] is True


async def test_unreachable_callback_is_reported(
    sim: httpx.AsyncClient, outgoing: respx.MockRouter
) -> None:
    outgoing.post(CALLBACK).mock(side_effect=httpx.ConnectError("refused"))

    response = await sim.post(
        "/_sim/signed-request", json={"user_id": ANA_ID, "kind": "data_deletion", "url": CALLBACK}
    )

    result = response.json()
    assert (result["status_code"], result["body"]) == (None, None)
    assert "ConnectError" in result["error"]


async def test_bad_requests_are_validation_errors(sim: httpx.AsyncClient) -> None:
    bad_kind = await sim.post(
        "/_sim/signed-request", json={"user_id": ANA_ID, "kind": "other", "url": CALLBACK}
    )
    bad_user = await sim.get("/_sim/signed-request", params={"user_id": "ana"})

    assert bad_kind.status_code == 422
    assert bad_user.status_code == 422
