"""Read receipts to Meta: when the team reads a conversation on a channel whose
`send_read_receipts` is on, the customer is told (WhatsApp: the newest message they sent,
and every earlier one, is marked read; Messenger: the `mark_seen` sender action).

A courtesy, never an error the agent sees: the job runs after the commit, paced by the
channel's rate limit, tries a few times on Meta's transient errors and otherwise logs
why it gave up (ids and Meta's error code only, never a token).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.channels.adapters import ReadReceipt, get_adapter
from api.crypto import DecryptionError
from api.db import unit_of_work
from api.errors import AppError
from api.inbox.dispatch import Deferral, Dispatcher, SendOutcome
from api.inbox.outbox_repository import OutboxRepository
from api.inbox.ratelimit import channel_bucket
from api.inbox.sending import SendTarget
from api.meta.errors import ErrorAction, GraphError
from api.models import (
    Channel,
    ChannelKind,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MessageDirection,
)
from api.tenancy import TenantScope
from api.vault import open_token

logger = logging.getLogger(__name__)

RECEIPT_JOB = "inbox.send_read_receipt"
MAX_TRIES = 5  # runs of the job (rate-limit waits included); then it is logged and dropped
# WhatsApp marks a message read only within 30 days of receiving it.
WHATSAPP_READ_WINDOW = timedelta(days=30)


async def queue_read_receipt(
    session: AsyncSession, scope: TenantScope, conversation: Conversation
) -> bool:
    """Enqueue (after commit) the receipt for the customer's newest message; False when
    there is nothing to acknowledge."""
    latest = await OutboxRepository(session, scope).latest_inbound(conversation.id)
    if latest is None or not latest.external_id:
        return False
    # One job per message acknowledged: reading the same thread twice sends it once.
    jobs.enqueue_job(session, RECEIPT_JOB, str(latest.id), job_id=f"read:{latest.id}")
    return True


@dataclass(frozen=True, slots=True)
class ReceiptPlan:
    target: SendTarget
    channel_external_id: str
    token: str
    receipt: ReadReceipt


class ReceiptPlanner:
    def __init__(self, session: AsyncSession, dispatcher: Dispatcher) -> None:
        self.session = session
        self.box = dispatcher.box

    async def plan(self, message_id: uuid.UUID) -> ReceiptPlan | str:
        """How to send the receipt, or why not to (the setting was turned off since, the
        channel needs reconnecting, the message is too old for WhatsApp...)."""
        row = await self._load(message_id)
        if row is None:
            return "no such inbound message"
        message, contact, channel = row
        if channel.status is not ChannelStatus.ACTIVE:
            return f"channel {channel.status.value}"
        if not channel.send_read_receipts:
            return "read receipts are off"
        if not message.external_id:
            return "no provider id"
        received = message.provider_timestamp or message.created_at
        if channel.kind is ChannelKind.WHATSAPP and received < datetime.now(UTC) - (
            WHATSAPP_READ_WINDOW
        ):
            return "older than WhatsApp's 30 days"
        try:
            token = open_token(self.box, channel)
        except (DecryptionError, AppError):
            return "the channel's token cannot be used"
        target = SendTarget(
            message_id=message.id,
            channel_id=channel.id,
            channel_kind=channel.kind,
            recipient=contact.external_id,
            holder=f"read:{message.id}",
        )
        receipt = ReadReceipt(recipient=contact.external_id, external_id=message.external_id)
        return ReceiptPlan(target, channel.external_id, token, receipt)

    async def needs_reauth(self, channel_id: uuid.UUID) -> None:
        channel = await self.session.get(Channel, channel_id, with_for_update=True)
        if channel is not None and channel.status is ChannelStatus.ACTIVE:
            channel.status = ChannelStatus.NEEDS_REAUTH

    async def _load(self, message_id: uuid.UUID) -> tuple[Message, Contact, Channel] | None:
        statement = (
            select(Message, Contact, Channel)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .join(Channel, Channel.id == Message.channel_id)
            .where(Message.id == message_id, Message.direction == MessageDirection.INBOUND)
        )
        row = (await self.session.execute(statement)).one_or_none()
        return None if row is None else (row[0], row[1], row[2])


class ReadReceiptDispatcher(Dispatcher):
    """Paced by the number's / page's rate only: a receipt is a call, not a message to the
    customer, so WhatsApp's pair rate does not apply."""

    def _buckets(self, target: SendTarget) -> list[Any]:
        return [channel_bucket(self.settings, target.channel_kind, target.channel_id)]

    async def read_receipt(self, message_id: uuid.UUID, job_try: int = 1) -> SendOutcome:
        async with unit_of_work() as session:
            plan = await ReceiptPlanner(session, self).plan(message_id)
        if isinstance(plan, str):
            logger.info("read receipt for message %s not sent: %s", message_id, plan)
            return SendOutcome(f"skipped: {plan}")
        slot = await self._reserve(plan.target)
        if isinstance(slot, Deferral):
            return self._again(job_try, "deferred", slot.seconds, plan, None)
        await self._release(plan.target)
        await asyncio.sleep(max(0.0, slot - asyncio.get_running_loop().time()))
        await self._pass_gate(plan.target)
        adapter = get_adapter(plan.target.channel_kind, self.graph)
        try:
            await adapter.send_read_receipt(
                channel_external_id=plan.channel_external_id, token=plan.token, receipt=plan.receipt
            )
        except GraphError as error:
            if error.action is ErrorAction.REAUTH:
                async with unit_of_work() as session:
                    await ReceiptPlanner(session, self).needs_reauth(plan.target.channel_id)
            if error.action is ErrorAction.RETRY:
                delay = min(self.settings.backoff_cap_seconds, 2.0**job_try)
                return self._again(job_try, f"retry {error.error_code}", delay, plan, error)
            return _gave_up(plan, error)
        return SendOutcome("sent")

    @staticmethod
    def _again(
        job_try: int, summary: str, delay: float, plan: ReceiptPlan, error: GraphError | None
    ) -> SendOutcome:
        if job_try < MAX_TRIES:
            return SendOutcome(summary, defer=delay)
        if error is None:
            logger.warning(
                "read receipt for message %s dropped: the channel stayed at its rate limit",
                plan.target.message_id,
            )
            return SendOutcome("dropped")
        return _gave_up(plan, error)


def _gave_up(plan: ReceiptPlan, error: GraphError) -> SendOutcome:
    logger.warning(
        "read receipt for message %s on channel %s not sent (%s): %s",
        plan.target.message_id,
        plan.target.channel_id,
        error.error_code,
        error.reason,
    )
    return SendOutcome(f"failed {error.error_code}")
