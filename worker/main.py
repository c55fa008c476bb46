"""arq workers. Two processes, two queues:

- `arq worker.main.WebhookWorkerSettings`: webhook processing and its sweeper only, so a
  flood of sends, media downloads or imports never delays customers' messages;
- `arq worker.main.WorkerSettings`: everything else (sends, media, profiles, history
  imports, token health, retention).
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import uvloop
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function

from api.config import get_settings
from api.db import get_engine
from api.inbox.receipts import MAX_TRIES as RECEIPT_MAX_TRIES
from api.invitations.email import SEND_INVITATION_EMAIL_JOB
from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.logging import configure_logging
from api.meta.graph import get_graph_client
from api.observability import tracing
from api.outgoing.jobs import DELIVER_JOB as OUTGOING_DELIVER_JOB
from api.outgoing.jobs import PRUNE_JOB as OUTGOING_PRUNE_JOB
from worker import http as worker_http
from worker import tasks
from worker.instrument import cron_job, job


async def startup(ctx: dict[str, Any], service: str = "parley-worker") -> None:
    # arq's CLI set up its own log handler: configure_logging routes its lines through ours.
    settings = get_settings()
    configure_logging(settings.log_level, settings.resolved_log_format)
    tracing.configure_tracing(settings.tracing, service)


async def shutdown(ctx: dict[str, Any]) -> None:
    await worker_http.stop(ctx)
    await get_graph_client().aclose()
    await get_engine().dispose()


# arq runs its worker on the current event loop policy's loop: uvloop's C transports and
# asyncpg's fast path on it cut the worker's CPU per job (bench/drain.py).
uvloop.install()

REDIS_SETTINGS = RedisSettings.from_dsn(get_settings().redis.url)
POLL_DELAY = 0.05
# arq looks for new jobs every poll_delay (one cheap Redis read), so an idle worker adds
# half of it on average to every job. A customer's message should reach agents' screens
# at once (DESIGN: webhook -> socket p50 <= 30 ms), so the webhook worker polls often:
# about 200 reads/s while idle, ~1% of a core.
WEBHOOK_POLL_DELAY = 0.005
SEND_MAX_TRIES = 10_000
# On SIGTERM a worker stops taking jobs and lets the running ones finish for this long
# before it cancels what is left (arq re-runs a cancelled job: every job is idempotent).
# Stop timeouts (compose's stop_grace_period, Kubernetes' terminationGracePeriodSeconds)
# must be longer, or the orchestrator's SIGKILL comes first.
JOB_COMPLETION_WAIT_SECONDS = 20


# arq reads a settings class's own attributes only (not inherited ones), so both classes
# spell every setting out.
class WebhookWorkerSettings:
    queue_name = WEBHOOK_QUEUE_NAME
    functions: ClassVar[list[Function]] = [
        job(
            tasks.process_webhook_event,
            queue=WEBHOOK_QUEUE_NAME,
            name="webhooks.process_event",
            max_tries=10,
        ),
    ]
    cron_jobs: ClassVar[list[CronJob]] = [
        cron_job(
            tasks.sweep_webhook_events,
            WEBHOOK_QUEUE_NAME,
            second={0, 30},
            unique=True,
            run_at_startup=True,
        ),
    ]
    redis_settings = REDIS_SETTINGS
    on_startup = worker_http.serving(
        functools.partial(startup, service="parley-webhook-worker"),
        port=lambda s: s.workers.webhook_http_port,
    )
    on_shutdown = shutdown
    poll_delay = WEBHOOK_POLL_DELAY
    keep_result = 60
    health_check_interval = 30
    job_completion_wait = JOB_COMPLETION_WAIT_SECONDS
    max_jobs = 20
    job_timeout = 60


class WorkerSettings:
    queue_name = QUEUE_NAME
    functions: ClassVar[list[Function]] = [
        # Rate-limit deferrals and backoff re-run the job, and arq counts every run as a
        # try: the real cap is OUTBOUND_MAX_ATTEMPTS Graph calls, counted on the message.
        # The timeout leaves room for a file's upload to Meta before its send (up to 100 MB).
        job(
            tasks.send_message,
            queue=QUEUE_NAME,
            name="inbox.send_message",
            max_tries=SEND_MAX_TRIES,
            timeout=300,
        ),
        job(
            tasks.sync_templates, queue=QUEUE_NAME, name="templates.sync", max_tries=4, timeout=300
        ),
        job(tasks.fetch_media, queue=QUEUE_NAME, name="media.fetch", max_tries=6, timeout=300),
        job(
            tasks.fetch_contact_profile,
            queue=QUEUE_NAME,
            name="contacts.fetch_profile",
            max_tries=3,
        ),
        job(
            tasks.import_history,
            queue=QUEUE_NAME,
            name="channels.import_history",
            max_tries=3,
            timeout=900,
        ),
        job(
            tasks.check_tokens,
            queue=QUEUE_NAME,
            name="channels.check_tokens",
            max_tries=2,
            timeout=900,
        ),
        job(tasks.prune_webhook_events, queue=QUEUE_NAME, name="webhooks.prune", max_tries=2),
        job(tasks.prune_uploads, queue=QUEUE_NAME, name="uploads.prune", max_tries=2, timeout=600),
        # Reactions pace and back off like sends (the cap is counted on the reaction).
        job(
            tasks.send_reaction,
            queue=QUEUE_NAME,
            name="inbox.send_reaction",
            max_tries=SEND_MAX_TRIES,
        ),
        # A receipt job logs and gives up itself at its last try.
        job(
            tasks.send_read_receipt,
            queue=QUEUE_NAME,
            name="inbox.send_read_receipt",
            max_tries=RECEIPT_MAX_TRIES,
        ),
        # Outgoing webhooks: backoff re-runs the job; the cap is counted on the delivery row.
        job(
            tasks.deliver_outgoing_webhook,
            queue=QUEUE_NAME,
            name=OUTGOING_DELIVER_JOB,
            max_tries=SEND_MAX_TRIES,
        ),
        job(
            tasks.prune_outgoing_webhooks,
            queue=QUEUE_NAME,
            name=OUTGOING_PRUNE_JOB,
            max_tries=2,
            timeout=600,
        ),
        # Data rights: an export streams a whole tenant (a million messages: minutes); an
        # erasure retries until its files are gone too.
        job(
            tasks.build_export,
            queue=QUEUE_NAME,
            name="data.build_export",
            max_tries=3,
            timeout=3600,
        ),
        job(
            tasks.erase_tenant,
            queue=QUEUE_NAME,
            name="data.erase_tenant",
            max_tries=20,
            timeout=3600,
        ),
        # The job's arguments hold the invitation token: keep no result (and args) after it.
        job(
            tasks.send_invitation_email,
            queue=QUEUE_NAME,
            name=SEND_INVITATION_EMAIL_JOB,
            max_tries=tasks.INVITATION_EMAIL_TRIES,
            keep_result=0,
        ),
    ]
    cron_jobs: ClassVar[list[CronJob]] = [
        cron_job(tasks.check_tokens, QUEUE_NAME, hour={3}, minute={17}, second={0}, unique=True),
        cron_job(
            tasks.prune_webhook_events, QUEUE_NAME, hour={4}, minute={7}, second={0}, unique=True
        ),
        cron_job(
            tasks.prune_uploads, QUEUE_NAME, minute={41}, second={0}, unique=True, timeout=600
        ),
        cron_job(
            tasks.sync_all_templates, QUEUE_NAME, hour={5}, minute={23}, second={0}, unique=True
        ),
        # Replies whose job Redis lost, or that a killed worker left mid-send (invariant 4).
        cron_job(
            tasks.redrive_outbound,
            QUEUE_NAME,
            second={0},
            unique=True,
            run_at_startup=True,
            timeout=300,
        ),
        cron_job(
            tasks.redrive_reactions,
            QUEUE_NAME,
            second={15},
            unique=True,
            run_at_startup=True,
            timeout=300,
        ),
        cron_job(
            tasks.wake_snoozed_conversations,
            QUEUE_NAME,
            second={30},
            unique=True,
            run_at_startup=True,
        ),
        # Inbound media downloads whose job Redis lost (invariant 4).
        cron_job(
            tasks.redrive_media,
            QUEUE_NAME,
            minute=set(range(0, 60, 5)),
            second={10},
            unique=True,
            run_at_startup=True,
        ),
        # Outgoing webhook deliveries whose job Redis lost (invariant 4), and the log's retention.
        cron_job(
            tasks.sweep_outgoing_webhooks, QUEUE_NAME, second={45}, unique=True, run_at_startup=True
        ),
        cron_job(
            tasks.prune_outgoing_webhooks,
            QUEUE_NAME,
            hour={4},
            minute={37},
            second={0},
            unique=True,
        ),
        # Data rights: the trash's retention, expired exports, and lost export/erasure jobs.
        cron_job(
            tasks.purge_trash,
            QUEUE_NAME,
            hour={4},
            minute={47},
            second={0},
            unique=True,
            timeout=1800,
        ),
        cron_job(
            tasks.prune_exports, QUEUE_NAME, minute={53}, second={0}, unique=True, timeout=600
        ),
        cron_job(
            tasks.redrive_data_jobs,
            QUEUE_NAME,
            minute=set(range(2, 60, 5)),
            second={20},
            unique=True,
        ),
    ]
    max_jobs = 50
    job_timeout = 60
    redis_settings = REDIS_SETTINGS
    on_startup = worker_http.serving(startup, port=lambda s: s.workers.http_port)
    on_shutdown = shutdown
    poll_delay = POLL_DELAY
    keep_result = 60
    health_check_interval = 30
    job_completion_wait = JOB_COMPLETION_WAIT_SECONDS
