"""Every arq function runs inside the same instrumentation: its ids bound to the log lines
it writes, a trace span continuing the one that enqueued it, and its queue latency,
duration and outcome counted. `worker.main` registers functions through `job` and
`cron_job` only."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function, func

from api.jobs import TRACE_KWARG
from api.observability import logs, metrics, tracing

Task = Callable[..., Awaitable[Any]]


def instrumented(task: Task, *, name: str, queue: str) -> WorkerCoroutine:
    @functools.wraps(task)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        carrier = kwargs.pop(TRACE_KWARG, None)
        enqueued_at = ctx.get("enqueue_time")
        with (
            logs.job_context(
                job_id=str(ctx.get("job_id", "")),
                function=name,
                queue=queue,
                job_try=int(ctx.get("job_try") or 1),
            ),
            tracing.job_span(function=name, queue=queue, carrier=carrier),
            metrics.job_run(
                function=name,
                queue=queue,
                enqueued_at=enqueued_at if isinstance(enqueued_at, datetime) else None,
                due_at=metrics.due_at(ctx.get("score")),
            ),
        ):
            return await task(ctx, *args, **kwargs)

    return cast(WorkerCoroutine, run)


def job(task: Task, name: str, queue: str, **options: Any) -> Function:
    return func(instrumented(task, name=name, queue=queue), name=name, **options)


def cron_job(task: Task, queue: str, **options: Any) -> CronJob:
    # arq names a cron job after the function (`cron:<name>`); the wrapper keeps the name.
    return cron(instrumented(task, name=f"cron:{task.__name__}", queue=queue), **options)
