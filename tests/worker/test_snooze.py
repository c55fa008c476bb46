"""The snooze wake-up is scheduled on the general worker, every minute, once at a time.
(What it does is tested in tests/api/inbox/test_workflow.py.)"""

from __future__ import annotations

from inspect import unwrap

from worker import tasks
from worker.main import WebhookWorkerSettings, WorkerSettings


def test_the_snooze_wake_up_runs_every_minute_on_the_general_worker() -> None:
    jobs = [
        job
        for job in WorkerSettings.cron_jobs
        if unwrap(job.coroutine) is tasks.wake_snoozed_conversations
    ]
    assert len(jobs) == 1
    job = jobs[0]
    assert job.unique and job.second == {30} and job.minute is None and job.hour is None
    assert all(
        unwrap(job.coroutine) is not tasks.wake_snoozed_conversations
        for job in WebhookWorkerSettings.cron_jobs
    )
