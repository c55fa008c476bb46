"""Sending the business's reaction to Meta (the job behind api.inbox.reactions).

Through the send path's rate limits and gate (api.inbox.dispatch), in steps that each
commit: claim the newest choice (only one call per message in flight; the claim expires
on its own if a worker dies), call Meta outside any transaction, record what Meta now
has. Retryable errors back off and try again up to `OUTBOUND_MAX_ATTEMPTS`; a permanent
one (or the window closing meanwhile) puts back what Meta has, announces it and logs why.
A choice made while a call was in flight is sent after it, by its own job.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.channels.adapters import OutboundReaction, get_adapter
from api.crypto import DecryptionError
from api.db import unit_of_work
from api.errors import AppError
from api.inbox.dispatch import Deferral, Dispatcher, SendOutcome
from api.inbox.policy import decide_reaction
from api.inbox.reactions import (
    REACTION_JOB,
    Entry,
    business_entry,
    in_flight,
    reaction_job_id,
    set_business_entry,
    settled,
)
from api.inbox.sending import SendTarget, retry_delay
from api.inbox.views import emit_message
from api.meta.errors import ErrorAction, GraphError
from api.models import Channel, ChannelKind, ChannelStatus, Contact, Conversation, Message
from api.models.message import REACTION_PENDING_SQL
from api.observability import metrics
from api.pagination import beyond
from api.vault import open_token

logger = logging.getLogger(__name__)

# Longer than a job can run (60 s): a claim outlives its call, not a dead worker.
CLAIM_TTL = timedelta(seconds=90)
WAIT_FOR_CLAIM = 2.0  # seconds before looking again when another call is in flight
STALE_AFTER = timedelta(minutes=2)  # a pending reaction untouched this long lost its job


@dataclass(frozen=True, slots=True)
class ReactionPlan:
    message_id: uuid.UUID
    choice: str
    channel_kind: ChannelKind
    channel_external_id: str
    token: str
    reaction: OutboundReaction


@dataclass(frozen=True, slots=True)
class ReactionError:
    retry: bool
    attempts: int


Row = tuple[Message, Conversation, Contact, Channel]


class ReactionSender:
    def __init__(self, session: AsyncSession, dispatcher: Dispatcher) -> None:
        self.session = session
        self.box = dispatcher.box
        self.settings = dispatcher.settings

    async def target(self, message_id: uuid.UUID) -> SendTarget | None:
        """Where the pending reaction goes, for the rate limits; None if nothing pends."""
        row = await self._load(message_id, lock=False)
        entry = business_entry(row[0]) if row else None
        if row is None or entry is None or not entry.get("pending"):
            return None
        message, _, contact, channel = row
        return SendTarget(
            message_id=message.id,
            channel_id=channel.id,
            channel_kind=channel.kind,
            recipient=contact.external_id,
            holder=f"react:{message.id}:{entry.get('choice')}:{entry.get('attempts', 0)}",
        )

    async def claim(self, message_id: uuid.UUID) -> ReactionPlan | Deferral | None:
        """Claim the newest choice for one call; a deferral while another call is out."""
        row = await self._load(message_id)
        entry = business_entry(row[0]) if row else None
        if row is None or entry is None or not entry.get("pending"):
            return None
        message, conversation, contact, channel = row
        now = datetime.now(UTC)
        if in_flight(entry, now):
            return Deferral(WAIT_FOR_CLAIM)
        emoji, choice = str(entry.get("emoji", "")), str(entry.get("choice", ""))
        if emoji == entry.get("meta", ""):  # the choices came back to what Meta has
            set_business_entry(message, settled(emoji, entry["at"]))
            return None
        refusal = self._refusal(message, channel, conversation, now)
        token = None if refusal else self._token(channel)
        if refusal or token is None:
            code, reason = refusal or (
                "channel_needs_reauth",
                "The channel's token cannot be used.",
            )
            await self._fail(message, entry, code, reason)
            return None
        claimed = {**entry, "claim_choice": choice, "claim_until": (now + CLAIM_TTL).isoformat()}
        claimed["attempts"] = int(entry.get("attempts", 0)) + 1
        set_business_entry(message, claimed)
        reaction = OutboundReaction(contact.external_id, message.external_id or "", emoji)
        return ReactionPlan(
            message.id, choice, channel.kind, channel.external_id, token, reaction=reaction
        )

    async def record_sent(self, plan: ReactionPlan) -> None:
        """Meta has the planned emoji now; the choice is settled unless a newer one came."""
        row = await self._load(plan.message_id)
        entry = business_entry(row[0]) if row else None
        if row is None or entry is None or not entry.get("pending"):
            return  # Meta's echo of this very reaction got here first
        entry = _unclaimed(entry, plan.choice)
        if entry.get("choice") == plan.choice:
            set_business_entry(row[0], settled(plan.reaction.emoji, entry["at"]))
        else:
            now = datetime.now(UTC).isoformat()
            set_business_entry(row[0], {**entry, "meta": plan.reaction.emoji, "meta_at": now})

    async def record_error(self, plan: ReactionPlan, error: GraphError) -> ReactionError:
        """Try again later (retryable, attempts left) or give up: put back what Meta has."""
        row = await self._load(plan.message_id)
        entry = business_entry(row[0]) if row else None
        if row is None or entry is None or not entry.get("pending"):
            return ReactionError(retry=False, attempts=0)
        message, _, _, channel = row
        if error.action is ErrorAction.REAUTH:
            channel.status = ChannelStatus.NEEDS_REAUTH
        entry = _unclaimed(entry, plan.choice)
        attempts = int(entry.get("attempts", 0))
        if entry.get("choice") != plan.choice:  # a newer choice has its own job
            set_business_entry(message, entry)
            return ReactionError(retry=False, attempts=attempts)
        if error.action is ErrorAction.RETRY and attempts < self.settings.max_attempts:
            set_business_entry(message, entry)
            return ReactionError(retry=True, attempts=attempts)
        await self._fail(message, entry, error.error_code, error.reason)
        return ReactionError(retry=False, attempts=attempts)

    @staticmethod
    def _refusal(
        message: Message, channel: Channel, conversation: Conversation, now: datetime
    ) -> tuple[str, str] | None:
        if not message.external_id:  # sent again after failing: a new id is on its way
            return "message_not_delivered", "The message has no provider id (any more)."
        if channel.status is not ChannelStatus.ACTIVE:
            return "channel_inactive", f"The channel is {channel.status.value}; reconnect it."
        decision = decide_reaction(channel.kind, conversation.last_inbound_at, now)
        if decision.allowed:
            return None
        assert decision.reason is not None
        return decision.reason.value, decision.detail or "Not allowed now."

    def _token(self, channel: Channel) -> str | None:
        try:
            return open_token(self.box, channel)
        except (DecryptionError, AppError):
            return None

    async def _fail(self, message: Message, entry: Entry, code: str, reason: str) -> None:
        """Show what Meta has again (the reaction chosen is gone) and say why in the log."""
        logger.warning(
            "reaction %r to message %s not sent (%s): %s",
            entry.get("emoji"),
            message.id,
            code,
            reason,
        )
        meta = str(entry.get("meta", ""))
        set_business_entry(message, settled(meta, entry.get("meta_at") or entry["at"]))
        await emit_message(self.session, message)

    async def _load(self, message_id: uuid.UUID, *, lock: bool = True) -> Row | None:
        statement = (
            select(Message, Conversation, Contact, Channel)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .join(Channel, Channel.id == Message.channel_id)
            .where(Message.id == message_id)
        )
        if lock:
            statement = statement.with_for_update(of=Message)
        row = (await self.session.execute(statement)).one_or_none()
        return None if row is None else (row[0], row[1], row[2], row[3])


def _unclaimed(entry: Entry, choice: str) -> Entry:
    """The entry without the claim of the call for `choice` (another claim is kept)."""
    if entry.get("claim_choice") != choice:
        return dict(entry)
    return {k: v for k, v in entry.items() if k not in ("claim_choice", "claim_until")}


class ReactionDispatcher(Dispatcher):
    """The send path's pacing (the number's rate, WhatsApp's pair rate, the gate) for
    reactions: on WhatsApp a reaction is a message to the customer like any other."""

    async def react(self, message_id: uuid.UUID) -> SendOutcome:
        async with unit_of_work() as session:
            target = await ReactionSender(session, self).target(message_id)
        if target is None:
            return SendOutcome("skipped")
        outcome = await self._react_to(target, message_id)
        metrics.reaction_sent(target.channel_kind.value, outcome.summary)
        return outcome

    async def _react_to(self, target: SendTarget, message_id: uuid.UUID) -> SendOutcome:
        slot = await self._reserve(target)
        if isinstance(slot, Deferral):
            return SendOutcome("deferred", defer=slot.seconds)
        async with unit_of_work() as session:
            plan = await ReactionSender(session, self).claim(message_id)
        if isinstance(plan, Deferral):  # another call is out: keep the slot, come back
            return SendOutcome("deferred", defer=plan.seconds)
        await self._release(target)
        if plan is None:
            return SendOutcome("skipped")
        await asyncio.sleep(max(0.0, slot - asyncio.get_running_loop().time()))
        await self._pass_gate(target)
        try:
            await self._react(plan)
        except GraphError as error:
            async with unit_of_work() as session:
                outcome = await ReactionSender(session, self).record_error(plan, error)
            if outcome.retry:
                delay = retry_delay(self.settings, outcome.attempts, error)
                return SendOutcome(f"retry {error.error_code}", defer=delay)
            return SendOutcome(f"failed {error.error_code}")
        async with unit_of_work() as session:
            await ReactionSender(session, self).record_sent(plan)
        return SendOutcome("sent")

    async def _react(self, plan: ReactionPlan) -> None:
        adapter = get_adapter(plan.channel_kind, self.graph)
        await adapter.send_reaction(
            channel_external_id=plan.channel_external_id, token=plan.token, reaction=plan.reaction
        )


# --- re-drive ----------------------------------------------------------------------------

Key = tuple[datetime, uuid.UUID]


def _stale(after: Key | None) -> ColumnElement[bool]:
    # The partial index's own predicate, as SQL text, so the planner can use the index.
    pending: ColumnElement[bool] = literal_column(REACTION_PENDING_SQL, Boolean)
    criteria = [pending, Message.updated_at < func.now() - STALE_AFTER]
    if after is not None:
        criteria.append(beyond(Message.updated_at, Message.id, after))
    return and_(*criteria)


async def requeue_stale_reactions(
    session: AsyncSession, after: Key | None, limit: int
) -> list[Key]:
    """Enqueue (after commit) the job of each reaction pending for too long: its job was
    lost (Redis restarted, the enqueue failed). arq ignores an id it still holds."""
    rows = await session.execute(
        select(Message.updated_at, Message.id, Message.reactions)
        .where(_stale(after))
        .order_by(Message.updated_at, Message.id)
        .limit(limit)
    )
    keys = []
    for updated_at, message_id, reactions in rows:
        keys.append((updated_at, message_id))
        choice = _pending_choice(reactions)
        if choice is not None:
            job_id = reaction_job_id(message_id, choice)
            jobs.enqueue_job(session, REACTION_JOB, str(message_id), job_id=job_id)
    return keys


def _pending_choice(reactions: list[dict[str, Any]]) -> str | None:
    entry = next((r for r in reactions if r.get("by") == "business" and r.get("pending")), None)
    return None if entry is None else str(entry.get("choice", ""))
