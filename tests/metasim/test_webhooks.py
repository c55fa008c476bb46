"""Webhook deliveries: Messenger payload shape, signatures over the exact bytes, outcomes."""

import hashlib
import hmac
import json
from typing import Any

import httpx
import respx

from metasim.config import SimSettings


async def deliver(sim: httpx.AsyncClient, **body: str) -> httpx.Response:
    return await sim.post("/_sim/messenger/deliver", json=body)


def expected_signature(secret: str, body: bytes, algorithm: str) -> str:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


def last_request(route: respx.Route) -> httpx.Request:
    request: httpx.Request = route.calls.last.request
    return request


async def test_delivery_is_signed_over_the_exact_bytes(
    sim: httpx.AsyncClient,
    sim_settings: SimSettings,
    page: dict[str, str],
    webhook_target: respx.Route,
) -> None:
    response = await deliver(sim, page_id=page["id"], text="Is my order shipped?")

    assert response.status_code == 200
    request = last_request(webhook_target)
    body = request.content
    secret = sim_settings.app_secret
    assert request.headers["X-Hub-Signature-256"] == expected_signature(secret, body, "sha256")
    assert request.headers["X-Hub-Signature"] == expected_signature(secret, body, "sha1")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Hub-Signature-256"] != expected_signature("other", body, "sha256")


async def test_delivery_body_is_a_messenger_message_event(
    sim: httpx.AsyncClient, page: dict[str, str], webhook_target: respx.Route
) -> None:
    result = (await deliver(sim, page_id=page["id"], text="Hello")).json()

    payload = json.loads(last_request(webhook_target).content)
    assert payload["object"] == "page"
    [entry] = payload["entry"]
    [event] = entry["messaging"]
    assert entry["id"] == page["id"]
    assert entry["time"] > 10**12  # milliseconds
    assert event["sender"] == {"id": result["psid"]}
    assert event["recipient"] == {"id": page["id"]}
    assert event["timestamp"] == entry["time"]
    assert event["message"] == {"mid": result["mid"], "text": "Hello"}
    assert result["mid"].startswith("m_")


async def test_delivery_reports_success_and_a_generated_psid(
    sim: httpx.AsyncClient, page: dict[str, str], webhook_target: respx.Route
) -> None:
    result = (await deliver(sim, page_id=page["id"], text="Hi")).json()

    assert result["delivered"] is True
    assert result["status_code"] == 200
    assert result["error"] is None
    assert len(result["psid"]) == 16
    assert result["psid"].isdigit()


async def test_body_is_encoded_like_meta_so_reserialising_breaks_the_signature(
    sim: httpx.AsyncClient, page: dict[str, str], webhook_target: respx.Route
) -> None:
    await deliver(sim, page_id=page["id"], text="Olá 👋 see https://acme.test/a")

    body = last_request(webhook_target).content
    assert b"\\u00e1" in body
    assert b"https:\\/\\/acme.test\\/a" in body
    parsed: dict[str, Any] = json.loads(body)
    assert parsed["entry"][0]["messaging"][0]["message"]["text"] == "Olá 👋 see https://acme.test/a"
    assert json.dumps(parsed, separators=(",", ":")).encode() != body


async def test_target_failure_is_reported_in_a_200_answer(
    sim: httpx.AsyncClient, page: dict[str, str], outgoing: respx.MockRouter
) -> None:
    outgoing.post("http://parley.test/api/webhooks/meta").respond(403)

    response = await deliver(sim, page_id=page["id"], text="Hi")

    assert response.status_code == 200
    result = response.json()
    assert (result["delivered"], result["status_code"]) == (False, 403)
    assert "403" in result["error"]


async def test_unreachable_target_is_reported(
    sim: httpx.AsyncClient, page: dict[str, str], outgoing: respx.MockRouter
) -> None:
    outgoing.post("http://parley.test/api/webhooks/meta").mock(
        side_effect=httpx.ConnectError("connection refused")
    )

    result = (await deliver(sim, page_id=page["id"], text="Hi")).json()

    assert (result["delivered"], result["status_code"]) == (False, None)
    assert "ConnectError" in result["error"]


async def test_url_override_is_used(
    sim: httpx.AsyncClient, page: dict[str, str], outgoing: respx.MockRouter
) -> None:
    target = outgoing.post("http://elsewhere.test/hook").respond(204)

    result = await deliver(sim, page_id=page["id"], text="Hi", url="http://elsewhere.test/hook")

    assert target.call_count == 1
    assert result.json()["status_code"] == 204


async def test_unknown_page_is_a_404(sim: httpx.AsyncClient, outgoing: respx.MockRouter) -> None:
    response = await deliver(sim, page_id="999", text="Hi")

    assert response.status_code == 404
    assert response.json()["error"] == "page_not_found"
    assert "999" in response.json()["detail"]
    assert outgoing.calls.call_count == 0


async def test_deliveries_are_logged_with_the_signed_body(
    sim: httpx.AsyncClient, page: dict[str, str], webhook_target: respx.Route
) -> None:
    result = (await deliver(sim, page_id=page["id"], text="Hi")).json()

    [logged] = (await sim.get("/_sim/deliveries")).json()["items"]
    assert logged["mid"] == result["mid"]
    assert logged["body"].encode() == last_request(webhook_target).content
    assert (logged["delivered"], logged["status_code"]) == (True, 200)


async def test_known_psid_is_reused_and_default_names_are_stable(
    sim: httpx.AsyncClient, page: dict[str, str], webhook_target: respx.Route
) -> None:
    await deliver(sim, page_id=page["id"], text="one", psid="7000000000000042")
    await deliver(sim, page_id=page["id"], text="two", psid="7000000000000042")
    first = await profile(sim, page, "7000000000000042")
    await sim.delete("/_sim/state")
    await sim.put(f"/_sim/pages/{page['id']}", json={"name": "A", "access_token": page["token"]})
    await deliver(sim, page_id=page["id"], text="again", psid="7000000000000042")

    assert await profile(sim, page, "7000000000000042") == first
    assert first["first_name"]
    assert first["last_name"]
    assert webhook_target.call_count == 3


async def profile(sim: httpx.AsyncClient, page: dict[str, str], psid: str) -> dict[str, Any]:
    response = await sim.get(f"/v25.0/{psid}", headers={"Authorization": f"Bearer {page['token']}"})
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


async def test_deliveries_share_one_client_that_keeps_no_cookies(
    outgoing: respx.MockRouter,
) -> None:
    from metasim.webhooks import close_webhook_client, post_webhook, webhook_client

    url = "http://parley.test/api/webhooks/meta"
    route = outgoing.post(url).respond(200, headers={"Set-Cookie": "session=abc; Path=/"})
    await close_webhook_client()
    first = await post_webhook(url, b"{}", {"Content-Type": "application/json"}, 5.0)
    client = webhook_client()
    second = await post_webhook(url, b"{}", {"Content-Type": "application/json"}, 5.0)

    assert first.delivered and second.delivered
    assert webhook_client() is client  # one client, its connections kept alive
    assert len(client.cookies.jar) == 0  # a target's cookies never come back
    assert "cookie" not in route.calls.last.request.headers
    await close_webhook_client()
    assert client.is_closed
    assert webhook_client() is not client  # the next delivery opens a new one
    await close_webhook_client()
