"""WhatsApp webhook parsing: every message type, statuses, channel updates, batches, and
mangled bodies that must not raise. Payloads follow Meta's "messages webhook reference"
examples (meta-platform.md §5.6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api.channels.events import (
    ChannelUpdate,
    IgnoredEvent,
    InboundMessage,
    MediaRef,
    Reaction,
    StatusUpdate,
    WebhookItem,
)
from api.channels.parsing import parse_whatsapp
from tests.api.channels.test_parse_messenger import (
    Path,
    assert_storable,
    get_path,
    is_text_id,
    mangled,
    only,
)

WABA = "102290129340398"
PHONE_ID = "106540352242922"
WA_ID = "16505551234"
USER_ID = "US.13491208655302741918"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
OUR_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA"
TS = "1749416383"
T = datetime.fromtimestamp(int(TS), UTC)


def value(**fields: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        **fields,
    }


def contact(**extra: Any) -> dict[str, Any]:
    return {"profile": {"name": "Sheena Nelson"}, "wa_id": WA_ID, **extra}


def wa_message(kind: str, body: Any = None, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"from": WA_ID, "id": WAMID, "timestamp": TS, "type": kind}
    if body is not None:
        fields[kind] = body
    return {**fields, **extra}


def change(field: str, change_value: Any) -> dict[str, Any]:
    return {"value": change_value, "field": field}


def wa_payload(*changes: dict[str, Any], waba: str = WABA, **entry: Any) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba, "changes": list(changes), **entry}],
    }


def messages_payload(*messages: dict[str, Any], contacts: Any = None) -> dict[str, Any]:
    contacts = [contact()] if contacts is None else contacts
    return wa_payload(change("messages", value(contacts=contacts, messages=list(messages))))


def inbound(payload: dict[str, Any]) -> InboundMessage:
    item = only(parse_whatsapp(payload))
    assert isinstance(item, InboundMessage), item
    return item


def inbound_message(kind: str, body: Any = None, **extra: Any) -> InboundMessage:
    return inbound(messages_payload(wa_message(kind, body, **extra)))


# --- text and contacts ------------------------------------------------------------------


def test_text_message() -> None:
    item = inbound_message("text", {"body": "Does it come in another color?"})
    assert item == InboundMessage(
        channel_external_id=PHONE_ID,
        contact_external_id=WA_ID,
        external_id=WAMID,
        sent_at=T,
        type="text",
        text="Does it come in another color?",
        contact_name="Sheena Nelson",
    )


def test_contact_username_and_business_scoped_id() -> None:
    profile = {
        "profile": {"name": "Sheena", "username": "@sheena"},
        "wa_id": WA_ID,
        "user_id": USER_ID,
    }
    item = inbound(messages_payload(wa_message("text", {"body": "hi"}), contacts=[profile]))
    assert (item.contact_name, item.username, item.business_user_id) == (
        "Sheena",
        "@sheena",
        USER_ID,
    )


def test_contacts_are_matched_to_their_own_messages() -> None:
    other = {"profile": {"name": "Other"}, "wa_id": "447700900123"}
    payload = messages_payload(
        wa_message("text", {"body": "a"}),
        {**wa_message("text", {"body": "b"}), "from": "447700900123", "id": "wamid.2"},
        {**wa_message("text", {"body": "c"}), "from": "31600000000", "id": "wamid.3"},
        contacts=[contact(), other],
    )
    names = [
        item.contact_name for item in parse_whatsapp(payload) if isinstance(item, InboundMessage)
    ]
    assert names == ["Sheena Nelson", "Other", None]


def test_user_without_phone_is_keyed_by_user_id() -> None:
    profile = {"profile": {"name": "Hidden", "username": "@hidden"}, "user_id": USER_ID}
    message = {
        "from_user_id": USER_ID,
        "id": WAMID,
        "timestamp": TS,
        "type": "text",
        "text": {"body": "hi"},
    }
    item = inbound(messages_payload(message, contacts=[profile]))
    assert (item.contact_external_id, item.business_user_id, item.contact_name) == (
        USER_ID,
        USER_ID,
        "Hidden",
    )


def test_from_user_id_matches_contact_with_wa_id() -> None:
    message = {
        "from_user_id": USER_ID,
        "id": WAMID,
        "timestamp": TS,
        "type": "text",
        "text": {"body": "hi"},
    }
    item = inbound(messages_payload(message, contacts=[contact(user_id=USER_ID)]))
    assert (item.contact_external_id, item.business_user_id) == (WA_ID, USER_ID)


# --- media ------------------------------------------------------------------------------


def test_image_with_caption() -> None:
    image = {
        "caption": "This one, in blue",
        "mime_type": "image/jpeg",
        "sha256": "nU7vT2x/7Xg7MCI6UbU4L6K3Zm0s6BWnSpQ0IbCrw3w=",
        "id": "1003383421387256",
    }
    item = inbound_message("image", image)
    assert (item.type, item.text, item.content) == ("image", "This one, in blue", {})
    assert item.media == (
        MediaRef(
            "image",
            media_id="1003383421387256",
            mime_type="image/jpeg",
            sha256="nU7vT2x/7Xg7MCI6UbU4L6K3Zm0s6BWnSpQ0IbCrw3w=",
        ),
    )


def test_video_voice_note_document_and_animated_sticker() -> None:
    video = inbound_message("video", {"id": "1", "mime_type": "video/mp4", "sha256": "s"})
    voice = inbound_message(
        "audio", {"id": "2", "mime_type": "audio/ogg; codecs=opus", "voice": True}
    )
    document = inbound_message(
        "document",
        {
            "id": "3",
            "mime_type": "application/pdf",
            "filename": "invoice.pdf",
            "caption": "Invoice",
        },
    )
    sticker = inbound_message("sticker", {"id": "4", "mime_type": "image/webp", "animated": True})
    assert (video.type, video.media[0].kind, video.media[0].media_id) == ("video", "video", "1")
    assert (voice.type, voice.media[0].voice) == ("audio", True)
    assert (document.type, document.text) == ("file", "Invoice")
    assert document.media == (
        MediaRef("file", media_id="3", mime_type="application/pdf", filename="invoice.pdf"),
    )
    assert (sticker.type, sticker.media[0].animated, sticker.media[0].voice) == (
        "sticker",
        True,
        False,
    )


def test_media_without_id_is_unsupported_but_keeps_caption() -> None:
    item = inbound_message("image", {"caption": "look", "mime_type": "image/jpeg"})
    assert (item.type, item.text, item.content, item.media) == (
        "unsupported",
        "look",
        {"provider_type": "image"},
        (),
    )


# --- other message types ----------------------------------------------------------------


def test_location() -> None:
    location = {
        "address": "1 Hacker Way, Menlo Park, CA 94025",
        "latitude": 37.483307,
        "longitude": -122.148981,
        "name": "Main Office",
        "url": "https://www.meta.com",
    }
    item = inbound_message("location", location)
    assert (item.type, item.text, item.content) == ("location", None, location)


def test_shared_contacts_are_normalised() -> None:
    card = {
        "addresses": [{"city": "Menlo Park", "type": "WORK"}],
        "emails": [{"email": "bjohnson@example.com", "type": "WORK"}, {"type": "HOME"}],
        "name": {
            "first_name": "Barbara",
            "last_name": "Johnson",
            "formatted_name": "Barbara J. Johnson",
        },
        "phones": [
            {"phone": "+1 (650) 555-1234", "wa_id": "16505551234", "type": "WORK"},
            {"phone": "+1 (650) 555-9999"},
        ],
    }
    bare = {"name": {"first_name": "Ann", "last_name": "Lee"}}
    item = inbound_message("contacts", [card, bare])
    assert item.type == "contacts"
    assert item.content == {
        "contacts": [
            {
                "name": "Barbara J. Johnson",
                "phones": [
                    {"phone": "+1 (650) 555-1234", "wa_id": "16505551234", "type": "WORK"},
                    {"phone": "+1 (650) 555-9999"},
                ],
                "emails": [{"email": "bjohnson@example.com", "type": "WORK"}, {"type": "HOME"}],
            },
            {"name": "Ann Lee", "phones": [], "emails": []},
        ]
    }


def test_interactive_button_reply() -> None:
    body = {"type": "button_reply", "button_reply": {"id": "cancel-order", "title": "Cancel order"}}
    item = inbound_message("interactive", body, context={"from": "15550783881", "id": OUR_WAMID})
    assert (item.type, item.text, item.reply_to_external_id) == (
        "interactive_reply",
        "Cancel order",
        OUR_WAMID,
    )
    assert item.content == {"kind": "button", "reply_id": "cancel-order", "title": "Cancel order"}


def test_interactive_list_reply() -> None:
    reply = {"id": "priority-express", "title": "Express", "description": "Next day"}
    item = inbound_message("interactive", {"type": "list_reply", "list_reply": reply})
    assert (item.type, item.text) == ("interactive_reply", "Express")
    assert item.content == {
        "kind": "list",
        "reply_id": "priority-express",
        "title": "Express",
        "description": "Next day",
    }


def test_flow_nfm_reply() -> None:
    response = '{"flow_token": "AQAAAAACS5FpgQ_cAAAAAD0QI3s.", "appointment_date": "2026-09-01"}'
    body = {
        "type": "nfm_reply",
        "nfm_reply": {"name": "flow", "body": "Sent", "response_json": response},
    }
    item = inbound_message("interactive", body)
    assert (item.type, item.text) == ("interactive_reply", "Sent")
    assert item.content == {
        "kind": "nfm",
        "response_json": response,
        "name": "flow",
        "body": "Sent",
    }


def test_template_quick_reply_button() -> None:
    item = inbound_message("button", {"payload": "STOP_PROMOTIONS", "text": "Stop promotions"})
    assert (item.type, item.text, item.content) == (
        "button_reply",
        "Stop promotions",
        {"payload": "STOP_PROMOTIONS"},
    )


def test_order() -> None:
    order = {
        "catalog_id": "194836987003835",
        "text": "Please deliver tomorrow",
        "product_items": [
            {
                "product_retailer_id": "di9ozbzfi4",
                "quantity": 2,
                "item_price": 30,
                "currency": "USD",
            },
            {
                "product_retailer_id": "nqryix03ez",
                "quantity": "1",
                "item_price": 25.5,
                "currency": "USD",
            },
        ],
    }
    item = inbound_message("order", order)
    assert (item.type, item.text) == ("order", "Please deliver tomorrow")
    assert item.content == {
        "catalog_id": "194836987003835",
        "text": "Please deliver tomorrow",
        "items": [
            {
                "product_retailer_id": "di9ozbzfi4",
                "quantity": 2,
                "item_price": 30,
                "currency": "USD",
            },
            {
                "product_retailer_id": "nqryix03ez",
                "quantity": 1.0,
                "item_price": 25.5,
                "currency": "USD",
            },
        ],
    }


def test_system_number_change_without_contacts() -> None:
    system = {
        "body": "User Sheena Nelson changed from 16505551234 to 16505559999",
        "wa_id": "16505559999",
        "type": "user_changed_number",
    }
    item = inbound(messages_payload(wa_message("system", system), contacts=[]))
    assert (item.type, item.text, item.contact_name) == ("system", system["body"], None)
    assert item.content == {
        "kind": "user_changed_number",
        "body": system["body"],
        "new_wa_id": "16505559999",
    }


def test_system_user_id_change() -> None:
    system = {
        "body": "User changed",
        "type": "user_changed_user_id",
        "user_id": "US.2",
        "previous_user_id": "US.1",
    }
    item = inbound(messages_payload(wa_message("system", system), contacts=[]))
    assert item.content == {
        "kind": "user_changed_user_id",
        "body": "User changed",
        "new_user_id": "US.2",
        "previous_user_id": "US.1",
    }


# --- reactions --------------------------------------------------------------------------


def test_reaction() -> None:
    item = only(
        parse_whatsapp(
            messages_payload(wa_message("reaction", {"message_id": OUR_WAMID, "emoji": "👍"}))
        )
    )
    assert item == Reaction(
        channel_external_id=PHONE_ID,
        contact_external_id=WA_ID,
        target_external_id=OUR_WAMID,
        emoji="👍",
        at=T,
    )


@pytest.mark.parametrize(
    "reaction", [{"message_id": OUR_WAMID, "emoji": ""}, {"message_id": OUR_WAMID}]
)
def test_reaction_removed(reaction: dict[str, Any]) -> None:
    item = only(parse_whatsapp(messages_payload(wa_message("reaction", reaction))))
    assert isinstance(item, Reaction)
    assert item.emoji is None


def test_reaction_without_target_is_ignored() -> None:
    item = only(parse_whatsapp(messages_payload(wa_message("reaction", {"emoji": "x"}))))
    assert item == IgnoredEvent(PHONE_ID, "reaction_without_ids")


# --- context, referral, errors, unsupported --------------------------------------------


def test_forwarded_context_is_not_a_reply() -> None:
    forwarded = inbound_message("text", {"body": "fwd"}, context={"forwarded": True})
    often = inbound_message("text", {"body": "fwd"}, context={"frequently_forwarded": True})
    assert (forwarded.reply_to_external_id, forwarded.content) == (None, {"forwarded": True})
    assert often.content == {"forwarded": True, "frequently_forwarded": True}


def test_product_enquiry_context() -> None:
    product = {"catalog_id": "194836987003835", "product_retailer_id": "di9ozbzfi4"}
    item = inbound_message(
        "text",
        {"body": "Is this in stock?"},
        context={"from": "15550783881", "id": OUR_WAMID, "referred_product": product},
    )
    assert (item.reply_to_external_id, item.content) == (OUR_WAMID, {"referred_product": product})


def test_click_to_whatsapp_referral() -> None:
    referral = {
        "source_url": "https://fb.me/3cr4Wqqkv",
        "source_id": "120226305854810726",
        "source_type": "ad",
        "body": "Chat with us",
        "headline": "Spring sale",
        "media_type": "image",
        "image_url": "https://scontent.xx.fbcdn.net/v/t45.1",
        "ctwa_clid": "Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iMdCHvdbe",
    }
    item = inbound_message("text", {"body": "Can I get more info about this?"}, referral=referral)
    assert (item.type, item.referral) == ("text", referral)


ERROR_131051 = {
    "code": 131051,
    "title": "Message type unknown",
    "message": "Message type unknown",
    "error_data": {"details": "Message type is currently not supported."},
}
NORMALISED_131051 = {
    "code": 131051,
    "title": "Message type unknown",
    "details": "Message type is currently not supported.",
}


def test_unsupported_names_what_it_was_and_keeps_errors() -> None:
    item = inbound_message("unsupported", {"type": "edit"}, errors=[ERROR_131051])
    assert (item.type, item.text) == ("unsupported", None)
    assert item.content == {"provider_type": "edit", "errors": [NORMALISED_131051]}


@pytest.mark.parametrize(
    "kind", ["unsupported", "request_welcome", "revoke", "edit", "poll_creation"]
)
def test_unknown_types_are_unsupported(kind: str) -> None:
    item = inbound_message(kind, {"whatever": 1})
    assert (item.type, item.content) == ("unsupported", {"provider_type": kind})


def test_errors_on_any_message_are_kept() -> None:
    item = inbound_message("text", {"body": "hi"}, errors=[ERROR_131051])
    assert (item.type, item.content) == ("text", {"errors": [NORMALISED_131051]})


@pytest.mark.parametrize(
    "message",
    [
        {"id": WAMID, "timestamp": TS, "type": "text", "text": {"body": "no sender"}},
        {"from": WA_ID, "timestamp": TS, "type": "text", "text": {"body": "no id"}},
        {"from": "", "id": WAMID, "type": "text"},
    ],
)
def test_message_lacking_ids_is_ignored(message: dict[str, Any]) -> None:
    assert only(parse_whatsapp(messages_payload(message))) == IgnoredEvent(
        PHONE_ID, "message_without_ids"
    )


def test_messages_without_phone_number_id_are_ignored() -> None:
    payload = wa_payload(
        change(
            "messages",
            {
                "contacts": [contact()],
                "messages": [wa_message("text", {"body": "x"})],
                "statuses": [{"id": "w"}],
            },
        )
    )
    assert parse_whatsapp(payload) == [
        IgnoredEvent(None, "message_without_channel"),
        IgnoredEvent(None, "status_without_channel"),
    ]


# --- statuses ---------------------------------------------------------------------------


def status(name: str, **extra: Any) -> dict[str, Any]:
    return {"id": OUR_WAMID, "status": name, "timestamp": TS, "recipient_id": WA_ID, **extra}


CONVERSATION = {
    "id": "ac2e6c4fd5f1b9ac7f8b2f2e8e1d3a5a",
    "expiration_timestamp": "1749502800",
    "origin": {"type": "utility"},
}
PRICING = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}


def test_sent_status_with_pricing() -> None:
    payload = wa_payload(
        change(
            "messages",
            value(
                statuses=[
                    status(
                        "sent",
                        conversation=CONVERSATION,
                        pricing=PRICING,
                        biz_opaque_callback_data="order-42",
                    )
                ]
            ),
        )
    )
    assert only(parse_whatsapp(payload)) == StatusUpdate(
        channel_external_id=PHONE_ID,
        status="sent",
        at=T,
        contact_external_id=WA_ID,
        external_ids=(OUR_WAMID,),
        details={
            "conversation": CONVERSATION,
            "pricing": PRICING,
            "biz_opaque_callback_data": "order-42",
        },
    )


def test_delivered_and_read() -> None:
    payload = wa_payload(change("messages", value(statuses=[status("delivered"), status("read")])))
    items = parse_whatsapp(payload)
    assert [(i.status, i.external_ids) for i in items if isinstance(i, StatusUpdate)] == [
        ("delivered", (OUR_WAMID,)),
        ("read", (OUR_WAMID,)),
    ]


def test_failed_status() -> None:
    error = {
        "code": 131026,
        "title": "Message undeliverable",
        "message": "Message undeliverable",
        "error_data": {"details": "Message Undeliverable."},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
    payload = wa_payload(change("messages", value(statuses=[status("failed", errors=[error])])))
    item = only(parse_whatsapp(payload))
    assert isinstance(item, StatusUpdate)
    assert (item.status, item.error_code, item.error_reason) == (
        "failed",
        "131026",
        "Message Undeliverable.",
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ({"code": 131047, "message": "Re-engagement message"}, "Re-engagement message"),
        ({"code": "131049", "title": "Ecosystem engagement"}, "Ecosystem engagement"),
        ({}, None),
    ],
)
def test_failed_reason_fallbacks(error: dict[str, Any], reason: str | None) -> None:
    payload = wa_payload(change("messages", value(statuses=[status("failed", errors=[error])])))
    item = only(parse_whatsapp(payload))
    assert isinstance(item, StatusUpdate)
    assert item.error_reason == reason


@pytest.mark.parametrize("name", ["played", "deleted", "warning"])
def test_other_statuses_are_ignored(name: str) -> None:
    payload = wa_payload(change("messages", value(statuses=[status(name)])))
    assert only(parse_whatsapp(payload)) == IgnoredEvent(PHONE_ID, f"status:{name}")


def test_status_for_user_without_phone() -> None:
    entry = status("delivered", recipient_user_id=USER_ID)
    del entry["recipient_id"]
    item = only(parse_whatsapp(wa_payload(change("messages", value(statuses=[entry])))))
    assert isinstance(item, StatusUpdate)
    assert (item.contact_external_id, item.details) == (USER_ID, {"recipient_user_id": USER_ID})


def test_value_level_errors() -> None:
    errors = [
        {
            "code": 131000,
            "title": "Something went wrong",
            "message": "Something went wrong",
            "error_data": {"details": "Unsupported webhook payload"},
        }
    ]
    payload = wa_payload(change("messages", value(errors=errors)))
    assert only(parse_whatsapp(payload)) == ChannelUpdate(
        field="errors", data={"errors": errors}, channel_external_id=PHONE_ID, waba_id=WABA
    )


def test_empty_messages_change_is_counted() -> None:
    assert parse_whatsapp(wa_payload(change("messages", value()))) == [
        IgnoredEvent(PHONE_ID, "messages_empty")
    ]


# --- channel updates --------------------------------------------------------------------

TEMPLATE_STATUS = {
    "event": "APPROVED",
    "message_template_id": 1689556908129832,
    "message_template_name": "order_confirmation",
    "message_template_language": "en_US",
    "reason": "NONE",
    "message_template_category": "UTILITY",
}
QUALITY = {"display_phone_number": "15550783881", "event": "FLAGGED", "current_limit": "TIER_10K"}
ACCOUNT = {
    "phone_number": "15550783881",
    "event": "ACCOUNT_RESTRICTION",
    "restriction_info": [
        {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": 1750000000}
    ],
}
NAME = {
    "display_phone_number": "15550783881",
    "decision": "APPROVED",
    "requested_verified_name": "Lucky Shrub",
    "rejection_reason": None,
}


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("message_template_status_update", TEMPLATE_STATUS),
        (
            "message_template_quality_update",
            {"previous_quality_score": "GREEN", "new_quality_score": "YELLOW"},
        ),
        ("template_category_update", {"message_template_id": 1, "new_category": "MARKETING"}),
        ("phone_number_quality_update", QUALITY),
        ("phone_number_name_update", NAME),
        ("account_update", ACCOUNT),
        ("account_review_update", {"decision": "APPROVED"}),
        (
            "business_capability_update",
            {"max_daily_conversation_per_phone": 1000, "max_phone_numbers_per_business": 2},
        ),
        (
            "security",
            {"display_phone_number": "15550783881", "event": "PIN_CHANGED", "requester": "1"},
        ),
        ("brand_new_field_2027", {"anything": [1, 2, 3]}),
    ],
)
def test_channel_updates(field: str, data: dict[str, Any]) -> None:
    payload = wa_payload(change(field, data), time=1750263773)
    assert only(parse_whatsapp(payload)) == ChannelUpdate(field=field, data=data, waba_id=WABA)


def test_channel_update_names_the_number_when_known() -> None:
    prefs = value(
        contacts=[contact()],
        user_preferences=[
            {
                "wa_id": WA_ID,
                "detail": "User requested to stop marketing messages",
                "category": "marketing_messages",
                "value": "stop",
                "timestamp": 1731705721,
            }
        ],
    )
    with_id = {"phone_number_id": "999", "event": "X"}
    items = parse_whatsapp(wa_payload(change("user_preferences", prefs), change("other", with_id)))
    assert [(i.field, i.channel_external_id) for i in items if isinstance(i, ChannelUpdate)] == [
        ("user_preferences", PHONE_ID),
        ("other", "999"),
    ]
    assert isinstance(items[0], ChannelUpdate) and items[0].data == prefs


def test_channel_update_with_odd_value() -> None:
    assert parse_whatsapp(wa_payload(change("account_update", ["x\x00"]))) == [
        ChannelUpdate(field="account_update", data={"value": ["x"]}, waba_id=WABA)
    ]


# --- batches and timestamps ------------------------------------------------------------


def test_batch_keeps_every_entry_change_and_item_in_order() -> None:
    second = {
        "id": "200000000000001",
        "changes": [
            change(
                "messages",
                {
                    "metadata": {"phone_number_id": "300000000000001"},
                    "messages": [
                        {
                            "from": "441",
                            "id": "wamid.B1",
                            "timestamp": TS,
                            "type": "text",
                            "text": {"body": "b1"},
                        }
                    ],
                },
            )
        ],
    }
    payload = wa_payload(
        change(
            "messages",
            value(
                contacts=[contact()],
                messages=[
                    wa_message("text", {"body": "a1"}),
                    {
                        **wa_message("reaction", {"message_id": OUR_WAMID, "emoji": "🙏"}),
                        "id": "wamid.A2",
                    },
                ],
            ),
        ),
        change("messages", value(statuses=[status("delivered"), status("read")])),
        change("message_template_status_update", TEMPLATE_STATUS),
    )
    payload["entry"].append(second)
    items = parse_whatsapp(payload)
    assert [type(item).__name__ for item in items] == [
        "InboundMessage",
        "Reaction",
        "StatusUpdate",
        "StatusUpdate",
        "ChannelUpdate",
        "InboundMessage",
    ]
    assert isinstance(items[-1], InboundMessage)
    assert (items[-1].channel_external_id, items[-1].text) == ("300000000000001", "b1")


@pytest.mark.parametrize("timestamp", [None, "later", str(10**30), 10**30, [], "-"])
def test_bad_timestamp_falls_back_to_entry_time_then_now(timestamp: Any) -> None:
    message = wa_message("text", {"body": "x"}, timestamp=timestamp)
    payload = messages_payload(message)
    payload["entry"][0]["time"] = 1750263773
    assert inbound(payload).sent_at == datetime.fromtimestamp(1750263773, UTC)
    del payload["entry"][0]["time"]
    before = datetime.now(UTC)
    assert before <= inbound(payload).sent_at <= datetime.now(UTC)


# --- mangled bodies never raise ---------------------------------------------------------

WHATSAPP_SAMPLES: list[dict[str, Any]] = [
    wa_payload(
        change(
            "messages",
            value(
                contacts=[contact(user_id=USER_ID)],
                messages=[
                    wa_message(
                        "text",
                        {"body": "hi"},
                        context={"from": "1", "id": OUR_WAMID, "forwarded": True},
                        referral={"source_type": "ad", "headline": "h"},
                        errors=[ERROR_131051],
                    ),
                    wa_message("image", {"id": "1", "mime_type": "image/jpeg", "caption": "c"}),
                    wa_message("document", {"id": "2", "filename": "f.pdf"}),
                    wa_message("audio", {"id": "3", "voice": True}),
                    wa_message("sticker", {"id": "4", "animated": False}),
                    wa_message("location", {"latitude": 1, "longitude": 2, "name": "n"}),
                ],
            ),
        ),
    ),
    wa_payload(
        change(
            "messages",
            value(
                contacts=[contact()],
                messages=[
                    wa_message(
                        "contacts",
                        [
                            {
                                "name": {"formatted_name": "A"},
                                "phones": [{"phone": "1"}],
                                "emails": [{"email": "e"}],
                            }
                        ],
                    ),
                    wa_message(
                        "interactive",
                        {"type": "list_reply", "list_reply": {"id": "i", "title": "t"}},
                    ),
                    wa_message(
                        "interactive", {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}}
                    ),
                    wa_message("button", {"payload": "p", "text": "t"}),
                    wa_message("reaction", {"message_id": OUR_WAMID, "emoji": "x"}),
                    wa_message(
                        "order",
                        {
                            "catalog_id": "c",
                            "product_items": [{"product_retailer_id": "p", "quantity": 1}],
                        },
                    ),
                    wa_message(
                        "system", {"type": "user_changed_number", "body": "b", "wa_id": "2"}
                    ),
                    wa_message("unsupported", {"type": "edit"}, errors=[ERROR_131051]),
                ],
            ),
        ),
    ),
    wa_payload(
        change(
            "messages",
            value(
                statuses=[
                    status("sent", conversation=CONVERSATION, pricing=PRICING),
                    status("failed", errors=[{"code": 1, "error_data": {"details": "d"}}]),
                ],
                errors=[{"code": 131000}],
            ),
        ),
        change("message_template_status_update", TEMPLATE_STATUS),
        time=1750263773,
    ),
]


@pytest.mark.parametrize("sample", range(len(WHATSAPP_SAMPLES)))
def test_mangled_whatsapp_payloads_never_raise(sample: int) -> None:
    for path, bad, body in mangled(WHATSAPP_SAMPLES[sample]):
        items = parse_whatsapp(body)
        assert_storable(items)
        assert_messages_survive(body, items, path, bad)


def array(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def assert_messages_survive(body: Any, items: list[WebhookItem], path: Path, bad: Any) -> None:
    """A message with a usable from/id on a routable number is never dropped."""
    kept = {item.external_id for item in items if isinstance(item, InboundMessage)}
    kept |= {"reaction" for item in items if isinstance(item, Reaction)}
    kept |= {
        "reaction"
        for item in items
        if isinstance(item, IgnoredEvent) and item.kind == "reaction_without_ids"
    }
    for entry in array(get_path(body, ("entry",))):
        for change_ in array(get_path(entry, ("changes",))):
            messages_value = get_path(change_, ("value",))
            if get_path(change_, ("field",)) != "messages" or not is_text_id(
                get_path(messages_value, ("metadata", "phone_number_id"))
            ):
                continue
            for message in array(get_path(messages_value, ("messages",))):
                if not (
                    is_text_id(get_path(message, ("from",)))
                    and is_text_id(get_path(message, ("id",)))
                ):
                    continue
                expected = (
                    "reaction"
                    if get_path(message, ("type",)) == "reaction"
                    else message["id"].strip()
                )
                assert expected in kept, (path, bad)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "whatsapp_business_account",
        {},
        {"entry": None},
        {"entry": [None, 1, "x"]},
        {"entry": [{"id": WABA, "changes": None}]},
        {"entry": [{"id": WABA, "changes": [None, 1, [], "x"]}]},
        {"entry": [{"id": WABA, "changes": [{"field": None, "value": None}]}]},
        {"entry": [{"id": WABA, "changes": [{"field": ["messages"], "value": "x"}]}]},
        {"entry": [{"id": WABA, "changes": [{"field": "messages", "value": None}]}]},
        {"entry": [{"id": WABA, "changes": [{"field": "messages", "value": []}]}]},
        {
            "entry": [
                {"id": WABA, "changes": [change("messages", value(messages=None, statuses="x"))]}
            ]
        },
        {
            "entry": [
                {"id": WABA, "changes": [change("messages", value(messages=[None, 1, "x", []]))]}
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change(
                            "messages", value(contacts="x", messages=[wa_message("text", "plain")])
                        )
                    ],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change(
                            "messages",
                            value(
                                contacts=[None, {"profile": []}],
                                messages=[wa_message("text", {"body": ["x"]})],
                            ),
                        )
                    ],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change(
                            "messages",
                            value(
                                messages=[
                                    {
                                        "from": WA_ID,
                                        "id": WAMID,
                                        "type": ["text"],
                                        "text": {"body": "x"},
                                    }
                                ]
                            ),
                        )
                    ],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change(
                            "messages", value(messages=[wa_message("interactive", {"type": {}})])
                        )
                    ],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change("messages", value(messages=[wa_message("contacts", {"name": None})]))
                    ],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change(
                            "messages",
                            value(messages=[wa_message("order", {"product_items": "x"})]),
                        )
                    ],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change("messages", value(statuses=[{"status": ["sent"]}, {"status": None}]))
                    ],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [change("messages", value(statuses=[status("failed", errors="x")]))],
                }
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        change(
                            "messages",
                            value(statuses=[status("failed", errors=[{"code": 10**5000}])]),
                        )
                    ],
                }
            ]
        },
        {"entry": [{"id": WABA, "changes": [change("messages", value(errors={"code": 1}))]}]},
        {
            "entry": [
                {"id": "\x00", "changes": [change("account_update", {"a\x00": float("nan"), 1: 2})]}
            ]
        },
        {
            "entry": [
                {
                    "id": WABA,
                    "changes": {
                        "field": "messages",
                        "value": value(messages=[wa_message("text", {"body": "lone"})]),
                    },
                }
            ]
        },
    ],
)
def test_malformed_envelopes_never_raise(payload: Any) -> None:
    assert_storable(parse_whatsapp(payload))


def test_lone_objects_count_as_arrays() -> None:
    payload = {
        "entry": {
            "id": WABA,
            "changes": {
                "field": "messages",
                "value": value(messages=wa_message("text", {"body": "x"})),
            },
        }
    }
    assert inbound(payload).text == "x"


def test_a_bug_still_keeps_the_customer_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: str, __: dict[str, Any]) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("api.channels.parsing.whatsapp.message_body", broken)
    payload = messages_payload(
        wa_message("text", {"body": "x"}), {**wa_message("text", {"body": "y"}), "id": "wamid.2"}
    )
    items = parse_whatsapp(payload)
    assert [(i.external_id, i.type, i.content) for i in items if isinstance(i, InboundMessage)] == [
        (WAMID, "unsupported", {"provider_type": "parse_error"}),
        ("wamid.2", "unsupported", {"provider_type": "parse_error"}),
    ]
