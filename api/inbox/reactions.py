"""The business reacting to a message (an emoji, or taking it back).

The reaction shows on the message at once (`message:updated`) and goes to Meta through
the send path's queue, rate limits and rules (api.inbox.reaction_sending). Like a reply it
lives in Postgres first: the business's entry in `messages.reactions` carries its sync
state while Meta has not confirmed it —

    {"emoji": "👍", "by": "business", "at": ..., "pending": true,
     "meta": "<what Meta has: an emoji, or "">", "meta_at": ..., "choice": "<id>",
     "claim_choice": "<id>", "claim_until": ..., "attempts": 1}

`emoji` is what the team chose ("" while a removal is on its way: not shown); `choice`
names that choice (and its job), so a call made for an older choice is never taken for
the newest one. An
entry without `pending` is what Meta has. A permanent failure puts back what Meta has and
announces it. Asking for the emoji already chosen changes nothing and calls no one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.errors import AppError, Conflict, NotFound
from api.inbox.outbox import SendRefused
from api.inbox.outbox_repository import OutboxRepository
from api.inbox.policy import decide_reaction
from api.inbox.repository import ConversationRepository
from api.inbox.schemas import MessageOut
from api.inbox.views import emit_message, messages_out
from api.models import Channel, ChannelKind, ChannelStatus, Message, MessageDirection
from api.tenancy import TenantScope

BUSINESS = "business"
REACTION_JOB = "inbox.send_reaction"
# WhatsApp delivers no reaction to a message older than this (it fails with 131009).
WHATSAPP_REACTION_AGE = timedelta(days=30)

Entry = dict[str, Any]


def reaction_job_id(message_id: uuid.UUID, choice: str) -> str:
    """One job per choice: a new choice is never swallowed by the previous one's job id,
    which arq keeps for a while after it ran."""
    return f"react:{message_id}:{choice}"


# --- the business's entry -------------------------------------------------------------


def business_entry(message: Message) -> Entry | None:
    return next((r for r in message.reactions or [] if r.get("by") == BUSINESS), None)


def set_business_entry(message: Message, entry: Entry | None) -> None:
    """Replace the business's entry (a new list, so the JSONB change is written)."""
    kept = [r for r in message.reactions or [] if r.get("by") != BUSINESS]
    message.reactions = [*kept, entry] if entry is not None else kept


def at_meta(entry: Entry | None) -> str:
    """The emoji Meta has for the business ("" for none)."""
    if entry is None:
        return ""
    return str(entry.get("meta", "") if entry.get("pending") else entry.get("emoji", ""))


def in_flight(entry: Entry | None, now: datetime) -> bool:
    """A job is calling Meta with one of the choices right now (until its claim expires)."""
    until = (entry or {}).get("claim_until")
    return until is not None and datetime.fromisoformat(str(until)) > now


def settled(emoji: str, at: datetime | str) -> Entry | None:
    """The entry once Meta has `emoji` (none when the reaction is gone)."""
    if not emoji:
        return None
    return {"emoji": emoji, "by": BUSINESS, "at": at if isinstance(at, str) else at.isoformat()}


def choose(entry: Entry | None, emoji: str, now: datetime) -> tuple[Entry | None, bool]:
    """The entry after the team chose `emoji`, and whether Meta must be told."""
    meta = at_meta(entry)
    if emoji == meta and not in_flight(entry, now):
        return settled(emoji, now), False  # e.g. 👍 → ❤️ → 👍 before anything left
    chosen: Entry = {
        "emoji": emoji,
        "by": BUSINESS,
        "at": now.isoformat(),
        "pending": True,
        "meta": meta,
        "meta_at": _meta_at(entry, now),
        "choice": uuid.uuid4().hex[:16],
        "attempts": 0,
    }
    for key in ("claim_choice", "claim_until"):  # a call in flight stays known
        if entry is not None and key in entry:
            chosen[key] = entry[key]
    return chosen, True


def _meta_at(entry: Entry | None, now: datetime) -> str:
    """Since when Meta has what it has (shown again if a newer choice fails)."""
    if entry is None:
        return now.isoformat()
    return str(entry.get("meta_at") if entry.get("pending") else entry.get("at")) or now.isoformat()


# --- the request -----------------------------------------------------------------------


class ReactionService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.messages = OutboxRepository(session, scope)
        self.conversations = ConversationRepository(session, scope)

    async def react(self, message_id: uuid.UUID, emoji: str) -> MessageOut:
        """Set, change (`emoji`) or take back (`""`) the business's reaction to a message."""
        message = await self.messages.for_update(message_id)
        if message is None:
            raise NotFound("Message not found.")
        conversation = await self.conversations.get_full(message.conversation_id)
        if conversation is None:  # its conversation is in the trash
            raise NotFound("Message not found.")
        entry = business_entry(message)
        if str((entry or {}).get("emoji", "")) == emoji:
            return await self._out(message)  # already chosen: nothing to do, nothing sent
        channel = conversation.channel
        now = datetime.now(UTC)
        _check_target(message, channel, now)
        decision = decide_reaction(channel.kind, conversation.last_inbound_at, now)
        if not decision.allowed:
            assert decision.reason is not None
            raise SendRefused(decision.detail or "Not allowed now.", code=decision.reason.value)
        chosen, tell_meta = choose(entry, emoji, now)
        set_business_entry(message, chosen)
        await emit_message(self.session, message)
        if tell_meta:
            assert chosen is not None
            job_id = reaction_job_id(message.id, str(chosen["choice"]))
            jobs.enqueue_job(self.session, REACTION_JOB, str(message.id), job_id=job_id)
        return await self._out(message)

    async def _out(self, message: Message) -> MessageOut:
        (out,) = await messages_out(self.session, [message])
        return out


def _check_target(message: Message, channel: Channel, now: datetime) -> None:
    if message.direction is MessageDirection.NOTE:
        raise Conflict(
            "A private note stays in Parley: it cannot be reacted to.",
            code="message_not_delivered",
        )
    if not message.external_id:
        raise Conflict(
            "This message has not reached Meta yet; react once it is sent.",
            code="message_not_delivered",
        )
    if channel.status is not ChannelStatus.ACTIVE:
        raise AppError(
            f"The channel is {channel.status.value.replace('_', ' ')}; reconnect it to react.",
            status_code=409,
            code="channel_inactive",
        )
    if channel.kind is ChannelKind.WHATSAPP:
        if message.direction is not MessageDirection.INBOUND:
            raise Conflict(
                "On WhatsApp a business can react to the customer's messages only.",
                code="reactions_not_supported",
            )
        received = message.provider_timestamp or message.created_at
        if received < now - WHATSAPP_REACTION_AGE:
            raise Conflict(
                "WhatsApp allows reactions to messages of the last 30 days only.",
                code="reaction_target_too_old",
            )
