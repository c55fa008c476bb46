"""One send job, start to end: reserve a rate-limit slot, claim, wait for the slot and
the gate, call Meta, record.

The job never sleeps long: a slot further away than `MAX_WAIT_IN_JOB` comes back as a
deferral, which the worker turns into an arq `Retry(defer=...)`. A deferral is not an
attempt (`messages.attempts` counts Graph calls only) and the reserved slot is kept for
the job's return, so nothing is dropped and sends to one recipient keep their order.

The claim happens before the last wait, so a slow claim does not make the call late; and
the gate (api.inbox.ratelimit) keeps calls an interval apart even when one does leave late
— without it, late calls bunch with the ones on time and a burst exceeds the rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import uuid
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from api.channels.adapters import (
    ChannelAdapter,
    OutboundMedia,
    OutboundTemplate,
    SendResult,
    get_adapter,
)
from api.config import OutboundSettings, get_settings
from api.crypto import SecretBox, get_secret_box
from api.db import unit_of_work
from api.inbox.ratelimit import (
    PAIR_PREFIX,
    RateLimiter,
    channel_bucket,
    media_bucket,
    recipient_bucket,
)
from api.inbox.sending import MessageSender, SendPlan, SendTarget, retry_delay
from api.meta.errors import GraphError
from api.meta.graph import GraphClient, get_graph_client
from api.observability import metrics
from api.redis import get_redis
from api.storage import ObjectMissing, Storage, StorageError, get_storage

logger = logging.getLogger(__name__)

MAX_WAIT_IN_JOB = 1.0  # seconds a job may wait for its slot before deferring instead
REDIS_DOWN_DEFER = 5.0
# The message is claimed (`sending`) while it waits at the gate: stay far inside the job
# timeout. The slots keep calls apart already; the gate only absorbs their lateness.
MAX_GATE_WAIT = 10.0
# A file on its way to Meta is spooled to disk past this size, never held whole in memory.
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
UPLOAD_GONE = "The file to send is no longer in object storage; attach it again."


@dataclass(frozen=True, slots=True)
class Deferral:
    seconds: float


@dataclass(frozen=True, slots=True)
class SendOutcome:
    summary: str  # sent | skipped | failed <code> | deferred | retry <code>
    defer: float | None = None  # run the job again after this many seconds


class Dispatcher:
    def __init__(
        self,
        *,
        graph: GraphClient | None = None,
        redis: Any = None,
        box: SecretBox | None = None,
        settings: OutboundSettings | None = None,
        storage: Storage | None = None,
    ) -> None:
        self._storage = storage
        self.graph = graph or get_graph_client()
        self.limiter = RateLimiter(redis if redis is not None else get_redis())
        self.box = box or get_secret_box()
        self.settings = settings or get_settings().outbound

    def _sender(self, session: Any) -> MessageSender:
        return MessageSender(session, self.box, self.settings)

    async def send(self, message_id: uuid.UUID) -> SendOutcome:
        async with unit_of_work() as session:
            target = await self._sender(session).target(message_id)
        if target is None:
            return SendOutcome("skipped")
        outcome = await self._send_to(target, message_id)
        metrics.message_sent(target.channel_kind.value, outcome.summary)
        return outcome

    async def _send_to(self, target: SendTarget, message_id: uuid.UUID) -> SendOutcome:
        slot = await self._reserve(target)
        if isinstance(slot, Deferral):
            return SendOutcome("deferred", defer=slot.seconds)
        async with unit_of_work() as session:
            plan = await self._sender(session).claim(message_id)
        await self._release(target)
        if plan is None:
            return SendOutcome("skipped")
        # Claimed first, then the rest of the wait: the call leaves on its slot, however
        # long the claim took; then the gate keeps it an interval after the previous call.
        await asyncio.sleep(max(0.0, slot - asyncio.get_running_loop().time()))
        await self._pass_gate(target)
        try:
            result = await self._call(plan)
        except GraphError as error:
            async with unit_of_work() as session:
                outcome = await self._sender(session).record_error(message_id, error)
            if outcome.retry:
                delay = retry_delay(self.settings, outcome.attempts, error)
                return SendOutcome(f"retry {error.error_code}", defer=delay)
            return SendOutcome(f"failed {error.error_code}")
        except ObjectMissing:
            async with unit_of_work() as session:
                await self._sender(session).fail(message_id, "upload_missing", UPLOAD_GONE)
            return SendOutcome("failed upload_missing")
        async with unit_of_work() as session:
            await self._sender(session).mark_sent(message_id, result)
        return SendOutcome("sent")

    async def _reserve(self, target: SendTarget) -> float | Deferral:
        """The recipient's slot (waited for), then the channel's: the loop time to send
        at, or a deferral when a slot is further away than a job should wait."""
        loop = asyncio.get_running_loop()
        send_at = loop.time()
        try:
            for bucket in self._buckets(target):
                slot = await self.limiter.reserve(bucket, target.holder)
                if slot.wait > MAX_WAIT_IN_JOB:
                    return Deferral(slot.wait)
                send_at = max(send_at, loop.time() + max(slot.wait, 0.0))
                if bucket.key.startswith(PAIR_PREFIX):  # the channel's slot comes after it
                    await asyncio.sleep(max(0.0, send_at - loop.time()))
        except (RedisError, OSError) as exc:
            logger.warning("rate limiter unavailable (%s); deferring the send", exc)
            return Deferral(REDIS_DOWN_DEFER)
        return send_at

    async def _pass_gate(self, target: SendTarget) -> None:
        """Wait until the previous call is an interval back (its lateness, usually ms)."""
        buckets, waited = self._buckets(target), 0.0
        while waited < MAX_GATE_WAIT:
            try:
                wait = await self.limiter.gate(buckets)
            except (RedisError, OSError):  # the slot was reserved: go on it
                return
            if wait <= 0:
                return
            await asyncio.sleep(wait)
            waited += wait

    async def _release(self, target: SendTarget) -> None:
        with contextlib.suppress(RedisError, OSError):  # reservations expire by themselves
            await self.limiter.release(self._buckets(target), target.holder)

    def _buckets(self, target: SendTarget) -> list[Any]:
        pair = recipient_bucket(
            self.settings, target.channel_kind, target.channel_id, target.recipient
        )
        channel = channel_bucket(self.settings, target.channel_kind, target.channel_id)
        media = media_bucket(
            self.settings, target.channel_kind, target.channel_id, target.message_type
        )
        return [b for b in (pair, channel, media) if b is not None]

    async def _call(self, plan: SendPlan) -> SendResult:
        adapter = get_adapter(plan.channel_kind, self.graph)
        if isinstance(plan.outbound, OutboundMedia):
            media_id = await self._media_id(adapter, plan, plan.outbound)
            return await adapter.send_media(
                channel_external_id=plan.channel_external_id,
                token=plan.token,
                message=plan.outbound,
                media_id=media_id,
            )
        if isinstance(plan.outbound, OutboundTemplate):
            return await adapter.send_template(
                channel_external_id=plan.channel_external_id,
                token=plan.token,
                message=plan.outbound,
            )
        return await adapter.send_text(
            channel_external_id=plan.channel_external_id, token=plan.token, message=plan.outbound
        )

    async def _media_id(self, adapter: ChannelAdapter, plan: SendPlan, media: OutboundMedia) -> str:
        """Meta's id for the file: the one an earlier attempt got, or upload it now (from
        object storage, spooled) and keep the id before sending, so that a retry — or this
        job run again — does not upload it twice."""
        if media.media_id:
            return media.media_id
        storage = self._storage or get_storage()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as file:
            try:
                await storage.download_to(media.storage_key, file)
            except ObjectMissing:
                raise
            except StorageError as exc:  # retried like a network failure
                raise GraphError(None, None, None, "Could not read the file from storage") from exc
            file.seek(0)
            uploaded = await adapter.upload_media(
                channel_external_id=plan.channel_external_id,
                token=plan.token,
                media=media,
                file=file,
            )
        async with unit_of_work() as session:
            await self._sender(session).record_media_id(media.attachment_id, uploaded)
        return uploaded.media_id
