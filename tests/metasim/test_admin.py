"""The /_sim control API: pages, health, reset and its error shape."""

import httpx
import respx

from metasim.fixtures import PAGES
from metasim.main import create_app

FIXTURE_PAGE_IDS = {page_id for page_id, _, _ in PAGES}


async def test_healthz(sim: httpx.AsyncClient) -> None:
    response = await sim.get("/_sim/healthz")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


async def test_put_page_is_idempotent_and_never_echoes_the_token(
    sim: httpx.AsyncClient,
) -> None:
    body = {"name": "Acme", "access_token": "EAAG-secret-token"}
    first = await sim.put("/_sim/pages/104857600000009", json=body)
    second = await sim.put("/_sim/pages/104857600000009", json={**body, "name": "Acme Bikes"})
    listed = await sim.get("/_sim/pages")

    assert first.json() == {"id": "104857600000009", "name": "Acme"}
    assert second.json() == {"id": "104857600000009", "name": "Acme Bikes"}
    [mine] = [p for p in listed.json()["items"] if p["id"] == "104857600000009"]
    assert mine == {
        "id": "104857600000009",
        "name": "Acme Bikes",
        "category": "Business",
        "subscribed_fields": [],
        "subscribed_apps": {},
    }
    assert "EAAG-secret-token" not in first.text + second.text + listed.text


async def test_updated_token_replaces_the_old_one(
    sim: httpx.AsyncClient, page: dict[str, str]
) -> None:
    await sim.put(f"/_sim/pages/{page['id']}", json={"name": "A", "access_token": "EAAG-new"})

    old = await sim.get("/v25.0/me", headers={"Authorization": f"Bearer {page['token']}"})
    new = await sim.get("/v25.0/me", headers={"Authorization": "Bearer EAAG-new"})

    assert old.status_code == 400
    assert new.status_code == 200


async def test_token_of_another_page_is_a_conflict(
    sim: httpx.AsyncClient, page: dict[str, str]
) -> None:
    body = {"name": "Copycat", "access_token": page["token"]}

    response = await sim.put("/_sim/pages/104857600000002", json=body)

    assert response.status_code == 409
    assert response.json()["error"] == "token_in_use"
    assert page["token"] not in response.text


async def test_invalid_admin_payload_uses_the_error_shape(sim: httpx.AsyncClient) -> None:
    response = await sim.put("/_sim/pages/1", json={"name": ""})

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert "access_token" in body["detail"]


async def test_me_is_not_a_valid_page_id(sim: httpx.AsyncClient) -> None:
    response = await sim.put("/_sim/pages/me", json={"name": "x", "access_token": "t"})

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_page_id"


async def test_reset_forgets_everything(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str, webhook_target: respx.Route
) -> None:
    await sim.post("/_sim/faults", json={"code": 2, "message": "down"})
    send = {"recipient": {"id": customer}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    await sim.post(
        "/v25.0/me/messages", json=send, headers={"Authorization": f"Bearer {page['token']}"}
    )

    response = await sim.delete("/_sim/state")

    assert response.status_code == 200
    for listing in ("sent", "calls", "faults", "deliveries"):
        assert (await sim.get(f"/_sim/{listing}")).json()["items"] == [], listing
    pages = (await sim.get("/_sim/pages")).json()["items"]
    assert {p["id"] for p in pages} == FIXTURE_PAGE_IDS
    gone = await sim.get(f"/v25.0/{customer}", headers={"Authorization": f"Bearer {page['token']}"})
    assert gone.json()["error"]["code"] == 190


async def test_each_app_has_its_own_state(page: dict[str, str]) -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://metasim") as other:
        pages = (await other.get("/_sim/pages")).json()["items"]
    assert {p["id"] for p in pages} == FIXTURE_PAGE_IDS  # fixtures only, not `page`
