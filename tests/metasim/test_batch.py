"""``POST /_sim/batch``: several events in one signed body, duplicates, shuffled order."""

from typing import Any

import httpx
import respx

from metasim.config import SimSettings
from metasim.fixtures import (
    LIMA_BIKES_PAGE_ID,
    LIMA_NUMBER_ID,
    LIMA_OUTLET_PAGE_ID,
    LIMA_SUPPORT_NUMBER_ID,
    LIMA_WABA_ID,
    OKAFOR_NUMBER_ID,
)
from tests.metasim.signed import payloads, verified_payload


async def batch(sim: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await sim.post("/_sim/batch", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_messenger_batch_is_one_entry_per_event_and_duplicates_are_identical_bytes(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    events = [
        {"page_id": LIMA_BIKES_PAGE_ID, "kind": "text", "psid": "7100000000000001", "text": "a"},
        {"page_id": LIMA_BIKES_PAGE_ID, "kind": "image", "psid": "7100000000000001"},
        {"page_id": LIMA_OUTLET_PAGE_ID, "kind": "read", "psid": "7200000000000001"},
    ]

    result = await batch(sim, product="messenger", events=events, duplicate=2)

    assert (result["delivered"], result["status_code"], result["deliveries"]) == (True, 200, 3)
    assert [event["kind"] for event in result["events"]] == ["text", "image", "read"]
    assert webhook_target.call_count == 3
    bodies = {call.request.content for call in webhook_target.calls}
    assert len(bodies) == 1  # the exact same bytes, three times
    signatures = {call.request.headers["X-Hub-Signature-256"] for call in webhook_target.calls}
    assert len(signatures) == 1
    payload = payloads(webhook_target, sim_settings.app_secret)[0]
    assert [entry["id"] for entry in payload["entry"]] == [
        LIMA_BIKES_PAGE_ID,
        LIMA_BIKES_PAGE_ID,
        LIMA_OUTLET_PAGE_ID,
    ]
    assert all(len(entry["messaging"]) == 1 for entry in payload["entry"])
    first = payload["entry"][0]["messaging"][0]
    assert first["message"] == {"mid": result["events"][0]["mid"], "text": "a"}
    stamps = [entry["messaging"][0]["timestamp"] for entry in payload["entry"]]
    assert stamps == sorted(stamps)
    logged = (await sim.get("/_sim/deliveries")).json()["items"]
    assert [d["copy"] for d in logged] == ["0", "1", "2"]
    assert {d["batch_id"] for d in logged} == {result["batch_id"]}
    assert {d["body"] for d in logged} == {bodies.pop().decode()}


async def test_whatsapp_batch_merges_messages_and_statuses_per_number(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    events = [
        {"phone_number_id": LIMA_NUMBER_ID, "kind": "text", "wa_id": "15551230001"},
        {"phone_number_id": LIMA_NUMBER_ID, "kind": "image", "wa_id": "15551230002"},
        {"phone_number_id": LIMA_NUMBER_ID, "kind": "status", "wamid": "wamid.X", "status": "read"},
        {"phone_number_id": LIMA_SUPPORT_NUMBER_ID, "kind": "text", "wa_id": "15551230003"},
        {"phone_number_id": LIMA_NUMBER_ID, "kind": "template_status"},
        {"phone_number_id": OKAFOR_NUMBER_ID, "kind": "text"},
    ]

    result = await batch(sim, product="whatsapp", events=events)

    payload = verified_payload(webhook_target.calls.last.request, sim_settings.app_secret)
    lima, okafor = payload["entry"]
    assert lima["id"] == LIMA_WABA_ID
    fields = [change["field"] for change in lima["changes"]]
    assert fields == ["messages", "messages", "message_template_status_update"]
    main = lima["changes"][0]["value"]
    assert main["metadata"]["phone_number_id"] == LIMA_NUMBER_ID
    assert [c["wa_id"] for c in main["contacts"]] == ["15551230001", "15551230002"]
    assert [m["type"] for m in main["messages"]] == ["text", "image"]
    assert [s["id"] for s in main["statuses"]] == ["wamid.X"]
    assert list(main) == ["messaging_product", "metadata", "contacts", "messages", "statuses"]
    support = lima["changes"][1]["value"]
    assert support["metadata"]["phone_number_id"] == LIMA_SUPPORT_NUMBER_ID
    assert len(okafor["changes"]) == 1
    assert len(result["events"]) == 6


async def test_shuffled_statuses_arrive_out_of_order_with_their_own_timestamps(
    sim: httpx.AsyncClient, webhook_target: respx.Route, sim_settings: SimSettings
) -> None:
    statuses = ["sent", "delivered", "read"]
    events = [
        {"phone_number_id": LIMA_NUMBER_ID, "kind": "status", "wamid": f"wamid.{n}", "status": s}
        for n in range(4)
        for s in statuses
    ]

    orders = set()
    for _ in range(5):
        await batch(sim, product="whatsapp", events=events, shuffle=True)
        payload = verified_payload(webhook_target.calls.last.request, sim_settings.app_secret)
        [change] = payload["entry"][0]["changes"]
        items = change["value"]["statuses"]
        assert sorted((i["id"], i["status"]) for i in items) == sorted(
            (e["wamid"], e["status"]) for e in events
        )
        # Timestamps follow the order the events were given, not the order in the body.
        by_time = sorted(items, key=lambda i: (int(i["timestamp"]), items.index(i)))
        assert [i["status"] for i in by_time if i["id"] == "wamid.0"] == statuses
        orders.add(tuple((i["id"], i["status"]) for i in items))
    assert len(orders) > 1  # 12 events: the same order five times is (1/12!)^4 unlikely


async def test_batch_events_are_validated(sim: httpx.AsyncClient) -> None:
    response = await sim.post(
        "/_sim/batch",
        json={
            "product": "messenger",
            "events": [{"page_id": LIMA_BIKES_PAGE_ID, "kind": "text"}, {"kind": "nope"}],
        },
    )
    with_url = await sim.post(
        "/_sim/batch",
        json={
            "product": "whatsapp",
            "events": [{"phone_number_id": LIMA_NUMBER_ID, "kind": "text", "url": "http://x"}],
        },
    )

    assert response.status_code == 422
    assert "events.1.page_id" in response.json()["detail"]
    assert with_url.status_code == 422  # the batch has one url, not one per event


async def test_batch_to_another_url(
    sim: httpx.AsyncClient, outgoing: respx.MockRouter, sim_settings: SimSettings
) -> None:
    other = outgoing.post("http://other.test/hook").respond(202)

    result = await batch(
        sim,
        product="messenger",
        events=[{"page_id": LIMA_BIKES_PAGE_ID, "kind": "text"}],
        url="http://other.test/hook",
        duplicate=1,
    )

    assert result["delivered"] is True
    assert [a["status_code"] for a in result["attempts"]] == [202, 202]
    assert other.call_count == 2
