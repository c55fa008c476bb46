"""The business reacting to a message: shown at once, sent to Meta by a job through the
send path's rules and pacing, idempotent, taken back (and announced) if Meta refuses."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.db import unit_of_work
from api.inbox.reaction_sending import ReactionDispatcher, ReactionPlan, ReactionSender
from api.jobs import QUEUE_NAME
from api.models import Channel, ChannelStatus, Contact, Conversation, Message, MessageDirection
from tests.api.inbox.inbox_data import Team, ago, create_team, create_thread, message_row
from tests.helpers import EventRecorder
from worker import tasks

THUMBS, HEART = "👍", "❤️"


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings().outbound, "whatsapp_pair_interval_seconds", 0)


@pytest.fixture
async def team(client: httpx.AsyncClient, session: AsyncSession) -> Team:
    return await create_team(client, session)


async def thread(
    session: AsyncSession, channel: Channel, *, wrote: timedelta = timedelta(hours=1)
) -> tuple[Conversation, Message]:
    """A conversation whose customer's one message arrived `wrote` ago."""
    conversation = await create_thread(
        session, channel, texts=("Is it in stock?",), at=ago(seconds=wrote.total_seconds()),
        last_inbound_at=ago(seconds=wrote.total_seconds()),
    )  # fmt: skip
    return conversation, await only_message(session, conversation)


async def only_message(session: AsyncSession, conversation: Conversation) -> Message:
    statement = select(Message).where(Message.conversation_id == conversation.id)
    return (await session.execute(statement.execution_options(populate_existing=True))).scalar_one()


async def stored(session: AsyncSession, message_id: uuid.UUID) -> Message:
    message = await session.get(Message, message_id, populate_existing=True)
    assert message is not None
    return message


async def react(
    client: httpx.AsyncClient, headers: dict[str, str], message_id: Any, emoji: str
) -> httpx.Response:
    return await client.post(
        f"/api/inbox/messages/{message_id}/reactions", json={"emoji": emoji}, headers=headers
    )


async def reaction_jobs(redis: Any) -> list[str]:
    return [
        key.decode()
        for key in await redis.zrange(QUEUE_NAME, 0, -1)
        if key.decode().startswith("react:")
    ]


async def recipient(session: AsyncSession, conversation: Conversation) -> str:
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    return contact.external_id


def wa_ok(wamid: str = "wamid.reaction") -> httpx.Response:
    return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": wamid}]})


def graph_error(code: int, http: int = 400) -> httpx.Response:
    return httpx.Response(
        http, json={"error": {"message": "nope", "type": "OAuthException", "code": code}}
    )


async def pending_job(session: AsyncSession, message_id: uuid.UUID) -> str:
    """The job id of the business's reaction still on its way to Meta."""
    (entry,) = [r for r in (await stored(session, message_id)).reactions if r.get("pending")]
    return f"react:{message_id}:{entry['choice']}"


def same_time(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def sent_bodies(route: respx.Route) -> list[dict[str, Any]]:
    return [json.loads(call.request.content) for call in route.calls]


# --- WhatsApp -------------------------------------------------------------------------


async def test_a_whatsapp_reaction_shows_at_once_and_goes_as_a_reaction_message(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    events: EventRecorder,
    redis: Any,
) -> None:
    conversation, message = await thread(session, team.whatsapp)

    response = await react(client, team.agent.headers, message.id, THUMBS)

    assert response.status_code == 202
    out = response.json()
    assert out["id"] == str(message.id)
    [reaction] = out["reactions"]
    assert (reaction["emoji"], reaction["by"]) == (THUMBS, "business") and reaction["at"]
    assert events.names() == ["message:updated"]
    assert events.published[0][2]["message"]["reactions"] == out["reactions"]
    assert await reaction_jobs(redis) == [await pending_job(session, message.id)]

    route = graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=wa_ok())
    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "sent"
    assert sent_bodies(route) == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": await recipient(session, conversation),
            "type": "reaction",
            "reaction": {"message_id": message.external_id, "emoji": THUMBS},
        }
    ]
    assert route.calls.last.request.headers["Authorization"] == "Bearer wa-system-user-token"
    # Settled: only what the API shows is left in the row.
    [entry] = (await stored(session, message.id)).reactions
    assert entry == {"emoji": THUMBS, "by": "business", "at": entry["at"]}
    assert same_time(entry["at"], reaction["at"])
    # Running the job again sends nothing more.
    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "skipped"
    assert route.call_count == 1


async def test_the_same_emoji_twice_changes_nothing_and_calls_meta_once(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    _, message = await thread(session, team.whatsapp)
    route = graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=wa_ok())

    first = await react(client, team.agent.headers, message.id, THUMBS)
    again = await react(client, team.owner.headers, message.id, THUMBS)
    await tasks.send_reaction({"job_try": 1}, str(message.id))
    after_sent = await react(client, team.agent.headers, message.id, THUMBS)

    assert first.status_code == again.status_code == after_sent.status_code == 202
    assert first.json()["reactions"] == again.json()["reactions"] == after_sent.json()["reactions"]
    assert len(await reaction_jobs(redis)) == 1
    assert route.call_count == 1


async def test_changing_and_taking_back_a_reaction_each_tell_meta(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    _, message = await thread(session, team.whatsapp)
    route = graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=wa_ok())

    for emoji in (THUMBS, HEART, ""):
        response = await react(client, team.agent.headers, message.id, emoji)
        assert response.status_code == 202
        assert [r["emoji"] for r in response.json()["reactions"]] == ([emoji] if emoji else [])
        assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "sent"

    assert [b["reaction"]["emoji"] for b in sent_bodies(route)] == [THUMBS, HEART, ""]
    assert (await stored(session, message.id)).reactions == []
    # Each choice has its own job id: arq keeps a finished job's id for a while and would
    # silently drop a new job under it.
    jobs = await reaction_jobs(redis)
    assert len(jobs) == len(set(jobs)) == 3


async def test_a_reaction_taken_back_before_it_left_never_reaches_meta(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    redis: Any,
) -> None:
    _, message = await thread(session, team.whatsapp)
    route = graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=wa_ok())

    await react(client, team.agent.headers, message.id, THUMBS)
    job = await pending_job(session, message.id)
    removed = await react(client, team.agent.headers, message.id, "")

    assert removed.json()["reactions"] == []
    assert (await stored(session, message.id)).reactions == []
    assert await reaction_jobs(redis) == [job]  # no job for the removal
    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "skipped"
    assert route.call_count == 0


async def test_the_customers_reaction_is_kept_beside_the_business_one(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    _, message = await thread(session, team.whatsapp)
    customer = {"emoji": "😂", "by": "contact", "at": datetime.now(UTC).isoformat()}
    await session.execute(
        update(Message).where(Message.id == message.id).values(reactions=[customer])
    )
    await session.commit()

    response = await react(client, team.agent.headers, message.id, HEART)

    assert [(r["emoji"], r["by"]) for r in response.json()["reactions"]] == [
        ("😂", "contact"),
        (HEART, "business"),
    ]


async def test_whatsapp_reacts_to_the_customers_recent_messages_only(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, redis: Any
) -> None:
    conversation, _ = await thread(session, team.whatsapp)
    ours = message_row(conversation, "We have it", ago(minutes=1), MessageDirection.OUTBOUND)
    old = message_row(conversation, "Last month", ago(days=31))
    await session.execute(
        insert(Message), [ours | {"status": "sent"}, old | {"status": "received"}]
    )
    await session.commit()

    own = await react(client, team.agent.headers, ours["id"], THUMBS)
    too_old = await react(client, team.agent.headers, old["id"], THUMBS)

    assert (own.status_code, own.json()["error"]) == (409, "reactions_not_supported")
    assert (too_old.status_code, too_old.json()["error"]) == (409, "reaction_target_too_old")
    assert await reaction_jobs(redis) == []


async def test_outside_the_24_hour_window_a_reaction_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, redis: Any
) -> None:
    _, message = await thread(session, team.whatsapp, wrote=timedelta(hours=25))

    response = await react(client, team.agent.headers, message.id, THUMBS)

    assert response.status_code == 409
    assert response.json()["error"] == "window_closed"
    assert "24 hours" in response.json()["detail"]
    assert (await stored(session, message.id)).reactions == []
    assert await reaction_jobs(redis) == []


# --- Messenger --------------------------------------------------------------------------


async def test_messenger_reactions_are_react_and_unreact_sender_actions(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, graph: respx.MockRouter
) -> None:
    conversation, message = await thread(session, team.messenger)
    psid = await recipient(session, conversation)
    route = graph.post(f"/{team.messenger.external_id}/messages").respond(
        200, json={"recipient_id": psid, "message_id": message.external_id}
    )

    await react(client, team.agent.headers, message.id, HEART)
    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "sent"
    await react(client, team.agent.headers, message.id, "")
    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "sent"

    assert sent_bodies(route) == [
        {
            "recipient": {"id": psid},
            "sender_action": "react",
            "payload": {"message_id": message.external_id, "reaction": HEART},
        },
        {
            "recipient": {"id": psid},
            "sender_action": "unreact",
            "payload": {"message_id": message.external_id},
        },
    ]
    assert route.calls.last.request.headers["Authorization"] == "Bearer page-token"


async def test_messenger_reacts_to_the_businesss_own_messages_too(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation, _ = await thread(session, team.messenger)
    ours = message_row(conversation, "Here you go", ago(minutes=1), MessageDirection.OUTBOUND)
    await session.execute(insert(Message), [ours | {"status": "sent"}])
    await session.commit()

    response = await react(client, team.agent.headers, ours["id"], THUMBS)

    assert response.status_code == 202


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("emoji", ["ok", "👍👍", "👍 ", "a👍", "🇺", "x" * 17])
async def test_anything_but_one_emoji_is_a_validation_error(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, emoji: str
) -> None:
    _, message = await thread(session, team.whatsapp)

    response = await react(client, team.agent.headers, message.id, emoji)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert "emoji" in response.json()["detail"]


@pytest.mark.parametrize("emoji", ["👍🏽", "👩‍💻", "🇵🇹", "1️⃣", "❤"])
async def test_skin_tones_zwj_sequences_flags_and_keycaps_are_one_emoji(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, emoji: str
) -> None:
    _, message = await thread(session, team.whatsapp)

    response = await react(client, team.agent.headers, message.id, emoji)

    assert response.status_code == 202
    assert response.json()["reactions"][0]["emoji"] == emoji


async def test_viewers_cannot_react_and_other_tenants_messages_are_404(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    _, message = await thread(session, team.whatsapp)
    other = await create_team(client, session, "Globex")

    viewer = await react(client, team.viewer.headers, message.id, THUMBS)
    foreign = await react(client, other.owner.headers, message.id, THUMBS)
    unknown = await react(client, team.agent.headers, uuid.uuid4(), THUMBS)

    assert [viewer.status_code, foreign.status_code, unknown.status_code] == [403, 404, 404]
    assert (await stored(session, message.id)).reactions == []


async def test_a_message_not_at_meta_or_a_note_cannot_be_reacted_to(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    conversation, _ = await thread(session, team.messenger)
    queued = message_row(conversation, "sending...", ago(seconds=5), MessageDirection.OUTBOUND)
    note = message_row(conversation, "VIP", ago(seconds=5), MessageDirection.NOTE)
    await session.execute(
        insert(Message),
        [
            queued | {"status": "queued", "external_id": None},
            note | {"status": "received", "external_id": None, "type": "note"},
        ],
    )
    await session.commit()

    for target in (queued["id"], note["id"]):
        response = await react(client, team.agent.headers, target, THUMBS)
        assert response.status_code == 409
        assert response.json()["error"] == "message_not_delivered"


async def test_a_disconnected_channel_refuses_reactions(
    client: httpx.AsyncClient, session: AsyncSession, team: Team
) -> None:
    _, message = await thread(session, team.whatsapp)
    await session.execute(
        update(Channel)
        .where(Channel.id == team.whatsapp.id)
        .values(status=ChannelStatus.NEEDS_REAUTH)
    )
    await session.commit()

    response = await react(client, team.agent.headers, message.id, THUMBS)

    assert (response.status_code, response.json()["error"]) == (409, "channel_inactive")


# --- failures ---------------------------------------------------------------------------


async def test_a_permanent_failure_takes_the_reaction_off_and_announces_it(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    events: EventRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, message = await thread(session, team.whatsapp)
    graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=graph_error(131009))
    await react(client, team.agent.headers, message.id, THUMBS)
    events.published.clear()

    with caplog.at_level(logging.WARNING, logger="api.inbox.reaction_sending"):
        assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "failed 131009"

    assert (await stored(session, message.id)).reactions == []
    [(_, name, payload)] = events.published
    assert name == "message:updated" and payload["message"]["reactions"] == []
    assert "131009" in caplog.text and "wa-system-user-token" not in caplog.text


async def test_a_failed_change_puts_back_the_reaction_meta_has(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, graph: respx.MockRouter
) -> None:
    _, message = await thread(session, team.messenger)
    route = graph.post(f"/{team.messenger.external_id}/messages")
    route.side_effect = [
        httpx.Response(200, json={"recipient_id": "x", "message_id": message.external_id}),
        graph_error(100),
    ]
    first = await react(client, team.agent.headers, message.id, THUMBS)
    await tasks.send_reaction({"job_try": 1}, str(message.id))
    await react(client, team.agent.headers, message.id, HEART)

    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "failed 100"

    [entry] = (await stored(session, message.id)).reactions
    assert entry == {"emoji": THUMBS, "by": "business", "at": entry["at"]}
    assert same_time(entry["at"], first.json()["reactions"][0]["at"])


async def test_retryable_errors_back_off_then_give_up_after_the_attempts(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings().outbound, "max_attempts", 2)
    _, message = await thread(session, team.whatsapp)
    route = graph.post(f"/{team.whatsapp.external_id}/messages").mock(
        return_value=graph_error(131016, http=503)
    )
    await react(client, team.agent.headers, message.id, THUMBS)
    dispatcher = ReactionDispatcher()

    first = await dispatcher.react(message.id)
    shown_meanwhile = (await stored(session, message.id)).reactions
    second = await dispatcher.react(message.id)

    assert first.summary == "retry 131016" and first.defer is not None and first.defer > 0
    assert [r["emoji"] for r in shown_meanwhile] == [THUMBS]
    assert second.summary == "failed 131016" and second.defer is None
    assert route.call_count == 2
    assert (await stored(session, message.id)).reactions == []


async def test_a_dead_token_flags_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, graph: respx.MockRouter
) -> None:
    _, message = await thread(session, team.whatsapp)
    graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=graph_error(190))
    await react(client, team.agent.headers, message.id, THUMBS)

    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "failed 190"

    channel = await session.get(Channel, team.whatsapp.id, populate_existing=True)
    assert channel is not None and channel.status is ChannelStatus.NEEDS_REAUTH


# --- one call at a time, newest choice wins --------------------------------------------


async def test_a_choice_made_while_a_call_is_out_is_sent_after_it(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, graph: respx.MockRouter
) -> None:
    _, message = await thread(session, team.whatsapp)
    route = graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=wa_ok())
    await react(client, team.agent.headers, message.id, THUMBS)
    dispatcher = ReactionDispatcher()
    async with unit_of_work() as job_session:  # job 1 claims 👍 and is calling Meta...
        plan = await ReactionSender(job_session, dispatcher).claim(message.id)
    assert isinstance(plan, ReactionPlan) and plan.reaction.emoji == THUMBS

    changed = await react(client, team.agent.headers, message.id, HEART)  # ...the agent changes
    waiting = await dispatcher.react(message.id)  # job 2 waits for job 1's call
    async with unit_of_work() as job_session:  # job 1's call returns
        await ReactionSender(job_session, dispatcher).record_sent(plan)
    after = await dispatcher.react(message.id)

    assert [r["emoji"] for r in changed.json()["reactions"]] == [HEART]
    assert waiting.summary == "deferred" and waiting.defer is not None
    assert after.summary == "sent"
    assert [b["reaction"]["emoji"] for b in sent_bodies(route)] == [HEART]
    assert [r["emoji"] for r in (await stored(session, message.id)).reactions] == [HEART]
    assert "pending" not in (await stored(session, message.id)).reactions[0]


async def test_the_window_closing_before_the_job_runs_takes_the_reaction_back(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: Team,
    graph: respx.MockRouter,
    events: EventRecorder,
) -> None:
    conversation, message = await thread(session, team.whatsapp)
    route = graph.post(f"/{team.whatsapp.external_id}/messages").mock(return_value=wa_ok())
    await react(client, team.agent.headers, message.id, THUMBS)
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_inbound_at=ago(hours=25))
    )
    await session.commit()
    events.published.clear()

    assert await tasks.send_reaction({"job_try": 1}, str(message.id)) == "skipped"

    assert route.call_count == 0
    assert (await stored(session, message.id)).reactions == []
    assert events.names() == ["message:updated"]


# --- re-drive ---------------------------------------------------------------------------


async def test_a_pending_reaction_whose_job_was_lost_is_enqueued_again(
    client: httpx.AsyncClient, session: AsyncSession, team: Team, redis: Any
) -> None:
    _, stale = await thread(session, team.whatsapp)
    _, fresh = await thread(session, team.whatsapp)
    _, done = await thread(session, team.messenger)
    for message in (stale, fresh, done):
        await react(client, team.agent.headers, message.id, THUMBS)
    lost_job = await pending_job(session, stale.id)
    await redis.flushdb()  # Redis lost every job
    settled = {"emoji": THUMBS, "by": "business", "at": datetime.now(UTC).isoformat()}
    await session.execute(update(Message).where(Message.id == done.id).values(reactions=[settled]))
    three_minutes_ago = func.now() - timedelta(minutes=3)
    await session.execute(
        update(Message)
        .where(Message.id.in_([stale.id, done.id]))
        .values(updated_at=three_minutes_ago)
    )
    await session.commit()

    assert await tasks.redrive_reactions({}) == 1

    assert await reaction_jobs(redis) == [lost_job]
