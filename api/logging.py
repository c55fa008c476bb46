"""Logging for every process (api, workers, realtime): structured, with ids, masked.

`configure_logging(level, fmt)` routes every standard `logging` record (Parley's own
`logging.getLogger(__name__)` calls, uvicorn's, arq's, SQLAlchemy's, httpx's) and any
structlog logger through one structlog `ProcessorFormatter` on stderr:

- `LOG_FORMAT=json`: one JSON object per line: `timestamp` (ISO 8601, UTC), `level`,
  `logger`, `message`, then the ids bound where the line was written (api.observability.logs):
  `request_id`; `tenant_id`, `user_id` or `api_key_id` once the caller is known; `job_id`,
  `job`, `queue`, `job_try` in a job; `meta_trace_id` after a Graph call; `trace_id` and
  `span_id` when tracing is on; and `exception` (the traceback) for errors.
- `LOG_FORMAT=console`: the same fields as readable `key=value` lines (development).

Every line is masked before it is written (`api.observability.logs.mask`): no token,
secret, password or message body reaches the output, whatever a caller passed.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from api.observability import logs, tracing

LogFormat = Literal["json", "console"]

# Loggers that bring their own handlers (uvicorn's dictConfig, arq's CLI): their records go
# through the root handler instead, in the same format.
ADOPTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "arq")
# httpx logs every request URL at INFO; kept quieter so Graph URLs stay out of the logs.
QUIET_LOGGERS = ("httpx", "httpcore")

_PRE_CHAIN: list[Processor] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    logs.add_context,
    tracing.add_trace_ids,
]


class HideJobArguments(logging.Filter):
    """arq logs each job's start with its arguments (`→ id:function(args)`); some carry a
    secret (an invitation email job carries the invitation's token). Keep the job's id and
    function, drop the arguments, for every handler (pytest's capture included)."""

    START = "%6.2fs → %s(%s)%s"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == self.START and isinstance(record.args, tuple) and len(record.args) == 4:
            waited, ref, _, extra = record.args
            record.args = (waited, ref, "…", extra)
        return True


# The fields every line starts with, in this order; the bound ids and the rest follow.
LEADING_FIELDS = ("timestamp", "level", "logger", "message")


def _leading_fields_first(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    ordered = {key: event_dict.pop(key) for key in LEADING_FIELDS if key in event_dict}
    ordered.update(event_dict)
    return ordered


_handler: logging.StreamHandler[IO[str]] | None = None
_job_arguments_filter = HideJobArguments()


def formatter(fmt: LogFormat, *, colors: bool = False) -> structlog.stdlib.ProcessorFormatter:
    """The formatter every line goes through: exceptions rendered, then masked, then JSON
    (or console) text."""
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=colors, event_key="message")
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            logs.mask,
            structlog.processors.EventRenamer("message"),
            _leading_fields_first,
            renderer,
        ],
    )


def configure_logging(
    level: str, fmt: LogFormat = "json", *, stream: IO[str] | None = None
) -> None:
    """Set the level and format of every logger in the process. Safe to call again (each
    app factory does): one handler is installed on the root logger and then updated;
    `stream` replaces where it writes (stderr by default)."""
    global _handler
    if _handler is None:
        _handler = logging.StreamHandler(stream or sys.stderr)
        logging.getLogger().addHandler(_handler)
    elif stream is not None:
        _handler.setStream(stream)
    colors = fmt == "console" and _isatty(_handler.stream)
    _handler.setFormatter(formatter(fmt, colors=colors))
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(level.upper())
    for name in ADOPTED_LOGGERS:
        adopted = logging.getLogger(name)
        if name == "uvicorn.access" and not adopted.handlers and not adopted.propagate:
            # `uvicorn --no-access-log` (scripts/processes.py) leaves this logger with no
            # handler: uvicorn then skips access lines (it asks `hasHandlers()`), and a line
            # per request is CPU that webhook ingest needs. Keep it off.
            continue
        adopted.handlers.clear()
        adopted.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    worker_logger = logging.getLogger("arq.worker")
    if _job_arguments_filter not in worker_logger.filters:
        worker_logger.addFilter(_job_arguments_filter)
    _configure_structlog()


def _configure_structlog() -> None:
    """`structlog.get_logger()` loggers write through the same handler and formatter."""
    structlog.configure(
        processors=[*_PRE_CHAIN, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False
