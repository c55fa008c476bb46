"""The one send path over REST and as a service: idempotency keys, Meta's rules with
their reasons, templates checked before anything is queued, business-initiated WhatsApp
conversations, and retrying a failed message."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.inbox.outbox import Draft, Outbox, SendRefused, TemplateParametersInvalid
from api.models import Contact, Conversation, Message, MessageStatus, Role
from api.templates.schemas import TemplateChoice
from api.tenancy import TenantScope
from tests.api.inbox.sending_data import (
    APPOINTMENT,
    INBOX,
    ORDER_PARAMETERS,
    add_template,
    messenger_setup,
    outbound,
    send_jobs,
    teammate_headers,
    whatsapp_setup,
)
from tests.helpers import Account, create_account

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


async def post_reply(
    client: httpx.AsyncClient,
    account: Account,
    conversation_id: uuid.UUID,
    body: dict[str, Any],
    key: str | None = None,
) -> httpx.Response:
    headers = {**account.headers, **({"Idempotency-Key": key} if key else {})}
    return await client.post(f"{INBOX}/{conversation_id}/messages", json=body, headers=headers)


# --- idempotency -----------------------------------------------------------------------


async def test_a_repeated_key_answers_with_the_same_message_and_queues_once(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    first = await post_reply(client, account, conversation.id, {"text": "once"}, key="k-1")
    again = await post_reply(client, account, conversation.id, {"text": "once"}, key="k-1")

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(await outbound(session, conversation.id)) == 1
    assert await send_jobs(redis) == [f"send:{first.json()['id']}"]


async def test_a_key_reused_for_another_request_is_refused_with_a_reason(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    other = (await whatsapp_setup(client, session, account=account))[2]
    await post_reply(client, account, conversation.id, {"text": "once"}, key="k-2")

    other_text = await post_reply(client, account, conversation.id, {"text": "twice"}, key="k-2")
    other_thread = await post_reply(client, account, other.id, {"text": "once"}, key="k-2")

    for refused in (other_text, other_thread):
        assert refused.status_code == 422
        assert refused.json()["error"] == "idempotency_key_reused"
        assert "different request" in refused.json()["detail"]
    assert len(await outbound(session)) == 1


async def test_keys_are_per_author(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """Two people of one tenant may happen to use the same key: two messages."""
    account, _, conversation = await whatsapp_setup(client, session)
    colleague = await teammate_headers(session, account.tenant_id)
    mine = await post_reply(client, account, conversation.id, {"text": "hi"}, key="same")
    theirs = await client.post(
        f"{INBOX}/{conversation.id}/messages",
        json={"text": "hi"},
        headers={**colleague, "Idempotency-Key": "same"},
    )
    assert mine.status_code == theirs.status_code == 202
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.committing
async def test_concurrent_duplicates_make_one_message_and_one_job(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    responses = await asyncio.gather(
        *(
            post_reply(client, account, conversation.id, {"text": "hi"}, key="k-race")
            for _ in range(8)
        )
    )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 7
    assert len(await outbound(session, conversation.id)) == 1
    assert len(await send_jobs(redis)) == 1


@pytest.mark.committing
async def test_concurrent_duplicates_starting_a_conversation_make_one_of_everything(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    body = {
        "channel_id": str(channel.id),
        "phone": "+44 20 7946 0003",
        "template": {"template_id": str(template.id), **ORDER_PARAMETERS},
    }
    headers = {**account.headers, "Idempotency-Key": "start-race"}
    responses = await asyncio.gather(
        *(client.post(INBOX, json=body, headers=headers) for _ in range(6))
    )
    assert {r.status_code for r in responses} == {202}, [r.text for r in responses]
    assert len({r.json()["message"]["id"] for r in responses}) == 1
    assert len({r.json()["conversation"]["id"] for r in responses}) == 1
    contacts = (
        await session.execute(select(Contact).where(Contact.external_id == "442079460003"))
    ).scalars()
    assert len(list(contacts)) == 1
    assert len(await send_jobs(redis)) == 1


# --- Meta's rules, over REST -----------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "wrote", "body", "status", "code"),
    [
        ("whatsapp", 25 * HOUR, {"text": "late"}, 409, "template_required"),
        ("whatsapp", None, {"text": "first"}, 409, "template_required"),
        ("whatsapp", HOUR, {"text": "hi", "tag": "HUMAN_AGENT"}, 422, "tag_not_allowed"),
        ("messenger", 8 * DAY, {"text": "late"}, 409, "human_agent_window_expired"),
        ("messenger", None, {"text": "first"}, 409, "window_closed"),
        ("messenger", HOUR, {"text": "hi", "tag": "POST_PURCHASE_UPDATE"}, 422, "tag_not_allowed"),
        ("messenger", 2 * DAY, {"text": "hi", "tag": "ACCOUNT_UPDATE"}, 422, "tag_not_allowed"),
        (
            "messenger",
            HOUR,
            {"template": {"name": "order_update", "language": "en_US"}},
            422,
            "template_not_supported",
        ),
    ],
)
async def test_refusals_carry_a_machine_readable_reason_and_store_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    setup: str,
    wrote: timedelta | None,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    make = whatsapp_setup if setup == "whatsapp" else messenger_setup
    account, _, conversation = await make(client, session, wrote=wrote)
    response = await post_reply(client, account, conversation.id, body)

    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert await outbound(session) == []
    assert await send_jobs(redis) == []


async def test_a_person_may_ask_for_human_agent_explicitly(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await messenger_setup(client, session, wrote=3 * DAY)
    response = await post_reply(
        client, account, conversation.id, {"text": "sorry for the wait", "tag": "HUMAN_AGENT"}
    )
    assert response.status_code == 202
    assert response.json()["tag"] == "HUMAN_AGENT"
    assert response.json()["automated"] is False


async def test_a_disconnected_channel_refuses_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from api.models import Channel, ChannelStatus

    account, channel, conversation = await whatsapp_setup(client, session)
    await session.execute(
        update(Channel).where(Channel.id == channel.id).values(status=ChannelStatus.DISCONNECTED)
    )
    await session.commit()
    response = await post_reply(client, account, conversation.id, {"text": "hi"})
    assert (response.status_code, response.json()["error"]) == (409, "channel_inactive")


async def test_viewers_cannot_send(client: httpx.AsyncClient, session: AsyncSession) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    viewer = await teammate_headers(session, account.tenant_id, Role.VIEWER)
    response = await client.post(
        f"{INBOX}/{conversation.id}/messages", json={"text": "hi"}, headers=viewer
    )
    assert response.status_code == 403


@pytest.mark.parametrize("body", [{}, {"text": "hi", "template": {"name": "x", "language": "en"}}])
async def test_a_reply_is_text_or_a_template(
    client: httpx.AsyncClient, session: AsyncSession, body: dict[str, Any]
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    response = await post_reply(client, account, conversation.id, body)
    assert response.status_code == 422
    assert "either text or template" in response.json()["detail"]


# --- Meta's rules, as a service (automations use the same path) -------------------------


async def automation(session: AsyncSession, tenant_id: uuid.UUID) -> Outbox:
    """The send path as an automation uses it: no person behind the message."""
    return Outbox(session, TenantScope(tenant_id, None, Role.OWNER))


async def test_an_automation_cannot_reply_after_24_hours_on_messenger(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await messenger_setup(client, session, wrote=2 * DAY)
    outbox = await automation(session, account.tenant_id)
    with pytest.raises(SendRefused) as refused:
        await outbox.send(conversation.id, Draft(text="Your ticket was updated"))
    assert (refused.value.code, refused.value.status_code) == ("human_agent_only", 409)
    with pytest.raises(SendRefused) as tagged:
        await outbox.send(conversation.id, Draft(text="hi", tag="HUMAN_AGENT"))
    assert tagged.value.code == "human_agent_only"


async def test_an_automation_sends_inside_the_window_and_is_marked_automated(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await messenger_setup(client, session, wrote=HOUR)
    sent = await (await automation(session, account.tenant_id)).send(
        conversation.id, Draft(text="We got your message")
    )
    assert sent.message.automated is True and sent.message.author_user_id is None
    assert sent.message.status is MessageStatus.QUEUED


async def test_an_automation_starts_whatsapp_only_with_an_approved_template(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from api.contacts.phone import parse_phone

    account, channel, conversation = await whatsapp_setup(client, session, wrote=3 * DAY)
    pending = await add_template(session, channel, name="spring_sale", status="PENDING")
    outbox = await automation(session, account.tenant_id)
    with pytest.raises(SendRefused) as text_refused:
        await outbox.send(conversation.id, Draft(text="Come back!"))
    with pytest.raises(SendRefused) as pending_refused:
        await outbox.start_whatsapp(
            channel.id,
            parse_phone("+15550100002"),
            TemplateChoice(template_id=pending.id, body=["Ana", "#1", "now"]),
        )
    assert text_refused.value.code == "template_required"
    assert pending_refused.value.code == "template_not_approved"


# --- templates -------------------------------------------------------------------------


async def test_a_template_reply_is_queued_with_its_preview_and_graph_components(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session, wrote=3 * DAY)
    template = await add_template(session, channel)
    response = await post_reply(
        client,
        account,
        conversation.id,
        {"template": {"name": "order_update", "language": "en_US", **ORDER_PARAMETERS}},
    )

    assert response.status_code == 202, response.text
    message = response.json()
    assert message["type"] == "template" and message["status"] == "queued"
    assert (
        message["text"]
        == "Order #4412\n\nHi Ana, your order #4412 is on its way and arrives tomorrow."
    )
    assert message["content"]["template"] == {
        "id": str(template.id),
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
    }
    assert [c["type"] for c in message["content"]["components"]] == ["header", "body", "button"]
    assert await send_jobs(redis) == [f"send:{message['id']}"]


@pytest.mark.parametrize(
    ("template", "components", "parameters", "field", "says"),
    [
        ("order_update", None, {**ORDER_PARAMETERS, "body": ["Ana"]}, "body", "3 variables; 1 value"),
        ("order_update", None, {**ORDER_PARAMETERS, "header": None}, "header", "needs a text"),
        ("order_update", None, {**ORDER_PARAMETERS, "buttons": []}, "buttons.0", "URL suffix"),
        ("appointment", APPOINTMENT, {"body": {"first_name": "Ana", "date": "Fri"}}, "header", "give its link or media_id"),
        (
            "appointment",
            APPOINTMENT,
            {"header": {"type": "video", "link": "https://x.test/v.mp4"}, "body": {"first_name": "A", "date": "F"}},
            "header",
            "not a video",
        ),
        (
            "appointment",
            APPOINTMENT,
            {"header": {"type": "image", "link": "https://x.test/a.png"}, "body": ["Ana", "Fri"]},
            "body",
            "object keyed by first_name, date",
        ),
    ],
)  # fmt: skip
async def test_template_parameters_are_checked_before_anything_is_queued(
    client: httpx.AsyncClient,
    session: AsyncSession,
    redis: Any,
    template: str,
    components: list[dict[str, Any]] | None,
    parameters: dict[str, Any],
    field: str,
    says: str,
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session, wrote=3 * DAY)
    fmt = "NAMED" if template == "appointment" else "POSITIONAL"
    await add_template(session, channel, name=template, components=components, parameter_format=fmt)
    response = await post_reply(
        client,
        account,
        conversation.id,
        {"template": {"name": template, "language": "en_US", **parameters}},
    )

    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "template_parameters_invalid"
    problems = {p["field"]: p["message"] for p in error["fields"]}
    assert says in problems[field]
    assert "preview" in error and error["preview"]["body"]
    assert await outbound(session) == []
    assert await send_jobs(redis) == []


async def test_a_template_must_exist_on_the_numbers_account(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    _, other_channel, _ = await whatsapp_setup(client, session, account=account)
    elsewhere = await add_template(session, other_channel)
    unknown = await post_reply(
        client, account, conversation.id, {"template": {"name": "nope", "language": "en_US"}}
    )
    wrong_account = await post_reply(
        client, account, conversation.id, {"template": {"template_id": str(elsewhere.id)}}
    )
    assert (unknown.status_code, unknown.json()["error"]) == (422, "template_not_found")
    assert (wrong_account.status_code, wrong_account.json()["error"]) == (
        422,
        "template_wrong_account",
    )


# --- business-initiated WhatsApp ------------------------------------------------------------


async def test_starting_a_conversation_creates_contact_and_conversation_and_sends_the_template(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    response = await client.post(
        INBOX,
        json={
            "channel_id": str(channel.id),
            "phone": "+1 (555) 010-0042",
            "template": {"template_id": str(template.id), **ORDER_PARAMETERS},
        },
        headers=account.headers,
    )

    assert response.status_code == 202, response.text
    started = response.json()
    assert started["conversation"]["contact"]["external_id"] == "15550100042"
    assert started["conversation"]["channel_id"] == str(channel.id)
    assert started["conversation"]["window"]["state"] == "closed"
    assert started["message"]["type"] == "template"
    assert started["message"]["conversation_id"] == started["conversation"]["id"]
    assert await send_jobs(redis) == [f"send:{started['message']['id']}"]

    again = await client.post(
        INBOX,
        json={
            "channel_id": str(channel.id),
            "phone": "+15550100042",
            "template": {"template_id": str(template.id), **ORDER_PARAMETERS},
        },
        headers=account.headers,
    )
    assert again.json()["conversation"]["id"] == started["conversation"]["id"]  # found, not new


@pytest.mark.parametrize(
    "phone", ["555 010 0042", "+1 555 010 004", "+28 1234 5678", "twelve", "+44 20 7946 0003 x2"]
)
async def test_a_phone_number_that_is_not_e164_is_a_clear_422(
    client: httpx.AsyncClient, session: AsyncSession, phone: str
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    response = await client.post(
        INBOX,
        json={"channel_id": str(channel.id), "phone": phone, "template": {"template_id": str(template.id)}},
        headers=account.headers,
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert response.json()["fields"][0]["field"] == "phone"
    assert await outbound(session) == []


async def test_starting_on_messenger_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel, _ = await messenger_setup(client, session)
    response = await client.post(
        INBOX,
        json={"channel_id": str(channel.id), "phone": "+15550100042", "template": {"name": "x", "language": "en"}},
        headers=account.headers,
    )  # fmt: skip
    assert (response.status_code, response.json()["error"]) == (400, "not_whatsapp")


# --- retry -------------------------------------------------------------------------------


async def fail(session: AsyncSession, message_id: str, code: str = "131000") -> None:
    await session.execute(
        update(Message)
        .where(Message.id == uuid.UUID(message_id))
        .values(
            status=MessageStatus.FAILED,
            error_code=code,
            error_reason="Something went wrong",
            attempts=5,
            external_id="wamid.failed",
        )
    )
    await session.commit()


async def test_retry_requeues_a_failed_message_under_a_new_job_id(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    message_id = (await post_reply(client, account, conversation.id, {"text": "hi"})).json()["id"]
    await fail(session, message_id)
    await redis.flushdb()  # the first job has run and gone

    response = await client.post(f"/api/inbox/messages/{message_id}/retry", headers=account.headers)

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["error"], body["retry_count"]) == ("queued", None, 1)
    assert body["external_id"] is None  # the new send gets its own provider id
    assert await send_jobs(redis) == [f"send:{message_id}:r1"]
    [message] = await outbound(session)
    assert message.attempts == 0

    twice = await client.post(f"/api/inbox/messages/{message_id}/retry", headers=account.headers)
    assert twice.status_code == 202 and twice.json()["retry_count"] == 1  # already on its way


async def test_retry_checks_the_rules_again(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    message_id = (await post_reply(client, account, conversation.id, {"text": "hi"})).json()["id"]
    await fail(session, message_id)
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_inbound_at=Conversation.last_inbound_at - timedelta(days=2))
    )
    await session.commit()

    response = await client.post(f"/api/inbox/messages/{message_id}/retry", headers=account.headers)

    assert (response.status_code, response.json()["error"]) == (409, "template_required")
    [message] = await outbound(session)
    assert message.status is MessageStatus.FAILED


async def test_only_failed_messages_are_retried(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _, conversation = await whatsapp_setup(client, session)
    message_id = (await post_reply(client, account, conversation.id, {"text": "hi"})).json()["id"]
    await session.execute(
        update(Message).where(Message.id == uuid.UUID(message_id)).values(status="sent")
    )
    await session.commit()
    response = await client.post(f"/api/inbox/messages/{message_id}/retry", headers=account.headers)
    assert (response.status_code, response.json()["error"]) == (409, "not_failed")


# --- tenancy -----------------------------------------------------------------------------


async def test_another_tenants_ids_are_404_on_every_send_endpoint(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    message_id = (await post_reply(client, account, conversation.id, {"text": "hi"})).json()["id"]
    await fail(session, message_id)
    intruder = await create_account(client, tenant_name="Intruder Inc")
    _, own_channel, own_conversation = await whatsapp_setup(client, session, account=intruder)

    responses = [
        await post_reply(client, intruder, conversation.id, {"text": "hi"}),
        await client.post(f"/api/inbox/messages/{message_id}/retry", headers=intruder.headers),
        await client.post(
            INBOX,
            json={"channel_id": str(channel.id), "phone": "+15550100042", "template": {"template_id": str(template.id)}},
            headers=intruder.headers,
        ),
        # their own channel and conversation, but our template
        await client.post(
            INBOX,
            json={"channel_id": str(own_channel.id), "phone": "+15550100042", "template": {"template_id": str(template.id)}},
            headers=intruder.headers,
        ),
        await post_reply(client, intruder, own_conversation.id, {"template": {"template_id": str(template.id)}}),
    ]  # fmt: skip
    assert [r.status_code for r in responses] == [404] * 5
    assert all(r.json()["error"] == "not_found" for r in responses)
    [message] = await outbound(session, conversation.id)
    assert message.status is MessageStatus.FAILED


async def test_the_outbox_refuses_a_bad_template_as_a_service_too(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel, conversation = await whatsapp_setup(client, session, wrote=3 * DAY)
    template = await add_template(session, channel)
    outbox = await automation(session, account.tenant_id)
    with pytest.raises(TemplateParametersInvalid) as invalid:
        await outbox.send(
            conversation.id, Draft(template=TemplateChoice(template_id=template.id, body=["x"]))
        )
    assert {f["field"] for f in invalid.value.extra["fields"]} >= {"body", "header"}
