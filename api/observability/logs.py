"""Structured logs. (Skeleton: the logging work fills this in.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def job_context(*, job_id: str, function: str, queue: str, job_try: int) -> Iterator[None]:
    """Bind the job's ids to every log line written while it runs."""
    yield
