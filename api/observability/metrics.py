"""Prometheus metrics. (Skeleton: the metrics work fills this in.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime


@contextmanager
def job_run(*, function: str, queue: str, enqueued_at: datetime | None) -> Iterator[None]:
    """Count one job run: its wait in the queue, its duration and its outcome."""
    yield
