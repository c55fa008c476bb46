"""Structured logs: the ids every line carries, and what no line may carry.

Context. `bind(**ids)` adds ids to every line written afterwards by the same task (the
request middleware binds `request_id`, `api.auth.deps` the caller's `tenant_id` /
`user_id` / `api_key_id`, the Graph client `meta_trace_id`); `bound(**ids)` scopes them to
a block (a request, a job: `job_context`). Child tasks inherit the ids of their parent;
nothing a child binds flows back. The formatter (`api.logging`) merges them into each line.

Masking. `mask` (a structlog processor, run on every line) replaces the values of
sensitive keys (tokens, secrets, passwords, signatures, message bodies) and scrubs the
shapes of secrets inside any string: Meta tokens (`EAA...`), API keys (`prly_...`, the
prefix kept), webhook secrets (`whsec_...`), JWTs, `Bearer ...`, secrets in URL query
strings, passwords in URLs, invitation links, and SQLAlchemy's `[parameters: ...]` (which
would hold message bodies). `describe_error` renders an exception for storing (a webhook
event's `last_error`) the same way, and for database errors keeps only the error class,
SQLSTATE and the names of the constraint, table and column involved, never values.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from sqlalchemy.exc import DBAPIError, StatementError
from structlog.typing import EventDict, WrappedLogger

LogValue = str | int | float | bool
REDACTED = "[redacted]"
ERROR_TEXT_LIMIT = 500

_EMPTY: Mapping[str, LogValue] = MappingProxyType({})
_context: ContextVar[Mapping[str, LogValue]] = ContextVar("parley_log_context", default=_EMPTY)


def _clean(values: Mapping[str, object]) -> dict[str, LogValue]:
    """None values are skipped (an id not known yet is simply absent); UUIDs become text."""
    cleaned: dict[str, LogValue] = {}
    for key, value in values.items():
        if value is None:
            continue
        cleaned[key] = value if isinstance(value, LogValue) else str(value)
    return cleaned


def bind(**values: object) -> None:
    """Add ids to every line this task writes from now on (until its scope ends)."""
    new = _clean(values)
    if new:
        _context.set(MappingProxyType({**_context.get(), **new}))


@contextmanager
def bound(**values: object) -> Iterator[None]:
    """Ids for the lines written inside the block; whatever was bound inside it (here or
    by callees, e.g. a tenant once known) ends with it too."""
    token = _context.set(MappingProxyType({**_context.get(), **_clean(values)}))
    try:
        yield
    finally:
        _context.reset(token)


def current() -> Mapping[str, LogValue]:
    """The ids bound for the current task."""
    return _context.get()


@contextmanager
def job_context(*, job_id: str, function: str, queue: str, job_try: int) -> Iterator[None]:
    """Bind the job's ids to every log line written while it runs."""
    with bound(job_id=job_id or None, job=function, queue=queue, job_try=job_try):
        yield


def add_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the bound ids (a key set by the line itself wins)."""
    for key, value in _context.get().items():
        event_dict.setdefault(key, value)
    return event_dict


# --- masking --------------------------------------------------------------------------

SENSITIVE_KEYS = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "input_token",
        "id_token",
        "secret",
        "client_secret",
        "app_secret",
        "password",
        "passwd",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "api_key",
        "apikey",
        "private_key",
        "encryption_key",
        "code",
        "signature",
        "x_hub_signature_256",
        "parley_signature",
        "signed_request",
        "appsecret_proof",
        # Message bodies and other customer content.
        "text",
        "body",
        "raw_body",
        "content",
        "caption",
        "message_text",
    }
)
SENSITIVE_SUFFIXES = ("_token", "_secret", "_password", "_signature")
# Keys the formatter itself adds or uses; never masked.
STRUCTURAL_KEYS = frozenset({"event", "exc_info", "stack_info"})

_QUERY_SECRETS = (
    "access_token|input_token|fb_exchange_token|refresh_token|client_secret|appsecret_proof"
    "|signed_request|hub\\.verify_token|verify_token|code|token|password|secret|api_key"
)
SCRUBS: tuple[tuple[re.Pattern[str], str], ...] = (
    # SQLAlchemy error text: "[parameters: (...)]" holds the statement's values (message
    # bodies, tokens); one line, since values are shown with repr().
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: redacted]"),
    # PostgreSQL quotes values in some messages: a violating row, a duplicate key, input it
    # could not read.
    (re.compile(r"Failing row contains \([^\n]*"), "Failing row contains (redacted)"),
    (re.compile(r"(Key \([^)\n]*\)=)\([^\n]*"), r"\1(redacted)"),
    (re.compile(r"(invalid input (?:syntax|value) for [^:\n]*: )[^\n]*"), r"\1[redacted]"),
    # ... and asyncpg quotes a parameter it could not encode.
    (re.compile(r"(invalid input for query argument \$\d+:)[^\n]*"), r"\1 [redacted]"),
    (re.compile(r"\beyJ[\w-]*\.eyJ[\w-]*\.[\w-]*"), "[redacted jwt]"),
    (re.compile(r"\b(prly_[0-9a-f]{12}_)[\w-]+"), r"\1[redacted]"),
    (re.compile(r"\bwhsec_[\w-]+"), "whsec_[redacted]"),
    (re.compile(r"\bEAA[A-Za-z0-9]{12,}"), "EAA[redacted]"),
    # An app access token: "<app id>|<app secret>".
    (re.compile(r"\b(\d{6,})\|[\w-]{12,}"), r"\1|[redacted]"),
    (re.compile(r"(?i)\b(bearer)\s+[\w.~+/=|-]+"), r"\1 [redacted]"),
    (re.compile(r"\b(Basic)\s+[A-Za-z0-9+/=]{8,}"), r"\1 [redacted]"),
    (re.compile(rf"(?i)(?<![\w.-])({_QUERY_SECRETS})=[^&\s\"'#,;)]+"), rf"\1={REDACTED}"),
    # "scheme://user:password@host" (database, Redis, SMTP URLs).
    (re.compile(r"(://[^:/@\s]*):[^@/\s]+@"), rf"\1:{REDACTED}@"),
    (re.compile(r"(/invitations/)[\w-]{16,}"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b(sha256=)[0-9a-f]{64}\b"), rf"\1{REDACTED}"),
)
# The shortest string any pattern above can match something secret in.
_MIN_SCRUB_LENGTH = 8


def scrub(text: str) -> str:
    """The text with every known secret shape replaced."""
    if len(text) < _MIN_SCRUB_LENGTH:
        return text
    for pattern, replacement in SCRUBS:
        text = pattern.sub(replacement, text)
    return text


def is_sensitive(key: str) -> bool:
    name = key.lower().replace("-", "_")
    return name in SENSITIVE_KEYS or name.endswith(SENSITIVE_SUFFIXES)


def _masked(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if depth > 8 or isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_sensitive(k) else _masked(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(item, depth + 1) for item in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, uuid.UUID):
        return str(value)
    return scrub(repr(value))


def mask(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: redact sensitive keys' values and scrub every string."""
    for key, value in event_dict.items():
        if key.startswith("_") or (key in STRUCTURAL_KEYS and not isinstance(value, str)):
            continue  # structlog's own entries (the record, exc_info before formatting)
        if key not in STRUCTURAL_KEYS and is_sensitive(key):
            event_dict[key] = REDACTED if value not in (None, "") else value
        else:
            event_dict[key] = _masked(value)
    return event_dict


def describe_error(exc: BaseException) -> str:
    """An exception in a few words, safe to store and show to a tenant's admins.

    A database error becomes its classes, SQLSTATE and the constraint / table / column
    names the driver reports: never the statement's parameters, nor the server's message
    (PostgreSQL quotes values in some, e.g. "invalid input syntax ... : "<value>""). Any
    other error keeps the first line of its message, scrubbed."""
    if isinstance(exc, StatementError):
        return _describe_database_error(exc)[:ERROR_TEXT_LIMIT]
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return scrub(text)[:ERROR_TEXT_LIMIT]


def _describe_database_error(exc: StatementError) -> str:
    original = exc.orig
    driver = getattr(original, "__cause__", None) or original
    kinds = [type(exc).__name__]
    if driver is not None and type(driver).__name__ not in kinds:
        kinds.append(type(driver).__name__)
    text = " / ".join(kinds)
    sqlstate = getattr(driver, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate:
        text += f" (SQLSTATE {sqlstate})"
    names = [
        f"{label} {value}"
        for label, attribute in (
            ("constraint", "constraint_name"),
            ("table", "table_name"),
            ("column", "column_name"),
        )
        if isinstance(value := getattr(driver, attribute, None), str) and value
    ]
    if names:
        text += ": " + ", ".join(names)
    elif isinstance(exc, DBAPIError) and exc.connection_invalidated:
        text += ": the database connection was lost"
    return text
