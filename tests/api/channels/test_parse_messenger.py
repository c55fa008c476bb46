"""Messenger webhook parsing: every event kind, batches, and mangled bodies that must not raise.

Payload shapes follow meta-platform.md §4.2 (Meta's "Webhook events" reference). The
mangling helpers at the bottom are shared with test_parse_whatsapp.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest

from api.channels.events import (
    IgnoredEvent,
    InboundMessage,
    MediaKind,
    MediaRef,
    MessageType,
    OutboundEcho,
    Reaction,
    StatusName,
    StatusUpdate,
    WebhookItem,
)
from api.channels.parsing import parse_messenger

PAGE = "106540352242922"
PSID = "6543210987654321"
APP_ID = 1517896158236843
T_MS = 1_749_416_383_123
T = datetime.fromtimestamp(T_MS / 1000, UTC)
ENTRY_MS = 1_749_416_384_000
ENTRY_T = datetime.fromtimestamp(ENTRY_MS / 1000, UTC)
CDN = "https://scontent.xx.fbcdn.net/v/t1.15752-9/"


def page_event(key: str, body: Any, *, echo_side: bool = False, **extra: Any) -> dict[str, Any]:
    sender, recipient = (PAGE, PSID) if echo_side else (PSID, PAGE)
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": T_MS,
        key: body,
        **extra,
    }


def page_payload(*events: dict[str, Any], list_key: str = "messaging") -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE, "time": ENTRY_MS, list_key: list(events)}]}


def message(**fields: Any) -> dict[str, Any]:
    return {
        "mid": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
        **fields,
    }


MID = message()["mid"]


def only(items: list[WebhookItem]) -> WebhookItem:
    assert len(items) == 1, items
    return items[0]


def inbound(payload: dict[str, Any]) -> InboundMessage:
    item = only(parse_messenger(payload))
    assert isinstance(item, InboundMessage), item
    return item


def inbound_message(**fields: Any) -> InboundMessage:
    return inbound(page_payload(page_event("message", message(**fields))))


def attachment(kind: str, **payload: Any) -> dict[str, Any]:
    return {"type": kind, "payload": payload}


# --- messages ---------------------------------------------------------------------------


def test_text_message() -> None:
    item = inbound_message(text="Hello, is the blue one in stock?")
    assert item == InboundMessage(
        channel_external_id=PAGE,
        contact_external_id=PSID,
        external_id=MID,
        sent_at=T,
        type="text",
        text="Hello, is the blue one in stock?",
    )


def test_quick_reply() -> None:
    item = inbound_message(text="Red", quick_reply={"payload": "COLOR_RED"})
    assert (item.type, item.text, item.content) == ("quick_reply", "Red", {"payload": "COLOR_RED"})


def test_reply_to_is_kept() -> None:
    item = inbound_message(text="this one", reply_to={"mid": "m_earlier", "is_self_reply": False})
    assert (item.type, item.reply_to_external_id) == ("text", "m_earlier")


@pytest.mark.parametrize("kind", ["image", "video", "audio", "file"])
def test_media_attachment(kind: str) -> None:
    url = f"{CDN}{kind}.bin?_nc_cat=1&oh=abc"
    item = inbound_message(attachments=[attachment(kind, url=url)])
    assert (item.type, item.text, item.content) == (kind, None, {})
    assert item.media == (MediaRef(kind, url=url),)  # type: ignore[arg-type]


def test_several_attachments_make_one_message_with_several_media() -> None:
    item = inbound_message(
        text="two photos and a clip",
        attachments=[
            attachment("image", url=f"{CDN}a.jpg"),
            attachment("image", url=f"{CDN}b.jpg"),
            attachment("video", url=f"{CDN}c.mp4"),
        ],
    )
    assert (item.type, item.text) == ("image", "two photos and a clip")
    assert [(m.kind, m.url) for m in item.media] == [
        ("image", f"{CDN}a.jpg"),
        ("image", f"{CDN}b.jpg"),
        ("video", f"{CDN}c.mp4"),
    ]


def test_sticker_with_image_twin_is_one_sticker() -> None:
    """Until 2026-08-30 a sticker arrives as both an image and a sticker attachment."""
    item = inbound_message(
        sticker_id=369239263222822,
        attachments=[
            attachment("image", url=f"{CDN}sticker.png", sticker_id=369239263222822),
            attachment("sticker", url=f"{CDN}sticker.webp", sticker_id=369239263222822),
        ],
    )
    assert (item.type, item.text) == ("sticker", None)
    assert item.media == (MediaRef("sticker", url=f"{CDN}sticker.webp"),)
    assert item.content == {"sticker_id": "369239263222822"}


def test_sticker_after_transition_and_legacy_image_sticker() -> None:
    new = inbound_message(attachments=[attachment("sticker", url=f"{CDN}s.webp", sticker_id=1)])
    legacy = inbound_message(
        sticker_id=369239263222822,
        attachments=[attachment("image", url=f"{CDN}like.png", sticker_id=369239263222822)],
    )
    assert (new.type, new.media, new.content) == (
        "sticker",
        (MediaRef("sticker", url=f"{CDN}s.webp"),),
        {"sticker_id": "1"},
    )
    assert (legacy.type, legacy.media) == ("sticker", (MediaRef("sticker", url=f"{CDN}like.png"),))


def test_sticker_echo_is_one_sticker_too() -> None:
    body = message(
        is_echo=True,
        app_id=APP_ID,
        attachments=[attachment("image", url="u1", sticker_id=7), attachment("sticker", url="u2")],
    )
    echo = only(parse_messenger(page_payload(page_event("message", body, echo_side=True))))
    assert isinstance(echo, OutboundEcho)
    assert (echo.type, echo.media) == ("sticker", (MediaRef("sticker", url="u2"),))


def test_shared_link_fallback() -> None:
    item = inbound_message(
        text="https://shop.example/p/42",
        attachments=[
            {
                "type": "fallback",
                "title": "Blue kettle — Example Shop",
                "url": "https://shop.example/p/42",
                "payload": None,
            }
        ],
    )
    assert item.type == "link"
    assert item.text == "https://shop.example/p/42"  # what the customer typed wins
    assert item.content == {
        "url": "https://shop.example/p/42",
        "title": "Blue kettle — Example Shop",
    }


def test_fallback_without_text_uses_title() -> None:
    item = inbound_message(
        attachments=[{"type": "fallback", "title": "A page", "url": "https://x"}]
    )
    assert (item.type, item.text) == ("link", "A page")


def test_legacy_location() -> None:
    item = inbound_message(
        attachments=[
            {
                "type": "location",
                "title": "Pinned Location",
                "url": "https://l.facebook.com/l.php?u=maps",
                "payload": {"coordinates": {"lat": 52.5200066, "long": 13.404954}},
            }
        ]
    )
    assert item.type == "location"
    assert item.content == {
        "latitude": 52.5200066,
        "longitude": 13.404954,
        "name": "Pinned Location",
        "url": "https://l.facebook.com/l.php?u=maps",
    }


@pytest.mark.parametrize(
    "kind",
    ["template", "reel", "ig_reel", "post", "ig_post", "appointment_booking", "hologram"],
)
def test_unsupported_attachments(kind: str) -> None:
    item = inbound_message(attachments=[attachment(kind, url="https://x", title="t")])
    assert (item.type, item.content, item.media) == ("unsupported", {"provider_type": kind}, ())


def test_message_referral_is_kept() -> None:
    referral = {
        "ref": "spring_sale",
        "ad_id": "6045246247433",
        "source": "ADS",
        "type": "OPEN_THREAD",
        "ads_context_data": {"ad_title": "Spring sale", "photo_url": "https://x/p.jpg"},
    }
    item = inbound_message(text="Is this still available?", referral=referral)
    assert (item.type, item.referral) == ("text", referral)


def test_message_without_text_or_attachments_is_unsupported() -> None:
    item = inbound_message()
    assert (item.type, item.text, item.content) == ("unsupported", None, {"provider_type": "empty"})


def test_nul_bytes_are_stripped() -> None:
    item = inbound_message(text="he\x00llo", quick_reply={"payload": "P\x00"})
    assert (item.text, item.content) == ("hello", {"payload": "P"})


@pytest.mark.parametrize(
    "event",
    [
        page_event("message", {"text": "no mid"}),
        {"recipient": {"id": PAGE}, "timestamp": T_MS, "message": message(text="no sender")},
        page_event("message", None),
        page_event("message", message(text="x"), sender={"id": None}),
    ],
)
def test_message_lacking_ids_is_ignored(event: dict[str, Any]) -> None:
    assert only(parse_messenger(page_payload(event))) == IgnoredEvent(PAGE, "message_without_ids")


def test_page_id_falls_back_to_recipient() -> None:
    payload = page_payload(page_event("message", message(text="hi")))
    del payload["entry"][0]["id"]
    assert inbound(payload).channel_external_id == PAGE


# --- echoes -----------------------------------------------------------------------------


def test_echo_of_our_message() -> None:
    body = message(is_echo=True, app_id=APP_ID, metadata="msg-7f3c", text="Yes, in stock!")
    item = only(parse_messenger(page_payload(page_event("message", body, echo_side=True))))
    assert item == OutboundEcho(
        channel_external_id=PAGE,
        contact_external_id=PSID,
        external_id=MID,
        sent_at=T,
        app_id=str(APP_ID),
        metadata="msg-7f3c",
        type="text",
        text="Yes, in stock!",
    )


def test_echo_from_meta_inbox_with_media() -> None:
    body = message(is_echo=True, attachments=[attachment("file", url=f"{CDN}invoice.pdf")])
    item = only(parse_messenger(page_payload(page_event("message", body, echo_side=True))))
    assert isinstance(item, OutboundEcho)
    assert (item.app_id, item.metadata, item.type) == (None, None, "file")
    assert item.media == (MediaRef("file", url=f"{CDN}invoice.pdf"),)


def test_echo_without_recipient_is_ignored() -> None:
    event = page_event("message", message(is_echo=True, text="x"), echo_side=True)
    del event["recipient"]
    assert only(parse_messenger(page_payload(event))) == IgnoredEvent(PAGE, "message_without_ids")


# --- receipts ---------------------------------------------------------------------------


def test_delivery_with_mids() -> None:
    event = page_event("delivery", {"mids": ["m_1", "m_2"], "watermark": T_MS - 5000})
    assert only(parse_messenger(page_payload(event))) == StatusUpdate(
        channel_external_id=PAGE,
        status="delivered",
        at=T,
        contact_external_id=PSID,
        external_ids=("m_1", "m_2"),
        watermark=T - timedelta(seconds=5),
    )


def test_delivery_without_mids_or_timestamp_uses_watermark() -> None:
    event = page_event("delivery", {"watermark": T_MS - 5000})
    del event["timestamp"]
    item = only(parse_messenger(page_payload(event)))
    assert isinstance(item, StatusUpdate)
    assert item.external_ids == ()
    assert item.at == item.watermark == T - timedelta(seconds=5)


def test_read() -> None:
    event = page_event("read", {"watermark": T_MS, "seq": 0})
    assert only(parse_messenger(page_payload(event))) == StatusUpdate(
        channel_external_id=PAGE, status="read", at=T, contact_external_id=PSID, watermark=T
    )


# --- reactions --------------------------------------------------------------------------


def test_reaction_by_customer() -> None:
    body = {"reaction": "love", "emoji": "\u2764\ufe0f", "action": "react", "mid": "m_target"}
    assert only(parse_messenger(page_payload(page_event("reaction", body)))) == Reaction(
        channel_external_id=PAGE,
        contact_external_id=PSID,
        target_external_id="m_target",
        emoji="\u2764\ufe0f",
        at=T,
    )


def test_unreact_has_no_emoji() -> None:
    body = {"reaction": "love", "emoji": "\u2764\ufe0f", "action": "unreact", "mid": "m_target"}
    item = only(parse_messenger(page_payload(page_event("reaction", body))))
    assert isinstance(item, Reaction)
    assert (item.emoji, item.by_business) == (None, False)


def test_reaction_by_the_page() -> None:
    body = {"reaction": "like", "action": "react", "mid": "m_customer_msg"}
    item = only(parse_messenger(page_payload(page_event("reaction", body, echo_side=True))))
    assert isinstance(item, Reaction)
    assert (item.contact_external_id, item.by_business, item.emoji) == (PSID, True, "👍")


def test_reaction_without_target_is_ignored() -> None:
    item = only(parse_messenger(page_payload(page_event("reaction", {"action": "react"}))))
    assert item == IgnoredEvent(PAGE, "reaction_without_ids")


# --- postbacks and referrals ------------------------------------------------------------


def test_postback_with_mid() -> None:
    body = {"title": "Talk to a human", "payload": "HUMAN", "mid": "m_postback_1"}
    item = inbound(page_payload(page_event("postback", body)))
    assert (item.external_id, item.type, item.text) == (
        "m_postback_1",
        "postback",
        "Talk to a human",
    )
    assert item.content == {"payload": "HUMAN", "title": "Talk to a human"}


def test_postback_without_mid_gets_a_stable_id_and_keeps_referral() -> None:
    referral = {"ref": "welcome", "source": "SHORTLINK", "type": "OPEN_THREAD"}
    body = {"title": "Get Started", "payload": "GET_STARTED", "referral": referral}
    payload = page_payload(page_event("postback", body))
    item = inbound(payload)
    assert item.external_id == f"postback:{PSID}:{T_MS}"
    assert item.referral == referral
    assert inbound(payload).external_id == item.external_id  # retries dedupe


def test_referral_without_message() -> None:
    body = {"ref": "summer", "ad_id": "6045246247433", "source": "ADS", "type": "OPEN_THREAD"}
    item = inbound(page_payload(page_event("referral", body)))
    assert (item.type, item.text, item.external_id) == ("referral", None, f"referral:{PSID}:{T_MS}")
    assert item.content == body
    assert item.referral == body


def test_referral_content_always_names_source_and_type() -> None:
    item = inbound(page_payload(page_event("referral", {"ref": "x"})))
    assert item.content == {"source": None, "type": None, "ref": "x"}


# --- ignored ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (
            {"recipient": {"id": PAGE}, "timestamp": T_MS, "optin": {"ref": "r", "user_ref": "u"}},
            "optin",
        ),
        (page_event("optin", {"type": "notification_messages", "payload": "p"}), "optin"),
        (
            page_event("pass_thread_control", {"new_owner_app_id": "123", "metadata": "m"}),
            "pass_thread_control",
        ),
        (page_event("take_thread_control", {"previous_owner_app_id": "1"}), "take_thread_control"),
        (
            page_event("request_thread_control", {"requested_owner_app_id": 1}),
            "request_thread_control",
        ),
        (
            {
                "recipient": {"id": PAGE},
                "timestamp": T_MS,
                "app_roles": {"123": ["primary_receiver"]},
            },
            "app_roles",
        ),
        (
            page_event("account_linking", {"status": "linked", "authorization_code": "c"}),
            "account_linking",
        ),
        (
            page_event("message_edit", {"mid": "m_1", "text": "edited", "num_edit": 1}),
            "message_edit",
        ),
        ({"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": T_MS}, "empty"),
    ],
)
def test_ignored_events(event: dict[str, Any], kind: str) -> None:
    assert only(parse_messenger(page_payload(event))) == IgnoredEvent(PAGE, kind)


def test_dashboard_test_ping_is_ignored() -> None:
    payload = {
        "object": "page",
        "entry": [{"id": "0", "time": ENTRY_MS, "changes": [{"field": "messages", "value": {}}]}],
    }
    assert parse_messenger(payload) == [IgnoredEvent("0", "change:messages")]


# --- standby, batches, timestamps ------------------------------------------------------


def test_standby_is_parsed_like_messaging() -> None:
    payload = page_payload(
        page_event("message", message(text="hi")),
        page_event("read", {"watermark": T_MS}),
        list_key="standby",
    )
    items = parse_messenger(payload)
    assert isinstance(items[0], InboundMessage)
    assert (items[0].standby, items[0].text) == (True, "hi")
    assert isinstance(items[1], StatusUpdate)


def test_batch_keeps_every_entry_and_event_in_order() -> None:
    second_page = "200000000000001"
    payload = {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": ENTRY_MS,
                "messaging": [
                    page_event("message", message(text="one")),
                    page_event("delivery", {"mids": [MID], "watermark": T_MS}),
                ],
                "standby": [page_event("message", {"mid": "m_standby", "text": "two"})],
            },
            {
                "id": second_page,
                "time": ENTRY_MS,
                "messaging": [
                    {
                        "sender": {"id": "999"},
                        "recipient": {"id": second_page},
                        "timestamp": T_MS,
                        "message": {"mid": "m_other", "text": "three"},
                    }
                ],
            },
        ],
    }
    items = parse_messenger(payload)
    assert [type(item).__name__ for item in items] == [
        "InboundMessage",
        "StatusUpdate",
        "InboundMessage",
        "InboundMessage",
    ]
    assert [item.channel_external_id for item in items] == [PAGE, PAGE, PAGE, second_page]
    texts = [item.text for item in items if isinstance(item, InboundMessage)]
    assert texts == ["one", "two", "three"]


@pytest.mark.parametrize("timestamp", [None, "soon", 10**30, -(10**30), float("nan"), [], True])
def test_bad_timestamp_falls_back_to_entry_time(timestamp: Any) -> None:
    event = page_event("message", message(text="x"), timestamp=timestamp)
    assert inbound(page_payload(event)).sent_at == ENTRY_T


def test_timestamp_as_string_is_read() -> None:
    event = page_event("message", message(text="x"), timestamp=str(T_MS))
    assert inbound(page_payload(event)).sent_at == T


def test_no_timestamp_at_all_is_now() -> None:
    event = page_event("message", message(text="x"), timestamp=None)
    payload = page_payload(event)
    del payload["entry"][0]["time"]
    before = datetime.now(UTC)
    assert before <= inbound(payload).sent_at <= datetime.now(UTC)


# --- mangled bodies never raise ---------------------------------------------------------

Path = tuple[str | int, ...]
BAD_VALUES: list[Any] = [
    None,
    [],
    {},
    [None, 1, "x"],
    {"id": None},
    "",
    "\x00",
    "ab\x00cd",
    10**30,
    -1,
    1.5e308,
    float("nan"),
    float("inf"),
    True,
    "1" * 5000,
]


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    copied = copy.copy(value)
    copied[path[0]] = replaced(value[path[0]], path[1:], new)
    return copied


def mangled(payload: dict[str, Any]) -> Iterator[tuple[Path, Any, Any]]:
    """Every node of the payload replaced by every bad value, one at a time."""
    for path in paths(payload):
        for bad in BAD_VALUES:
            yield path, bad, replaced(payload, path, bad)


def assert_storable(items: list[WebhookItem]) -> None:
    """No parse_error, no NUL bytes, and JSON (jsonb) accepts every item."""
    for item in items:
        assert not (isinstance(item, IgnoredEvent) and item.kind == "parse_error"), item
        if isinstance(item, InboundMessage | OutboundEcho):
            assert item.type in get_args(MessageType), item
            assert all(media.kind in get_args(MediaKind) for media in item.media), item
        if isinstance(item, StatusUpdate):
            assert item.status in get_args(StatusName), item
        encoded = json.dumps(dataclasses.asdict(item), default=str, allow_nan=False)
        assert "\\u0000" not in encoded, item


def is_text_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= 255 and "\x00" not in value


MESSENGER_SAMPLES: list[dict[str, Any]] = [
    page_payload(
        page_event(
            "message",
            message(
                text="hi",
                quick_reply={"payload": "Q"},
                reply_to={"mid": "m_0"},
                referral={"ref": "r", "source": "ADS"},
                attachments=[
                    attachment("image", url="u", sticker_id=1),
                    attachment("sticker", url="s", sticker_id=1),
                    attachment("video", url="v"),
                    {"type": "fallback", "title": "t", "url": "https://x"},
                    {"type": "location", "payload": {"coordinates": {"lat": 1.5, "long": 2}}},
                    attachment("template", generic={"elements": []}),
                ],
            ),
        ),
        page_event(
            "message", message(is_echo=True, app_id=APP_ID, metadata="m", text="e"), echo_side=True
        ),
    ),
    page_payload(
        page_event("delivery", {"mids": ["m_1"], "watermark": T_MS}),
        page_event("read", {"watermark": T_MS}),
        page_event("reaction", {"reaction": "love", "emoji": "x", "action": "react", "mid": "m"}),
        page_event(
            "reaction", {"reaction": "like", "action": "unreact", "mid": "m"}, echo_side=True
        ),
    ),
    page_payload(
        page_event(
            "postback", {"title": "T", "payload": "P", "mid": "m", "referral": {"ref": "r"}}
        ),
        page_event("referral", {"ref": "r", "source": "ADS", "type": "OPEN_THREAD", "ad_id": "1"}),
        page_event("optin", {"ref": "r"}),
        list_key="standby",
    ),
    {
        "object": "page",
        "entry": [
            {"id": PAGE, "time": ENTRY_MS, "changes": [{"field": "feed", "value": {"x": 1}}]}
        ],
    },
]


@pytest.mark.parametrize("sample", range(len(MESSENGER_SAMPLES)))
def test_mangled_messenger_payloads_never_raise(sample: int) -> None:
    payload = MESSENGER_SAMPLES[sample]
    for path, bad, body in mangled(payload):
        items = parse_messenger(body)
        assert_storable(items)
        assert_messages_survive(body, items, path, bad)


def assert_messages_survive(body: Any, items: list[WebhookItem], path: Path, bad: Any) -> None:
    """A customer message whose sender, mid and page survived the mangling is never dropped."""
    mids = {item.external_id for item in items if isinstance(item, InboundMessage)}
    for entry_path, event in _message_events(body):
        if is_text_id(get_path(event, ("sender", "id"))) and is_text_id(
            get_path(event, ("message", "mid"))
        ):
            if get_path(event, ("message", "is_echo")) is True:
                continue
            assert event["message"]["mid"].strip() in mids, (path, bad, entry_path)


def _message_events(body: Any) -> Iterator[tuple[Path, dict[str, Any]]]:
    entries = body.get("entry") if isinstance(body, dict) else None
    for e, entry in enumerate(entries if isinstance(entries, list) else []):
        if not (isinstance(entry, dict) and is_text_id(entry.get("id"))):
            continue
        for key in ("messaging", "standby"):
            events = entry.get(key)
            for i, event in enumerate(events if isinstance(events, list) else []):
                if isinstance(event, dict) and isinstance(event.get("message"), dict):
                    yield (e, key, i), event


def get_path(value: Any, path: Path) -> Any:
    for key in path:
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        else:
            return None
    return value


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"x": [value]}
    return value


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "page",
        {},
        {"object": "page"},
        {"entry": None},
        {"entry": "x"},
        {"entry": [None, 1, "x", []]},
        {"entry": {"id": PAGE, "messaging": [page_event("message", message(text="lone dict"))]}},
        {
            "entry": [
                {"id": PAGE, "messaging": {"sender": {"id": PSID}, "message": message(text="x")}}
            ]
        },
        {"entry": [{"id": PAGE, "messaging": [None, [], "x", 5]}]},
        {"entry": [{"id": [PAGE], "messaging": [page_event("message", message(text="x"))]}]},
        {"entry": [{"id": PAGE, "messaging": [page_event("message", message(attachments="x"))]}]},
        {
            "entry": [
                {"id": PAGE, "messaging": [page_event("message", message(attachments=[None, 1]))]}
            ]
        },
        {
            "entry": [
                {
                    "id": PAGE,
                    "messaging": [page_event("message", message(attachments=[{"type": None}]))],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": PAGE,
                    "messaging": [page_event("message", message(attachments=[{"type": []}]))],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": PAGE,
                    "messaging": [page_event("message", message(text=["x"], is_echo="yes"))],
                }
            ]
        },
        {"entry": [{"id": PAGE, "messaging": [page_event("message", {"mid": 10**30, "text": 5})]}]},
        {
            "entry": [
                {"id": PAGE, "messaging": [page_event("delivery", {"mids": "m", "watermark": "x"})]}
            ]
        },
        {"entry": [{"id": PAGE, "messaging": [page_event("reaction", {"mid": {}, "action": 1})]}]},
        {"entry": [{"id": PAGE, "messaging": [page_event("postback", "str")]}]},
        {"entry": [{"id": PAGE, "messaging": [page_event("referral", [])]}]},
        {"entry": [{"id": PAGE, "changes": [None, {"field": None}, {"field": ["x"]}]}]},
        {"entry": [{"id": "a\x00b", "messaging": [page_event("message", message(text="\x00"))]}]},
        {"entry": [{"id": PAGE, "messaging": [{"message": message(text="x"), "sender": "PSID"}]}]},
        {"entry": [{"id": PAGE, "messaging": [{1: "int key", "message": message(text="x")}]}]},
        {"entry": [{"id": PAGE, "messaging": [{"sender": {"id": PSID}, "nested": _deep(5000)}]}]},
    ],
)
def test_malformed_envelopes_never_raise(payload: Any) -> None:
    items = parse_messenger(payload)
    assert_storable(items)


def test_scrubbed_content_has_no_nan_or_nul() -> None:
    referral = {"ref": "a\x00", "score": math.nan, "big": 10**5000, "deep": _deep(200)}
    item = inbound_message(text="x", referral=referral)
    assert item.referral is not None
    assert (item.referral["ref"], item.referral["score"], item.referral["big"]) == ("a", None, None)
    json.dumps(item.referral, allow_nan=False)


def test_a_bug_still_keeps_the_customer_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: dict[str, Any]) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("api.channels.parsing.messenger.message_body", broken)
    payload = page_payload(
        page_event("message", message(text="x")), page_event("read", {"watermark": 1})
    )
    first, second = parse_messenger(payload)
    assert isinstance(first, InboundMessage)
    assert (first.external_id, first.type, first.content) == (
        MID,
        "unsupported",
        {"provider_type": "parse_error"},
    )
    assert isinstance(second, StatusUpdate)
    echo = page_event("message", message(is_echo=True, text="x"), echo_side=True)
    assert parse_messenger(page_payload(echo)) == [IgnoredEvent(PAGE, "parse_error")]
