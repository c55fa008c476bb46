"""WhatsApp templates at metasim: the paginated Graph listing, the checks a template send
passes, status webhooks that change what may be sent, and the opt-in throughput and
pair-rate limits (with the measured peak per number)."""

from typing import Any

import httpx
import pytest
import respx

from metasim.fixtures import ANA_ID, BEN_ID, LIMA_NUMBER_ID, LIMA_WABA_ID, OKAFOR_WABA_ID
from tests.metasim.flows import VERSION, bearer, graph_error, mint_token

SAMPLE_NAMES = [
    ("appointment_reminder", "en_US"),
    ("hello_world", "en_US"),
    ("invoice_ready", "en_US"),
    ("order_update", "en_US"),
    ("order_update", "pt_BR"),
    ("spring_sale", "en_US"),
    ("verification_code", "en_US"),
    ("welcome_back", "en_US"),
]
ORDER_COMPONENTS = [
    {"type": "header", "parameters": [{"type": "text", "text": "#4412"}]},
    {"type": "body", "parameters": [{"type": "text", "text": v} for v in ("Ana", "#4412", "soon")]},
    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "4412"}]},
]  # fmt: skip


@pytest.fixture
async def ana(sim: httpx.AsyncClient) -> str:
    return await mint_token(sim, ANA_ID)


async def list_templates(
    sim: httpx.AsyncClient, token: str, waba: str = LIMA_WABA_ID, **params: str
) -> httpx.Response:
    return await sim.get(
        f"/{VERSION}/{waba}/message_templates", params=params, headers=bearer(token)
    )


def template_body(name: str, language: str = "en_US", components: Any = None, to: str = "15550100042") -> dict[str, Any]:  # fmt: skip
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components is not None:
        template["components"] = components
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": template,
    }


async def send(sim: httpx.AsyncClient, token: str, body: dict[str, Any]) -> httpx.Response:
    return await sim.post(f"/{VERSION}/{LIMA_NUMBER_ID}/messages", json=body, headers=bearer(token))


# --- listing -----------------------------------------------------------------------------


async def test_the_listing_is_cursor_paginated_by_name(sim: httpx.AsyncClient, ana: str) -> None:
    seen: list[tuple[str, str]] = []
    params = {"limit": "3", "fields": "id,name,language,status,components,parameter_format"}
    pages = 0
    while True:
        response = await list_templates(sim, ana, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        seen += [(t["name"], t["language"]) for t in body["data"]]
        if "next" not in body.get("paging", {}):
            break
        assert body["paging"]["next"].startswith("http")
        params = {**params, "after": body["paging"]["cursors"]["after"]}

    assert pages == 3
    assert seen == SAMPLE_NAMES
    first = (await list_templates(sim, ana, limit="1", fields="name,components")).json()["data"][0]
    assert set(first) == {"id", "name", "components"}
    assert first["components"][0] == {"type": "HEADER", "format": "IMAGE"}


async def test_the_listing_filters_and_checks_fields(sim: httpx.AsyncClient, ana: str) -> None:
    approved = (await list_templates(sim, ana, status="APPROVED")).json()["data"]
    orders = (await list_templates(sim, ana, name="order_update")).json()["data"]
    unknown = await list_templates(sim, ana, fields="name,nope")

    assert {t["status"] for t in approved} == {"APPROVED"} and len(approved) == 6
    assert sorted(t["language"] for t in orders) == ["en_US", "pt_BR"]
    assert graph_error(unknown)["code"] == 100
    default = (await list_templates(sim, ana, limit="1")).json()["data"][0]
    assert set(default) == {"id", "name", "language", "category", "status", "components"}


async def test_the_listing_needs_a_token_reaching_the_waba(sim: httpx.AsyncClient) -> None:
    ben = await mint_token(sim, BEN_ID)
    ana_without_scope = await mint_token(sim, ANA_ID, scopes=["whatsapp_business_messaging", "business_management"])  # fmt: skip

    other = await list_templates(sim, ben)
    denied = await list_templates(sim, ana_without_scope)
    own = await list_templates(sim, ben, waba=OKAFOR_WABA_ID)

    assert (graph_error(other)["code"], graph_error(other)["error_subcode"]) == (100, 33)
    assert graph_error(denied)["code"] == 200
    assert own.status_code == 200 and len(own.json()["data"]) == len(SAMPLE_NAMES)


async def test_the_listing_takes_faults(sim: httpx.AsyncClient, ana: str) -> None:
    fault = {"endpoint": "message_templates", "code": 80007, "message": "(#80007) rate limit"}
    assert (await sim.post("/_sim/faults", json=fault)).status_code == 201
    assert graph_error(await list_templates(sim, ana))["code"] == 80007
    assert (await list_templates(sim, ana)).status_code == 200


async def test_added_templates_and_new_wabas(sim: httpx.AsyncClient, ana: str) -> None:
    added = await sim.post(
        "/_sim/whatsapp/templates",
        json={
            "waba_id": LIMA_WABA_ID,
            "name": "zz_custom",
            "language": "de",
            "components": [{"type": "BODY", "text": "Hallo {{1}}"}],
        },
    )
    assert added.status_code == 201, added.text
    names = [(t["name"], t["language"]) for t in (await list_templates(sim, ana, limit="100")).json()["data"]]  # fmt: skip
    assert names[-1] == ("zz_custom", "de")
    assert (await sim.post("/_sim/whatsapp/templates", json={**added.json(), "waba_id": "9"})).status_code == 404  # fmt: skip

    await sim.put(
        "/_sim/whatsapp/numbers/400000000000777",
        json={"waba_id": "300000000000777", "display_phone_number": "+1 555-010-0777", "verified_name": "Demo", "access_token": "EAAG-demo"},
    )  # fmt: skip
    demo = (await sim.get("/_sim/whatsapp/templates?waba_id=300000000000777")).json()["items"]
    assert [(t["name"], t["language"]) for t in demo] == SAMPLE_NAMES


# --- template sends ------------------------------------------------------------------------


async def test_an_approved_template_goes_to_a_number_that_never_wrote(
    sim: httpx.AsyncClient, ana: str
) -> None:
    response = await send(sim, ana, template_body("order_update", components=ORDER_COMPONENTS))
    hello = await send(sim, ana, template_body("hello_world", to="+44 20 7946 0003"))

    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["message_status"] == "accepted"
    assert hello.json()["contacts"] == [{"input": "+44 20 7946 0003", "wa_id": "442079460003"}]
    text = await send(sim, ana, {**template_body("x"), "type": "text", "text": {"body": "hi"}})
    assert graph_error(text)["code"] == 131026  # free-form still needs the user to write first


@pytest.mark.parametrize(
    ("name", "language", "components", "code", "details"),
    [
        ("nope", "en_US", None, 132001, "template name (nope) does not exist in en_US"),
        ("order_update", "de", ORDER_COMPONENTS, 132001, "does not exist in de"),
        ("spring_sale", "en_US", None, 132001, "does not exist"),  # pending
        ("welcome_back", "en_US", None, 132001, "does not exist"),  # rejected
        ("order_update", "en_US", None, 132000, "header: number of localizable_params (0)"),
        ("order_update", "en_US", ORDER_COMPONENTS[:1], 132000, "body: number of localizable_params (0) does not match the expected number of params (3)"),
        ("hello_world", "en_US", ORDER_COMPONENTS[1:2], 132000, "body"),
        ("appointment_reminder", "en_US", [], 132012, "expected IMAGE, received UNKNOWN"),
        ("invoice_ready", "en_US", [{"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.test/a.png"}}]}], 132012, "expected DOCUMENT, received IMAGE"),
    ],
)  # fmt: skip
async def test_a_template_send_is_checked_against_the_template(
    sim: httpx.AsyncClient,
    ana: str,
    name: str,
    language: str,
    components: Any,
    code: int,
    details: str,
) -> None:
    response = await send(sim, ana, template_body(name, language, components))
    error = graph_error(response)
    assert error["code"] == code
    assert details in error["error_data"]["details"]


async def test_a_status_webhook_changes_what_may_be_sent(
    sim: httpx.AsyncClient, ana: str, webhook_target: respx.Route
) -> None:
    event = {
        "phone_number_id": LIMA_NUMBER_ID,
        "kind": "template_status",
        "template_name": "hello_world",
        "event": "PAUSED",
    }
    delivered = await sim.post("/_sim/whatsapp/events", json=event)
    assert delivered.status_code == 200 and delivered.json()["delivered"] is True

    paused = await send(sim, ana, template_body("hello_world"))
    assert graph_error(paused)["code"] == 132015
    listed = (await list_templates(sim, ana, name="hello_world", fields="name,status")).json()
    assert listed["data"][0]["status"] == "PAUSED"
    assert delivered.json()["template_id"] == int(listed["data"][0]["id"])

    await sim.post("/_sim/whatsapp/events", json={**event, "event": "APPROVED"})
    assert (await send(sim, ana, template_body("hello_world"))).status_code == 200


# --- limits ----------------------------------------------------------------------------------


async def test_throughput_over_the_limit_is_130429_and_the_peak_is_measured(
    sim: httpx.AsyncClient, ana: str
) -> None:
    limits = await sim.post("/_sim/limits", json={"whatsapp_per_second": 3})
    assert limits.json()["whatsapp_per_second"] == 3
    answers = [
        await send(sim, ana, template_body("hello_world", to=f"1555010{i:04d}")) for i in range(4)
    ]

    assert [r.status_code for r in answers] == [200, 200, 200, 400]
    error = graph_error(answers[-1])
    assert error["code"] == 130429
    assert error["error_data"]["details"] == "Cloud API message throughput has been reached."
    measured = (await sim.get("/_sim/limits")).json()
    assert measured["whatsapp_peak_per_second"] == {LIMA_NUMBER_ID: 3}
    assert measured["conversations_per_second"] is None  # left alone


async def test_the_pair_rate_is_per_recipient(sim: httpx.AsyncClient, ana: str) -> None:
    await sim.post("/_sim/limits", json={"whatsapp_pair_interval_ms": 60_000})
    first = await send(sim, ana, template_body("hello_world", to="15550100001"))
    again = await send(sim, ana, template_body("hello_world", to="15550100001"))
    other = await send(sim, ana, template_body("hello_world", to="15550100002"))

    assert (first.status_code, other.status_code) == (200, 200)
    assert graph_error(again)["code"] == 131056
    assert "same phone number" in graph_error(again)["error_data"]["details"]


async def test_limits_are_off_by_default_and_reset_with_the_state(
    sim: httpx.AsyncClient, ana: str
) -> None:
    await sim.post("/_sim/limits", json={"whatsapp_per_second": 1, "whatsapp_pair_interval_ms": 5})
    await sim.delete("/_sim/state")
    ana = await mint_token(sim, ANA_ID)
    answers = [
        await send(sim, ana, template_body("hello_world", to="15550100001")) for _ in range(5)
    ]
    assert {r.status_code for r in answers} == {200}
    assert (await sim.get("/_sim/limits")).json() == {
        "conversations_per_second": None,
        "whatsapp_per_second": None,
        "whatsapp_pair_interval_ms": None,
        "whatsapp_pair_burst": 1,
        "whatsapp_peak_per_second": {LIMA_NUMBER_ID: 5},
    }


async def test_the_pair_rate_lets_a_burst_borrow_ahead(sim: httpx.AsyncClient, ana: str) -> None:
    """As Meta describes it: a burst may go at once, then one per interval."""
    await sim.post(
        "/_sim/limits", json={"whatsapp_pair_interval_ms": 60_000, "whatsapp_pair_burst": 3}
    )
    answers = [
        await send(sim, ana, template_body("hello_world", to="15550100001")) for _ in range(4)
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 400]
    assert graph_error(answers[-1])["code"] == 131056
