"""Template parameters checked against the template before anything is queued; the
preview and Graph's `components` rendered from them."""

from __future__ import annotations

from typing import Any

import pytest

from api.templates.params import parameters_spec, render
from api.templates.schemas import TemplateParameters

ORDER_UPDATE: list[dict[str, Any]] = [
    {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
    {"type": "BODY", "text": "Hi {{1}}, your order {{2}} is on its way and arrives {{3}}."},
    {"type": "FOOTER", "text": "Reply STOP to stop updates"},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "URL", "text": "Track order", "url": "https://example.com/track/{{1}}"},
            {"type": "QUICK_REPLY", "text": "Talk to us"},
            {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550100001"},
        ],
    },
]
APPOINTMENT: list[dict[str, Any]] = [
    {"type": "HEADER", "format": "IMAGE"},
    {"type": "BODY", "text": "Hi {{first_name}}, see you on {{date}} at {{place}}."},
]
INVOICE: list[dict[str, Any]] = [
    {"type": "HEADER", "format": "DOCUMENT"},
    {"type": "BODY", "text": "Invoice {{1}} for {{2}}."},
]
OTP: list[dict[str, Any]] = [
    {"type": "BODY", "text": "*{{1}}* is your verification code."},
    {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
]
SHIPPING_BODY = ["Ana", "#4412", "tomorrow"]


def params(**given: Any) -> TemplateParameters:
    return TemplateParameters.model_validate(given)


def order(**given: Any) -> dict[str, Any]:
    base = {
        "header": {"type": "text", "text": "#4412"},
        "body": SHIPPING_BODY,
        "buttons": [{"index": 0, "value": "4412"}],
    }
    return {**base, **given}


def problems(components: list[dict[str, Any]], fmt: str | None, **given: Any) -> dict[str, str]:
    rendered = render(components, fmt, params(**given))
    return {p.field: p.message for p in rendered.problems}


def test_a_complete_set_renders_the_preview_and_graph_components() -> None:
    rendered = render(ORDER_UPDATE, "POSITIONAL", params(**order()))

    assert rendered.valid
    assert rendered.preview.header == "Order #4412"
    assert rendered.preview.body == "Hi Ana, your order #4412 is on its way and arrives tomorrow."
    assert rendered.preview.footer == "Reply STOP to stop updates"
    assert rendered.preview.buttons == ["Track order", "Talk to us", "Call"]
    assert rendered.preview.text == (
        "Order #4412\n\nHi Ana, your order #4412 is on its way and arrives tomorrow.\n\n"
        "Reply STOP to stop updates"
    )
    assert rendered.components == [
        {"type": "header", "parameters": [{"type": "text", "text": "#4412"}]},
        {
            "type": "body",
            "parameters": [{"type": "text", "text": v} for v in SHIPPING_BODY],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "4412"}],
        },
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["Ana", "#4412"], "The body has 3 variables; 2 values given."),
        (["Ana", "#4412", "tomorrow", "extra"], "The body has 3 variables; 4 values given."),
        ([], "The body has 3 variables; 0 values given."),
        ({"1": "Ana"}, "numbers its variables: give the body as a list"),
    ],
)
def test_the_wrong_number_of_body_values_is_a_problem(body: Any, message: str) -> None:
    assert message in problems(ORDER_UPDATE, "POSITIONAL", **order(body=body))["body"]


def test_missing_values_stay_visible_in_the_preview() -> None:
    rendered = render(ORDER_UPDATE, "POSITIONAL", params(**order(body=["Ana"])))
    assert not rendered.valid
    assert rendered.preview.body == "Hi Ana, your order {{2}} is on its way and arrives {{3}}."
    assert not any(c["type"] == "body" for c in rendered.components)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("   ", "must not be empty"),
        ("line\nbreak", "new lines, tabs"),
        ("tab\there", "new lines, tabs"),
        ("too      many spaces", "more than 4 spaces"),
    ],
)
def test_unusable_text_values_are_problems(value: str, message: str) -> None:
    found = problems(ORDER_UPDATE, "POSITIONAL", **order(body=["Ana", value, "tomorrow"]))
    assert message in found["body.2"]


def test_currency_and_date_time_values_are_typed_parameters() -> None:
    currency = {"type": "currency", "fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}
    when = {"type": "date_time", "fallback_value": "Friday 3 pm"}
    rendered = render(ORDER_UPDATE, "POSITIONAL", params(**order(body=["Ana", currency, when])))

    assert rendered.valid
    assert (
        rendered.preview.body == "Hi Ana, your order $12.50 is on its way and arrives Friday 3 pm."
    )
    body = next(c for c in rendered.components if c["type"] == "body")
    assert body["parameters"][1] == {
        "type": "currency",
        "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500},
    }
    assert body["parameters"][2] == {
        "type": "date_time",
        "date_time": {"fallback_value": "Friday 3 pm"},
    }


def test_a_value_of_the_wrong_json_type_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="body"):
        params(body=[1, {"type": "money"}])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "The header needs a text for {{1}}"),
        ({"type": "image", "link": "https://example.com/a.png"}, "The header needs a text"),
        ({"type": "text", "text": "x" * 60}, "at most 60"),
    ],
)
def test_a_text_header_with_a_variable_needs_its_text(header: Any, message: str) -> None:
    assert message in problems(ORDER_UPDATE, "POSITIONAL", **order(header=header))["header"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "The header is an image: give its link or media_id."),
        ({"type": "video", "link": "https://example.com/v.mp4"}, "an image, not a video"),
        ({"type": "text", "text": "hi"}, "an image, not a text"),
        ({"type": "image"}, "link or its media_id (one of them)"),
        ({"type": "image", "link": "https://x.test/a.png", "media_id": "1"}, "(one of them)"),
        ({"type": "image", "link": "http://example.com/a.png"}, "must be an https:// URL"),
    ],
)
def test_a_media_header_needs_its_media(header: Any, message: str) -> None:
    body = {"first_name": "Ana", "date": "Friday", "place": "the shop"}
    found = problems(APPOINTMENT, "NAMED", header=header, body=body)
    assert message in found["header"]


def test_a_media_header_by_link_or_id_becomes_a_graph_header() -> None:
    body = {"first_name": "Ana", "date": "Friday", "place": "the shop"}
    by_link = render(
        APPOINTMENT,
        "NAMED",
        params(header={"type": "image", "link": "https://example.com/a.png"}, body=body),
    )
    by_id = render(
        INVOICE,
        "POSITIONAL",
        params(
            header={"type": "document", "media_id": "1234", "filename": "invoice.pdf"},
            body=["INV-1", "$10"],
        ),
    )

    assert by_link.valid and by_id.valid
    assert by_link.components[0] == {
        "type": "header",
        "parameters": [{"type": "image", "image": {"link": "https://example.com/a.png"}}],
    }
    assert by_id.components[0] == {
        "type": "header",
        "parameters": [{"type": "document", "document": {"id": "1234", "filename": "invoice.pdf"}}],
    }
    assert by_id.preview.header == "[Document] invoice.pdf"


def test_named_variables_are_matched_by_name() -> None:
    header = {"type": "image", "link": "https://example.com/a.png"}
    ok = render(
        APPOINTMENT,
        "NAMED",
        params(header=header, body={"place": "the shop", "first_name": "Ana", "date": "Friday"}),
    )
    assert ok.valid
    assert ok.preview.body == "Hi Ana, see you on Friday at the shop."
    body = next(c for c in ok.components if c["type"] == "body")
    assert [p["parameter_name"] for p in body["parameters"]] == ["first_name", "date", "place"]

    wrong = problems(APPOINTMENT, "NAMED", header=header, body={"first_name": "Ana", "day": "Fri"})
    assert wrong == {
        "body.day": "The body has no variable {{day}}.",
        "body.date": "Missing a value for {{date}}.",
        "body.place": "Missing a value for {{place}}.",
    }
    as_list = problems(APPOINTMENT, "NAMED", header=header, body=["Ana", "Fri", "shop"])
    assert "object keyed by first_name, date, place" in as_list["body"]


def test_buttons_that_need_a_value_and_buttons_that_take_none() -> None:
    no_suffix = problems(ORDER_UPDATE, "POSITIONAL", **order(buttons=[]))
    assert no_suffix == {"buttons.0": "The 'Track order' button needs its URL suffix."}

    payload = render(
        ORDER_UPDATE,
        "POSITIONAL",
        params(**order(buttons=[{"index": 0, "value": "4412"}, {"index": 1, "value": "talk"}])),
    )
    assert payload.valid
    assert payload.components[-1] == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "1",
        "parameters": [{"type": "payload", "payload": "talk"}],
    }
    phone = problems(
        ORDER_UPDATE,
        "POSITIONAL",
        **order(buttons=[{"index": 0, "value": "1"}, {"index": 2, "value": "x"}]),
    )
    assert phone == {"buttons.2": "The 'Call' button takes no value."}
    missing = problems(
        ORDER_UPDATE,
        "POSITIONAL",
        **order(buttons=[{"index": 0, "value": "1"}, {"index": 5, "value": "x"}]),
    )
    assert missing == {"buttons.5": "This template has no button 5."}


def test_a_one_time_password_needs_the_code_in_body_and_button() -> None:
    assert problems(OTP, None, body=["123456"]) == {"buttons.0": "The 'OTP' button needs its code."}
    rendered = render(OTP, None, params(body=["123456"], buttons=[{"index": 0, "value": "123456"}]))
    assert rendered.valid
    assert rendered.components[-1]["sub_type"] == "url"


def test_a_template_without_variables_takes_no_parameters() -> None:
    hello = [
        {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
        {"type": "BODY", "text": "Welcome!"},
    ]
    assert render(hello, None, params()).valid
    assert render(hello, None, params()).components == []
    assert problems(hello, None, header={"type": "text", "text": "x"}) == {
        "header": "This template's header has no variable to fill."
    }
    assert "0 variables; 1 value" in problems(hello, None, body=["x"])["body"]


def test_a_template_known_only_from_a_status_webhook_cannot_be_rendered() -> None:
    assert problems([], None) == {
        "template": "This template's content is not known yet: sync templates."
    }


def test_the_picker_spec_lists_what_to_fill_in() -> None:
    spec = parameters_spec(ORDER_UPDATE, "POSITIONAL")
    assert spec.format == "POSITIONAL"
    assert spec.header is not None and (spec.header.format, spec.header.variables) == (
        "TEXT",
        ["1"],
    )
    assert spec.body == ["1", "2", "3"]
    assert [(b.index, b.type, b.needs_value, b.accepts_value) for b in spec.buttons] == [
        (0, "URL", True, True),
        (1, "QUICK_REPLY", False, True),
        (2, "PHONE_NUMBER", False, False),
    ]
    out_of_order = parameters_spec([{"type": "BODY", "text": "{{2}} then {{1}}"}], None)
    assert out_of_order.body == ["1", "2"]
