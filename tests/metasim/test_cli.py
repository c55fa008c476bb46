"""``python -m metasim``: the CLI against an in-process simulator."""

import json
import time

import httpx
import pytest
import respx

from metasim.cli import main

WEBHOOK_URL = "http://parley.test/api/webhooks/meta"


def register_page(sim_http: httpx.Client) -> None:
    argv = ["page", "104857600000001", "--name", "Acme", "--token", "EAAG-cli-token"]
    assert main(argv, client=sim_http) == 0


def test_page_registers_a_page(sim_http: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    register_page(sim_http)

    printed = json.loads(capsys.readouterr().out)
    assert printed == {"id": "104857600000001", "name": "Acme"}
    listed = sim_http.get("/_sim/pages").json()["items"]
    assert [(p["id"], p["name"]) for p in listed if p["id"] == printed["id"]] == [
        ("104857600000001", "Acme")
    ]


def test_deliver_prints_the_result_and_exits_0(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    register_page(sim_http)
    capsys.readouterr()

    argv = ["deliver", "--page", "104857600000001", "--text", "Hi", "--psid", "7000000000000001"]
    code = main([*argv, "--first-name", "Ana", "--last-name", "Lima"], client=sim_http)

    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["delivered"], printed["psid"]) == (True, "7000000000000001")
    assert target.call_count == 1


def test_deliver_exits_1_when_the_target_refuses(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    outgoing.post(WEBHOOK_URL).respond(500)
    register_page(sim_http)
    capsys.readouterr()

    code = main(["deliver", "--page", "104857600000001", "--text", "Hi"], client=sim_http)

    assert code == 1
    assert json.loads(capsys.readouterr().out)["status_code"] == 500


def test_deliver_to_unknown_page_exits_2(
    sim_http: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deliver", "--page", "999", "--text", "Hi"], client=sim_http)

    assert code == 2
    assert "404" in capsys.readouterr().err


def test_sent_prints_recorded_calls_for_a_page(
    sim_http: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    register_page(sim_http)
    headers = {"Authorization": "Bearer EAAG-cli-token"}
    sim_http.post("/v25.0/me/messages", json={"recipient": {"id": "1"}}, headers=headers)
    capsys.readouterr()

    assert main(["sent", "--page", "104857600000001"], client=sim_http) == 0
    [call] = json.loads(capsys.readouterr().out)["items"]
    assert (call["page_id"], call["status_code"]) == ("104857600000001", 400)
    assert main(["sent", "--page", "1"], client=sim_http) == 0
    assert json.loads(capsys.readouterr().out)["items"] == []


def test_unreachable_sim_exits_2(
    outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    outgoing.get("http://127.0.0.1:9/_sim/sent").mock(side_effect=httpx.ConnectError("refused"))

    code = main(["--sim", "http://127.0.0.1:9", "sent"])

    assert code == 2
    assert "cannot talk to http://127.0.0.1:9" in capsys.readouterr().err


def test_number_registers_a_whatsapp_number(
    sim_http: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["number", "400000000000777", "--waba", "300000000000777", "--display", "+1 555-0777"]

    code = main([*argv, "--name", "Demo Co", "--token", "EAAG-cli-wa"], client=sim_http)

    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["id"], printed["waba_id"], printed["verified_name"]) == (
        "400000000000777",
        "300000000000777",
        "Demo Co",
    )
    headers = {"Authorization": "Bearer EAAG-cli-wa"}
    assert sim_http.get("/v25.0/400000000000777", headers=headers).status_code == 200


def test_deliver_wa_to_a_fixture_number(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    argv = ["deliver-wa", "--number", "400000000000001", "--text", "Hi", "--wa-id", "15551234567"]

    code = main([*argv, "--name", "Zoe"], client=sim_http)

    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["delivered"], printed["wa_id"]) == (True, "15551234567")
    payload = json.loads(target.calls.last.request.content)
    assert payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] == "Zoe"


def test_deliver_wa_to_an_unknown_number_exits_2(
    sim_http: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deliver-wa", "--number", "1", "--text", "Hi"], client=sim_http)

    assert code == 2
    assert "404" in capsys.readouterr().err


def test_sent_filters_by_number(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    outgoing.post(WEBHOOK_URL).respond(200)
    token = sim_http.post("/_sim/tokens", json={"user_id": "10000000000001"}).json()
    main(
        ["deliver-wa", "--number", "400000000000001", "--text", "Hi", "--wa-id", "15550001111"],
        client=sim_http,
    )
    body = {"messaging_product": "whatsapp", "to": "15550001111", "text": {"body": "Hello"}}
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert sim_http.post("/v25.0/400000000000001/messages", json=body, headers=headers).is_success
    capsys.readouterr()

    assert main(["sent", "--number", "400000000000001"], client=sim_http) == 0
    [call] = json.loads(capsys.readouterr().out)["items"]
    assert (call["kind"], call["recipient_id"]) == ("whatsapp_send", "15550001111")
    assert main(["sent", "--page", "105000000000001"], client=sim_http) == 0
    assert json.loads(capsys.readouterr().out)["items"] == []


def test_deliver_ago_stamps_the_message_in_the_past(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    register_page(sim_http)
    before = time.time()

    assert main(["deliver", "--page", "104857600000001", "--text", "Hi", "--ago", "26h"],
                client=sim_http) == 0  # fmt: skip
    messenger = json.loads(target.calls.last.request.content)
    assert main(["deliver-wa", "--number", "400000000000001", "--text", "Hi", "--ago", "3d"],
                client=sim_http) == 0  # fmt: skip
    whatsapp = json.loads(target.calls.last.request.content)

    sent_ms = messenger["entry"][0]["messaging"][0]["timestamp"]
    assert before - 26 * 3600 - 5 < sent_ms / 1000 < before - 26 * 3600 + 5
    sent_s = int(whatsapp["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"])
    assert before - 3 * 86400 - 5 < sent_s < before - 3 * 86400 + 5


def test_deliver_ago_refuses_what_is_not_a_duration(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["deliver", "--page", "104857600000001", "--text", "Hi", "--ago", "yesterday"])
    assert exited.value.code == 2
    assert "not a duration like 90m, 26h or 3d" in capsys.readouterr().err
