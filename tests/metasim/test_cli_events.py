"""``python -m metasim event | batch | settings`` against an in-process simulator."""

import json
from pathlib import Path

import httpx
import pytest
import respx

from metasim.cli import main
from metasim.fixtures import LIMA_BIKES_PAGE_ID, LIMA_NUMBER_ID

WEBHOOK_URL = "http://parley.test/api/webhooks/meta"


def test_event_messenger_image(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    argv = ["event", "messenger", "--page", LIMA_BIKES_PAGE_ID, "--kind", "image"]

    code = main([*argv, "--psid", "7100000000000002", "--mid", "m_cli"], client=sim_http)

    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["kind"], printed["mid"], printed["psid"]) == (
        "image",
        "m_cli",
        "7100000000000002",
    )
    event = json.loads(target.calls.last.request.content)["entry"][0]["messaging"][0]
    assert event["message"]["attachments"][0]["type"] == "image"


def test_event_messenger_params_are_typed(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    argv = ["event", "messenger", "--page", LIMA_BIKES_PAGE_ID, "--kind", "sticker"]

    code = main([*argv, "--param", "sticker_id=42"], client=sim_http)
    bad = main([*argv, "--param", "sticker_id"], client=sim_http)

    assert code == 0
    message = json.loads(target.calls.last.request.content)["entry"][0]["messaging"][0]["message"]
    assert message["sticker_id"] == 42
    assert bad == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_event_whatsapp_location_and_failed_status(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    base = ["event", "whatsapp", "--number", LIMA_NUMBER_ID]

    location = main(
        [*base, "--kind", "location", "--wa-id", "15551234567", "--param", "latitude=1.25"],
        client=sim_http,
    )
    value = json.loads(target.calls.last.request.content)["entry"][0]["changes"][0]["value"]
    status = main(
        [
            *base,
            "--kind",
            "status",
            "--wamid",
            "wamid.X",
            "--status",
            "failed",
            "--error-code",
            "131026",
        ],
        client=sim_http,
    )
    failed = json.loads(target.calls.last.request.content)["entry"][0]["changes"][0]["value"]

    assert (location, status) == (0, 0)
    assert value["messages"][0]["location"]["latitude"] == 1.25
    assert failed["statuses"][0]["errors"][0]["code"] == 131026


def test_event_to_a_refusing_target_exits_1(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    outgoing.post(WEBHOOK_URL).respond(503)

    code = main(
        ["event", "whatsapp", "--number", LIMA_NUMBER_ID, "--kind", "quality"], client=sim_http
    )

    assert code == 1
    assert json.loads(capsys.readouterr().out)["status_code"] == 503


def test_event_with_a_bad_kind_exits_2(
    sim_http: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["event", "messenger", "--page", LIMA_BIKES_PAGE_ID, "--kind", "smoke"], client=sim_http
    )

    assert code == 2
    assert "422" in capsys.readouterr().err


def test_batch_from_flags(
    sim_http: httpx.Client, outgoing: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    first = json.dumps({"page_id": LIMA_BIKES_PAGE_ID, "kind": "text"})
    second = json.dumps({"page_id": LIMA_BIKES_PAGE_ID, "kind": "read"})

    code = main(
        [
            "batch",
            "--product",
            "messenger",
            "--event",
            first,
            "--event",
            second,
            "--duplicate",
            "1",
        ],
        client=sim_http,
    )

    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["deliveries"] == 2
    assert target.call_count == 2
    assert target.calls[0].request.content == target.calls[1].request.content
    assert len(json.loads(target.calls[0].request.content)["entry"]) == 2


def test_batch_from_a_file(
    sim_http: httpx.Client,
    outgoing: respx.MockRouter,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    target = outgoing.post(WEBHOOK_URL).respond(200)
    statuses = [
        {"phone_number_id": LIMA_NUMBER_ID, "kind": "status", "wamid": "wamid.A", "status": s}
        for s in ("sent", "delivered", "read")
    ]
    whole = tmp_path / "batch.json"
    whole.write_text(json.dumps({"product": "whatsapp", "events": statuses, "shuffle": True}))
    listed = tmp_path / "events.json"
    listed.write_text(json.dumps(statuses))

    from_body = main(["batch", "--file", str(whole)], client=sim_http)
    from_list = main(["batch", "--file", str(listed), "--product", "whatsapp"], client=sim_http)
    no_product = main(["batch", "--file", str(listed)], client=sim_http)

    assert (from_body, from_list, no_product) == (0, 0, 2)
    assert target.call_count == 2
    value = json.loads(target.calls.last.request.content)["entry"][0]["changes"][0]["value"]
    assert [s["status"] for s in value["statuses"]] == ["sent", "delivered", "read"]
    assert "--product" in capsys.readouterr().err


def test_settings_show_and_change(
    sim_http: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings"], client=sim_http) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (
        main(["settings", "--whatsapp-statuses", "off", "--status-delay-ms", "0"], client=sim_http)
        == 0
    )
    changed = json.loads(capsys.readouterr().out)

    assert shown["whatsapp_statuses"] is True
    assert changed["whatsapp_statuses"] is False
    assert changed["status_delay_ms"] == 0
    assert changed["messenger_echoes"] is True
