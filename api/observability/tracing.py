"""OpenTelemetry tracing, off unless configured. (Skeleton: the tracing work fills this in.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def inject() -> dict[str, str] | None:
    """The current trace context to carry in a job's kwargs (None when tracing is off)."""
    return None


@contextmanager
def job_span(*, function: str, queue: str, carrier: dict[str, str] | None) -> Iterator[None]:
    """A span for one job run, a child of the span that enqueued it (from `carrier`)."""
    yield
