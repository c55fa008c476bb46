"""Job bodies. Each opens its own unit of work(s) and carries ids, never objects; each is
safe to run twice (arq re-runs interrupted jobs)."""

from __future__ import annotations

import logging
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import Retry

from api.channels.adapters import get_adapter
from api.channels.health import check_channel_tokens
from api.channels.history import MAX_CONVERSATIONS, HistoryImport, parse_thread
from api.config import get_settings
from api.contacts.profiles import fetch_profile
from api.crypto import get_secret_box
from api.data import housekeeping as data_housekeeping
from api.data.erase import TenantEraser
from api.data.export_builder import ExportBuilder
from api.db import unit_of_work
from api.inbox.dispatch import Dispatcher
from api.inbox.media import (
    MediaFetch,
    check_digest,
    fail_exhausted_media,
    is_permanent,
    requeue_stale_media,
)
from api.inbox.reaction_sending import ReactionDispatcher, requeue_stale_reactions
from api.inbox.receipts import ReadReceiptDispatcher
from api.inbox.redrive import redrive_sends, sweep
from api.inbox.snooze import wake_snoozed
from api.invitations.email import send_invitation_email as send_invitation_mail
from api.jobs import WEBHOOK_QUEUE_NAME, send_job
from api.mail import MailError
from api.meta.client import MetaClient
from api.meta.errors import ErrorAction, GraphError
from api.meta.graph import get_graph_client
from api.models import WebhookEvent, WebhookEventStatus
from api.observability import metrics
from api.outgoing import delivery as outgoing
from api.storage import StorageError, get_storage
from api.templates.sync import enqueue_all_syncs, run_sync
from api.uploads.cleanup import prune_unused_uploads
from api.webhooks.processing import WebhookProcessor, record_failure
from api.webhooks.service import PROCESS_JOB, process_job_id, prune_processed, stale_received_events

logger = logging.getLogger(__name__)

SWEEP_AFTER = timedelta(seconds=60)
SWEEP_PAGE = 1000
SWEEP_MAX = 200_000
SYNC_TRIES = 4
# Downloads are heavy: a run re-enqueues at most this many; the next run carries on.
MEDIA_REDRIVE_MAX = 1000


def get_meta_client() -> MetaClient:
    return MetaClient(get_graph_client(), get_settings().meta)


def backoff_seconds(attempt: int, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * 2 ** max(attempt - 1, 0)))  # noqa: S311 - jitter, not crypto


async def process_webhook_event(ctx: dict[str, Any], event_id: str) -> str:
    """Route and process in one unit of work; on failure, record it (with the routes, so
    the tenant's admins see it) and retry with backoff until the event is `dead`."""
    id_, app_id = uuid.UUID(event_id), get_settings().meta.app_id
    started = datetime.now(UTC)
    try:
        async with unit_of_work() as session:
            event = await WebhookProcessor(session, app_id).process(id_)
        if event is not None and event.processed_at and event.processed_at >= started:
            _count_processed(event)  # committed by this run (not an earlier one)
        return event.status.value if event else "missing"
    except Exception as exc:
        logger.exception("webhook event %s failed", event_id)
        async with unit_of_work() as session:
            status = await record_failure(session, id_, exc)
            try:
                async with session.begin_nested():
                    await WebhookProcessor(session, app_id).route(id_)
            except Exception:  # the failure is recorded either way
                logger.exception("webhook event %s could not be routed", event_id)
        metrics.webhook_failed(retried=status is not WebhookEventStatus.DEAD)
        if status is WebhookEventStatus.DEAD:
            return status.value
        raise Retry(defer=backoff_seconds(ctx.get("job_try", 1))) from exc


def _count_processed(event: WebhookEvent) -> None:
    if event.status is WebhookEventStatus.PROCESSED and event.processed_at is not None:
        metrics.webhook_processed(event.object, event.received_at, event.processed_at)
    else:  # a malformed body: kept and marked dead at once
        metrics.webhook_failed(retried=False)


async def fetch_media(ctx: dict[str, Any], attachment_id: str) -> str:
    """Download one attachment from Meta and keep it in object storage."""
    box, id_ = get_secret_box(), uuid.UUID(attachment_id)
    async with unit_of_work() as session:
        plan = await MediaFetch(session, box).plan(id_)
    if plan is None:
        return "skipped"
    adapter = get_adapter(plan.kind, get_graph_client())
    try:
        media = await adapter.fetch_media(
            token=plan.token,
            url=plan.url,
            media_id=plan.media_id,
            max_bytes=get_settings().storage.max_media_bytes,
        )
        check_digest(media)
        await get_storage().put(plan.key, media.body, media.mime_type)
    except GraphError as error:
        if is_permanent(error, ctx.get("job_try", 1)):
            async with unit_of_work() as session:
                await MediaFetch(session, box).fail(id_, error.reason)
            return f"failed {error.error_code}"
        raise Retry(defer=backoff_seconds(ctx.get("job_try", 1))) from error
    async with unit_of_work() as session:
        await MediaFetch(session, box).stored(id_, plan.key, media)
    return "stored"


async def redrive_media(ctx: dict[str, Any]) -> str:
    """Every few minutes: re-enqueue inbound media downloads whose job was lost (invariant
    4), and mark `failed` the ones whose tries are used up instead of re-driving them."""
    failed = await sweep(fail_exhausted_media, limit=MEDIA_REDRIVE_MAX)
    requeued = await sweep(requeue_stale_media, limit=MEDIA_REDRIVE_MAX)
    if requeued:  # arq keeps one job per id: some of these may still have had theirs
        logger.info("re-enqueued the download of %d pending attachments", requeued)
    if failed:
        logger.warning("gave up on %d attachments whose downloads never finished", failed)
    return f"requeued {requeued}, failed {failed}"


async def prune_webhook_events(ctx: dict[str, Any]) -> int:
    """Daily retention of processed raw deliveries."""
    days = get_settings().webhooks.retention_days
    async with unit_of_work() as session:
        return await prune_processed(session, timedelta(days=days))


async def prune_uploads(ctx: dict[str, Any]) -> int:
    """Hourly: delete uploaded files no message uses (given up on, or never finished)."""
    hours = get_settings().storage.upload_retention_hours
    deleted = await prune_unused_uploads(get_storage(), timedelta(hours=hours))
    if deleted:
        logger.info("deleted %d unused uploads", deleted)
    return deleted


async def send_message(ctx: dict[str, Any], message_id: str) -> str:
    """Send one queued message (api.inbox.dispatch). Waiting for a rate-limit slot and
    backing off after a retryable Graph error both come back as a deferral: the job runs
    again later under the same id; only Graph calls count as the message's attempts."""
    outcome = await Dispatcher().send(uuid.UUID(message_id))
    if outcome.defer is not None:
        raise Retry(defer=outcome.defer)
    return outcome.summary


async def send_reaction(ctx: dict[str, Any], message_id: str) -> str:
    """Send the business's newest reaction to a message (api.inbox.reaction_sending); rate
    limits and backoff defer the job like a send's."""
    outcome = await ReactionDispatcher().react(uuid.UUID(message_id))
    if outcome.defer is not None:
        raise Retry(defer=outcome.defer)
    return outcome.summary


async def send_read_receipt(ctx: dict[str, Any], message_id: str) -> str:
    """Tell Meta the team read the customer's messages up to this one (api.inbox.receipts).
    A few tries at most: a receipt is a courtesy, never worth a backlog."""
    job_try = int(ctx.get("job_try", 1))
    outcome = await ReadReceiptDispatcher().read_receipt(uuid.UUID(message_id), job_try)
    if outcome.defer is not None:
        raise Retry(defer=outcome.defer)
    return outcome.summary


async def redrive_reactions(ctx: dict[str, Any]) -> int:
    """Every minute: re-enqueue reactions still on their way to Meta whose job was lost."""
    requeued = await sweep(requeue_stale_reactions)
    if requeued:
        logger.info("re-enqueued the job of %d pending reactions", requeued)
    return requeued


async def sync_templates(ctx: dict[str, Any], tenant_id: str, waba_id: str) -> str:
    """Sync one tenant's copy of a WABA's templates from Graph (on connect, daily, webhooks)."""
    try:
        report = await run_sync(get_meta_client(), get_secret_box(), uuid.UUID(tenant_id), waba_id)
    except GraphError as error:
        if error.action is ErrorAction.RETRY and ctx.get("job_try", 1) < SYNC_TRIES:
            raise Retry(defer=backoff_seconds(ctx.get("job_try", 1), base=30)) from error
        return f"failed {error.error_code}"
    if report is None:
        return "no live number"
    return f"synced {report.synced}, deleted {report.deleted}"


async def sync_all_templates(ctx: dict[str, Any]) -> str:
    """Daily: enqueue a template sync for every (tenant, WABA) with a live number."""
    return f"queued {await enqueue_all_syncs()} template syncs"


async def fetch_contact_profile(ctx: dict[str, Any], contact_id: str) -> bool:
    async with unit_of_work() as session:
        return await fetch_profile(
            session, get_graph_client(), get_secret_box(), uuid.UUID(contact_id)
        )


async def import_history(ctx: dict[str, Any], channel_id: str) -> str:
    """Import a Page's recent conversations, committing progress after each thread."""
    box, id_, client = get_secret_box(), uuid.UUID(channel_id), get_meta_client()
    async with unit_of_work() as session:
        started = await HistoryImport(session, box).begin(id_)
    if started is None:
        return "skipped"
    channel, token = started
    page_id = channel.external_id
    try:
        conversations = await client.conversations(page_id, token, MAX_CONVERSATIONS)
        async with unit_of_work() as session:
            await HistoryImport(session, box).set_total(id_, len(conversations))
        for conversation in conversations:
            messages = await client.conversation_messages(str(conversation["id"]), token)
            thread = parse_thread(page_id, conversation, messages)
            async with unit_of_work() as session:
                if thread is not None:
                    await HistoryImport(session, box).store(id_, thread)
    except GraphError as error:
        async with unit_of_work() as session:
            await HistoryImport(session, box).finish(id_, error)
        return f"failed {error.error_code}"
    async with unit_of_work() as session:
        await HistoryImport(session, box).finish(id_)
    return "done"


async def check_tokens(ctx: dict[str, Any]) -> str:
    """Daily: check every live channel's token; record expiry; flag dead ones."""
    async with unit_of_work() as session:
        report = await check_channel_tokens(session, get_meta_client(), get_secret_box())
    return f"checked {report.checked}, needs_reauth {report.needs_reauth}, skipped {report.skipped}"


async def sweep_webhook_events(ctx: dict[str, Any]) -> int:
    """Re-enqueue deliveries whose queue entry never ran (e.g. Redis was down or restarted).

    Walks the whole backlog in pages, so after a Redis loss everything is re-driven in one
    sweep instead of a page per sweep; arq's job ids collapse duplicates of live jobs."""
    total, after = 0, None
    while total < SWEEP_MAX:
        async with unit_of_work() as session:
            stale = await stale_received_events(session, SWEEP_AFTER, after=after, limit=SWEEP_PAGE)
        for event_id, _ in stale:
            await send_job(
                PROCESS_JOB,
                str(event_id),
                job_id=process_job_id(event_id),
                queue=WEBHOOK_QUEUE_NAME,
            )
        total += len(stale)
        if len(stale) < SWEEP_PAGE:
            break
        after = stale[-1]  # (id, received_at)
    if total:
        logger.info("re-enqueued %d stale webhook events", total)
    return total


async def redrive_outbound(ctx: dict[str, Any]) -> str:
    """Every minute: re-enqueue replies whose send job was lost, and mark `failed` the ones a
    dead worker left in `sending` (sending those again could reach the customer twice)."""
    report = await redrive_sends()
    if report.requeued:  # arq keeps one job per id: some of these may still have had theirs
        logger.info("re-enqueued the send job of %d stale queued replies", report.requeued)
    if report.unconfirmed:
        logger.warning(
            "marked %d replies stuck in sending failed (send_unconfirmed)", report.unconfirmed
        )
    return f"requeued {report.requeued}, unconfirmed {report.unconfirmed}"


async def wake_snoozed_conversations(ctx: dict[str, Any]) -> int:
    """Every minute: snoozed conversations whose time has come are open again (announced)."""
    woken = await wake_snoozed()
    if woken:
        logger.info("woke %d snoozed conversations", woken)
    return woken


INVITATION_EMAIL_TRIES = 5


async def send_invitation_email(ctx: dict[str, Any], invitation_id: str, token: str) -> str:
    """Email an invitation's link (api.invitations.email); a refusing or unreachable mail
    server is retried with backoff a few times, then given up (the admin has the link)."""
    try:
        sent = await send_invitation_mail(get_settings(), uuid.UUID(invitation_id), token)
    except MailError as exc:
        job_try = int(ctx.get("job_try", 1))
        if job_try >= INVITATION_EMAIL_TRIES:
            logger.warning("gave up emailing invitation %s: %s", invitation_id, exc)
            return "failed"
        logger.info("emailing invitation %s failed (%s); retrying", invitation_id, exc)
        raise Retry(defer=backoff_seconds(job_try, base=10.0, cap=600.0)) from exc
    return "sent" if sent else "skipped"


async def deliver_outgoing_webhook(ctx: dict[str, Any], delivery_id: str) -> str:
    """One attempt at an outgoing webhook delivery; a failed one comes back after its
    backoff under the same job id (the attempts are counted on the row)."""
    outcome = await outgoing.deliver(uuid.UUID(delivery_id))
    if outcome.retry_in is not None:
        raise Retry(defer=outcome.retry_in)
    return outcome.summary


async def sweep_outgoing_webhooks(ctx: dict[str, Any]) -> int:
    """Every minute: re-enqueue overdue outgoing deliveries whose job was lost."""
    requeued = await outgoing.requeue_due()
    if requeued:
        logger.info("re-enqueued %d overdue outgoing webhook deliveries", requeued)
    return requeued


async def prune_outgoing_webhooks(ctx: dict[str, Any]) -> int:
    """Daily: drop delivery log entries past OUTGOING_WEBHOOKS_RETENTION_DAYS."""
    return await outgoing.prune_old()


# --- data rights (api.data) -----------------------------------------------------------


async def build_export(ctx: dict[str, Any], export_id: str) -> str:
    """Build a tenant's data export into object storage (progress saved as it goes)."""
    return await ExportBuilder(get_storage()).run(uuid.UUID(export_id))


async def erase_tenant(ctx: dict[str, Any], tenant_id: str) -> str:
    """Erase a tenant whose owner deleted it; a failure (storage down) retries with backoff
    and carries on where it stopped."""
    eraser = TenantEraser(get_meta_client(), get_secret_box(), get_storage())
    try:
        return await eraser.run(uuid.UUID(tenant_id))
    except StorageError as exc:
        logger.warning("erasing tenant %s: %s; retrying", tenant_id, exc)
        raise Retry(defer=backoff_seconds(ctx.get("job_try", 1), base=30)) from exc


async def purge_trash(ctx: dict[str, Any]) -> str:
    """Daily: erase conversations and contacts deleted more than DATA_TRASH_RETENTION_DAYS ago."""
    days = get_settings().data.trash_retention_days
    report = await data_housekeeping.purge_trash(get_storage(), timedelta(days=days))
    return f"purged {report.conversations} conversations, {report.contacts} contacts, {report.files} files"


async def prune_exports(ctx: dict[str, Any]) -> int:
    """Hourly: delete export archives past their expiry (object and row)."""
    days = get_settings().data.export_retention_days
    return await data_housekeeping.prune_exports(get_storage(), timedelta(days=days))


async def redrive_data_jobs(ctx: dict[str, Any]) -> str:
    """Every few minutes: exports and tenant erasures whose job Redis lost (invariant 4)."""
    report = await data_housekeeping.redrive()
    return f"exports {report.exports}, interrupted {report.interrupted}, erasures {report.erasures}"
