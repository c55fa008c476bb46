"""The outgoing webhook jobs as the worker runs them: registered under the names the API
enqueues, and a real arq worker draining a queued delivery to a real receiver."""

from __future__ import annotations

import uuid
from inspect import unwrap
from typing import Any

import httpx
from arq.connections import ArqRedis
from arq.worker import Worker
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import get_settings
from api.jobs import QUEUE_NAME
from api.models import WebhookDelivery, WebhookDeliveryStatus
from api.outgoing.jobs import DELIVER_JOB, PRUNE_JOB
from tests.api.outgoing.conftest import Receiver, create_endpoint
from tests.api.outgoing.conftest import receiver as receiver
from tests.helpers import create_account
from worker import tasks
from worker.main import WorkerSettings


def test_the_jobs_and_crons_are_registered_on_the_main_queue() -> None:
    functions = {f.name: f for f in WorkerSettings.functions}
    assert unwrap(functions[DELIVER_JOB].coroutine) is tasks.deliver_outgoing_webhook
    # Backoff re-runs the job: arq's own try limit must not cut the schedule short.
    assert (functions[DELIVER_JOB].max_tries or 0) > get_settings().outgoing_webhooks.max_attempts
    assert unwrap(functions[PRUNE_JOB].coroutine) is tasks.prune_outgoing_webhooks
    crons = {unwrap(c.coroutine) for c in WorkerSettings.cron_jobs}
    assert {tasks.sweep_outgoing_webhooks, tasks.prune_outgoing_webhooks} <= crons
    sweep = next(
        c for c in WorkerSettings.cron_jobs if unwrap(c.coroutine) is tasks.sweep_outgoing_webhooks
    )
    assert sweep.run_at_startup and sweep.unique


async def test_a_real_worker_sends_the_job_the_api_enqueued(
    client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver, redis: Any
) -> None:
    account = await create_account(client)
    endpoint = await create_endpoint(client, account, receiver.url)
    receiver.secret = endpoint["secret"]
    response = await client.post(
        f"/api/webhook-endpoints/{endpoint['id']}/test", headers=account.headers
    )
    delivery_id = uuid.UUID(response.json()["id"])

    worker = Worker(
        functions=[f for f in WorkerSettings.functions if f.name == DELIVER_JOB],
        redis_pool=ArqRedis.from_url(get_settings().redis.url),
        queue_name=QUEUE_NAME,
        burst=True,
        poll_delay=0.01,
        keep_result=60,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()

    assert worker.jobs_complete == 1 and worker.jobs_failed == 0
    (received,) = receiver.received
    assert received.verified and received.json["type"] == "ping"
    row = await session.get(WebhookDelivery, delivery_id, populate_existing=True)
    assert row is not None and row.status is WebhookDeliveryStatus.SUCCEEDED
