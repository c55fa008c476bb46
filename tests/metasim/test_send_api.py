"""The imitated Messenger Send API: auth, validation, recording and fault injection."""

from typing import Any

import httpx
import pytest

VERSION = "v25.0"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def text_message(psid: str, text: str = "Thanks, on it!") -> dict[str, Any]:
    return {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}}


async def send(
    sim: httpx.AsyncClient, page: dict[str, str], body: dict[str, Any], node: str | None = None
) -> httpx.Response:
    path = f"/{VERSION}/{node or page['id']}/messages"
    return await sim.post(path, json=body, headers=bearer(page["token"]))


async def sent_calls(sim: httpx.AsyncClient, **filters: str) -> list[dict[str, Any]]:
    response = await sim.get("/_sim/sent", params=filters)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def graph_error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]
    return error


async def test_send_text_succeeds_and_is_recorded(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await send(sim, page, text_message(customer, "Hello Dana"))

    assert response.status_code == 200
    result = response.json()
    assert result["recipient_id"] == customer
    assert result["message_id"].startswith("m_")
    [call] = await sent_calls(sim)
    assert call["page_id"] == page["id"]
    assert call["path"] == f"/{VERSION}/{page['id']}/messages"
    assert call["version"] == VERSION
    assert call["body"]["message"] == {"text": "Hello Dana"}
    assert call["token_in_query"] is False
    assert call["status_code"] == 200
    assert call["response"] == result
    assert call["received_at"]


async def test_send_to_me_uses_the_page_of_the_token(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await send(sim, page, text_message(customer), node="me")

    assert response.status_code == 200
    [call] = await sent_calls(sim)
    assert call["page_id"] == page["id"]
    assert call["path"] == f"/{VERSION}/me/messages"


async def test_any_major_version_is_accepted_recorded_and_logged(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await sim.post(
        f"/v26.0/{page['id']}/messages", json=text_message(customer), headers=bearer(page["token"])
    )

    assert response.status_code == 200
    [call] = await sent_calls(sim)
    assert call["version"] == "v26.0"
    assert "METASIM_GRAPH_VERSION is v25.0" in caplog.text


async def test_malformed_version_is_a_graph_error(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    bad = await sim.post(
        f"/25/{page['id']}/messages", json=text_message(customer), headers=bearer(page["token"])
    )

    assert bad.status_code == 400
    assert graph_error(bad)["code"] == 2500


async def test_wrong_token_is_rejected_with_code_190_and_recorded(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await send(sim, {**page, "token": "EAAG-not-a-real-token"}, text_message(customer))

    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == 190
    assert error["message"] == "Invalid OAuth access token - Cannot parse access token"
    [call] = await sent_calls(sim)
    assert call["status_code"] == 400
    assert call["response"]["error"]["code"] == 190


async def test_another_pages_token_is_rejected_with_code_190(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    other = {"name": "Other page", "access_token": "EAAG-other-page-token"}
    await sim.put("/_sim/pages/104857600000002", json=other)

    response = await send(sim, {**page, "token": "EAAG-other-page-token"}, text_message(customer))

    assert response.status_code == 400
    assert graph_error(response)["code"] == 190


async def test_missing_token_is_rejected(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await sim.post(f"/{VERSION}/{page['id']}/messages", json=text_message(customer))

    assert response.status_code == 400
    assert graph_error(response)["code"] == 104


async def test_unknown_recipient_is_rejected_with_no_matching_user(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await send(sim, page, text_message("7999999999999999"))

    assert response.status_code == 400
    error = graph_error(response)
    assert (error["code"], error["error_subcode"]) == (100, 2018001)
    assert "No matching user found" in error["message"]


async def test_psids_are_page_scoped(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    other = {"id": "104857600000002", "token": "EAAG-other-page-token"}
    await sim.put(f"/_sim/pages/{other['id']}", json={"name": "B", "access_token": other["token"]})

    response = await send(sim, other, text_message(customer))

    assert response.status_code == 400
    assert graph_error(response)["error_subcode"] == 2018001


async def test_message_tag_requires_a_tag(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    untagged = {**text_message(customer), "messaging_type": "MESSAGE_TAG"}
    tagged = {**untagged, "tag": "HUMAN_AGENT"}

    rejected = await send(sim, page, untagged)
    accepted = await send(sim, page, tagged)

    assert rejected.status_code == 400
    assert graph_error(rejected)["code"] == 100
    assert accepted.status_code == 200


async def test_unknown_messaging_type_is_rejected(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await send(sim, page, {**text_message(customer), "messaging_type": "PROMO"})

    assert response.status_code == 400
    assert graph_error(response)["code"] == 100


async def test_message_without_text_or_attachment_is_rejected(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    empty = {**text_message(customer), "message": {}}
    attachment = {"attachment": {"type": "image", "payload": {"url": "https://x.test/a.png"}}}

    rejected = await send(sim, page, empty)
    accepted = await send(sim, page, {**text_message(customer), "message": attachment})

    assert rejected.status_code == 400
    assert graph_error(rejected)["code"] == 100
    assert accepted.status_code == 200


async def test_text_over_2000_characters_is_rejected(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await send(sim, page, text_message(customer, "x" * 2001))

    assert response.status_code == 400
    assert graph_error(response)["code"] == 100


async def test_non_json_body_is_answered_and_recorded(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await sim.post(
        f"/{VERSION}/{page['id']}/messages", content=b"not json", headers=bearer(page["token"])
    )

    assert response.status_code == 400
    assert graph_error(response)["code"] == 100
    [call] = await sent_calls(sim)
    assert call["body"] == "not json"


async def test_sender_action_answers_recipient_id_only(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    body = {"recipient": {"id": customer}, "sender_action": "typing_on"}

    response = await send(sim, page, body)
    bad = await send(sim, page, {**body, "sender_action": "dance"})

    assert response.status_code == 200
    assert response.json() == {"recipient_id": customer}
    assert bad.status_code == 400


async def test_token_in_query_is_accepted_but_flagged(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await sim.post(
        f"/{VERSION}/{page['id']}/messages",
        params={"access_token": page["token"]},
        json=text_message(customer),
    )

    assert response.status_code == 200
    [call] = await sent_calls(sim)
    assert call["token_in_query"] is True


async def test_fault_answers_the_next_send_once(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    fault = {"code": 613, "message": "Calls to this api have exceeded the rate limit."}
    created = await sim.post("/_sim/faults", json={**fault, "is_transient": True})

    faulted = await send(sim, page, text_message(customer))
    recovered = await send(sim, page, text_message(customer))

    assert created.status_code == 201
    assert faulted.status_code == 400
    error = graph_error(faulted)
    assert (error["code"], error["is_transient"]) == (613, True)
    assert "error_subcode" not in error
    assert recovered.status_code == 200
    assert (await sim.get("/_sim/faults")).json()["items"] == []
    assert [c["status_code"] for c in await sent_calls(sim)] == [400, 200]


async def test_fault_with_count_status_and_subcode(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    fault = {"code": 190, "error_subcode": 463, "message": "Session has expired", "count": 2}
    await sim.post("/_sim/faults", json={**fault, "http_status": 401})

    statuses = [(await send(sim, page, text_message(customer))).status_code for _ in range(3)]

    assert statuses == [401, 401, 200]


async def test_fault_for_another_page_does_not_apply(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    await sim.post("/_sim/faults", json={"page_id": "1", "code": 2, "message": "down"})

    response = await send(sim, page, text_message(customer))

    assert response.status_code == 200
    [remaining] = (await sim.get("/_sim/faults")).json()["items"]
    assert remaining["remaining"] == 1


async def test_sent_filters_by_page_and_recipient(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    await send(sim, page, text_message(customer))
    await send(sim, page, text_message("7999999999999999"))

    by_recipient = await sent_calls(sim, recipient_id=customer)
    by_other_page = await sent_calls(sim, page_id="104857600000002")
    both = await sent_calls(sim, page_id=page["id"])

    assert [c["recipient_id"] for c in by_recipient] == [customer]
    assert by_other_page == []
    assert [c["status_code"] for c in both] == [200, 400]
