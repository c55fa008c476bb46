"""Structured logs: JSON lines with their ids, every process's loggers in one format, and
masking (secrets in keys and inside strings, SQL parameters, a failed webhook's stored
error)."""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import structlog
from arq import Retry
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Environment, Settings, TracingSettings, get_settings
from api.inbox.ingest import InboundRecorder
from api.logging import configure_logging
from api.models import WebhookEvent, WebhookEventStatus
from api.observability import logs
from api.observability.logs import describe_error, scrub
from tests.helpers import create_account, create_messenger_channel, messenger_text_payload, signed
from worker import tasks

ROOT = Path(__file__).resolve().parents[3]
BODY = "my card is 4111 1111 1111 1111, call me on +1 555 0199"


@dataclass
class Captured:
    buffer: io.StringIO

    def lines(self) -> list[dict[str, Any]]:
        """Every line written so far, each parsed as JSON (a line that is not fails)."""
        return [json.loads(line) for line in self.buffer.getvalue().splitlines() if line]

    def text(self) -> str:
        return self.buffer.getvalue()

    def find(self, fragment: str) -> dict[str, Any]:
        matching = [line for line in self.lines() if fragment in line["message"]]
        assert matching, f"no line with {fragment!r} in:\n{self.text()}"
        return matching[-1]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    """The process's log output as JSON at DEBUG, as `LOG_LEVEL=DEBUG LOG_FORMAT=json` sets
    it (an app created during the test configures the same)."""
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("LOG_FORMAT", "json")
    get_settings.cache_clear()
    buffer = io.StringIO()
    configure_logging("DEBUG", "json", stream=buffer)
    yield Captured(buffer)
    monkeypatch.undo()
    get_settings.cache_clear()
    settings = get_settings()
    configure_logging(settings.log_level, settings.resolved_log_format, stream=sys.stderr)


# --- format and context -----------------------------------------------------------------


def test_a_line_is_one_json_object_with_time_level_logger_and_the_bound_ids(
    captured: Captured,
) -> None:
    with logs.bound(request_id="req-1"):
        logs.bind(tenant_id=uuid.UUID(int=7), user_id=None)
        logging.getLogger("api.somewhere").warning("queue %s is %d deep", "default", 3)

    line = captured.lines()[-1]
    assert list(line)[:4] == ["timestamp", "level", "logger", "message"]
    assert line["timestamp"].endswith("Z")  # ISO 8601, UTC
    assert (line["level"], line["logger"]) == ("warning", "api.somewhere")
    assert line["message"] == "queue default is 3 deep"
    assert line["request_id"] == "req-1"
    assert line["tenant_id"] == str(uuid.UUID(int=7))
    assert "user_id" not in line  # an id not known is absent, not null


def test_ids_bound_inside_a_block_end_with_it(captured: Captured) -> None:
    with logs.job_context(job_id="job-1", function="inbox.send_message", queue="q", job_try=2):
        logs.bind(tenant_id="t-1")  # learnt mid-job
        logging.getLogger("worker").info("inside")
    logging.getLogger("worker").info("after")

    inside, after = captured.find("inside"), captured.find("after")
    assert (inside["job_id"], inside["job"], inside["queue"], inside["job_try"]) == (
        "job-1",
        "inbox.send_message",
        "q",
        2,
    )
    assert inside["tenant_id"] == "t-1"
    assert not {"job_id", "tenant_id"} & set(after)


def test_structlog_loggers_write_the_same_lines(captured: Captured) -> None:
    with logs.bound(request_id="req-2"):
        structlog.get_logger("api.native").info("native line", channel_id="c-1")

    line = captured.find("native line")
    assert (line["logger"], line["request_id"], line["channel_id"]) == (
        "api.native",
        "req-2",
        "c-1",
    )


def test_uvicorn_and_arq_lines_go_through_the_same_formatter(captured: Captured) -> None:
    """Both set up handlers of their own before the app's code runs (uvicorn's dictConfig,
    arq's CLI); configuring takes their loggers over."""
    for name in ("uvicorn", "uvicorn.access", "arq"):
        own = logging.getLogger(name)
        own.addHandler(logging.StreamHandler(io.StringIO()))
        own.propagate = False
    configure_logging("DEBUG", "json")

    for name in ("uvicorn.error", "uvicorn.access", "arq.worker"):
        logging.getLogger(name).warning("from %s", name)
        assert captured.find(f"from {name}")["logger"] == name


def test_a_job_start_line_keeps_the_job_but_not_its_arguments(captured: Captured) -> None:
    """arq logs `→ id:function(args)`; an invitation email job's arguments hold its token."""
    token = "inv1tat1onT0kenAbCdEfGhIjKlMnOpQrStUvWxYz01"
    logging.getLogger("arq.worker").info(
        "%6.2fs → %s(%s)%s", 0.01, "team.send_invitation_email:1", f"'id', {token!r}", ""
    )

    line = captured.find("team.send_invitation_email:1")
    assert token[:8] not in captured.text()
    assert line["message"].strip() == "0.01s → team.send_invitation_email:1(…)"


def test_console_format_is_readable_lines_with_the_same_ids() -> None:
    buffer = io.StringIO()
    try:
        configure_logging("INFO", "console", stream=buffer)
        with logs.bound(request_id="req-3"):
            logging.getLogger("api.console").info("hello Bearer abc.def.ghi")
    finally:
        settings = get_settings()
        configure_logging(settings.log_level, settings.resolved_log_format, stream=sys.stderr)

    output = buffer.getvalue()
    assert "hello Bearer [redacted]" in output and "request_id=req-3" in output
    assert not output.lstrip().startswith("{")


async def test_a_request_binds_its_id_and_answers_with_it(client: httpx.AsyncClient) -> None:
    own = await client.get("/api/healthz", headers={"X-Request-ID": "trace-me-42"})
    assert own.headers["X-Request-ID"] == "trace-me-42"
    made = await client.get("/api/healthz", headers={"X-Request-ID": "x" * 65})
    assert len(made.headers["X-Request-ID"]) == 32  # too long: replaced by a new one
    assert logs.current() == {}  # nothing bound outlives the request


async def test_a_line_written_during_a_request_names_the_request_the_caller_and_meta(
    client: httpx.AsyncClient, captured: Captured, session: AsyncSession, graph: respx.MockRouter
) -> None:
    """Meta refuses the unsubscribe while an admin disconnects a channel: logged."""
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    graph.delete(f"/{channel.external_id}/subscribed_apps").respond(
        400,
        json={"error": {"message": "Session expired", "code": 190, "fbtrace_id": "AbodyTrace"}},
        headers={"x-fb-trace-id": "AheaderTrace9"},
    )

    response = await client.delete(
        f"/api/channels/{channel.id}", headers={**account.headers, "X-Request-ID": "req-77"}
    )

    assert response.status_code == 200, response.text
    line = captured.find(f"could not unsubscribe channel {channel.id}")
    assert line["request_id"] == "req-77"
    assert (line["tenant_id"], line["user_id"]) == (str(account.tenant_id), str(account.user_id))
    assert line["meta_trace_id"] == "AbodyTrace"  # the error's own id, after the header's
    assert captured.find("graph DELETE")["meta_trace_id"] == "AbodyTrace"


def test_the_format_follows_the_environment_unless_set() -> None:
    assert Settings(environment=Environment.DEVELOPMENT).resolved_log_format == "console"
    assert Settings(environment=Environment.TEST).resolved_log_format == "json"
    explicit = Settings(environment=Environment.DEVELOPMENT, log_format="json")
    assert explicit.resolved_log_format == "json"


@pytest.mark.parametrize(
    "variable",
    [
        "LOG_LEVEL",
        "LOG_FORMAT",
        *(f"TRACING_{name.upper()}" for name in TracingSettings.model_fields),
    ],
)
def test_every_logging_and_tracing_setting_is_documented(variable: str) -> None:
    assert f"\n{variable}=" in (ROOT / ".env.example").read_text()
    assert f"`{variable}`" in (ROOT / "README.md").read_text()


# --- masking ----------------------------------------------------------------------------


def test_values_under_sensitive_keys_are_redacted_at_any_depth(captured: Captured) -> None:
    structlog.get_logger("api.masking").info(
        "call",
        access_token="EAAtok",
        app_secret="s3cr3t",
        password="hunter2",
        text=BODY,
        headers={"Authorization": "Bearer xyz", "X-Hub-Signature-256": "sha256=ab"},
        items=[{"refresh_token": "r-tok", "count": 3}],
        channel_id="c-9",
    )

    line = captured.find("call")
    for secret in ("EAAtok", "s3cr3t", "hunter2", BODY, "xyz", "sha256=ab", "r-tok"):
        assert secret not in captured.text()
    assert line["headers"] == {"Authorization": "[redacted]", "X-Hub-Signature-256": "[redacted]"}
    assert line["items"] == [{"refresh_token": "[redacted]", "count": 3}]
    assert line["channel_id"] == "c-9"


@pytest.mark.parametrize(
    ("raw", "secret", "kept"),
    [
        ("GET https://graph.test/v25.0/debug_token?input_token=EAAB1x&x=1", "EAAB1x", "x=1"),
        ("token EAABsbCS1iHgBAJZCqZBZA7ZBmZCZAq0wZD here", "EAABsbCS1iHgBAJZ", "here"),
        ("key prly_0123456789ab_Zx9-QwErTy_uIoP", "Zx9-QwErTy", "prly_0123456789ab_"),
        ("secret whsec_AbC123-xyz_987", "AbC123-xyz_987", "secret whsec_"),
        ("jwt eyJhbGciOiJI.eyJzdWIiOiIx.SflKxwRJSMeKKF2QT4", "SflKxwRJSMeKKF2QT4", "jwt"),
        ("Authorization: Bearer abc.DEF-123", "abc.DEF-123", "Bearer"),
        ("app token 100000000000001|dev-app-secret-value", "dev-app-secret-value", "1000"),
        ("smtp://mailer:pa55w0rd@mail.example.com:587", "pa55w0rd", "mail.example.com"),
        ("GET /api/invitations/Zm9vYmFyYmF6cXV4cXV1eA/accept", "Zm9vYmFyYmF6cXV4cXV1eA", "accept"),
        ("callback?code=AQDx-secret&state=abc", "AQDx-secret", "state=abc"),
        (
            "[SQL: INSERT INTO messages (text) VALUES ($1)]\n[parameters: ('hi there bob',)]",
            "hi there bob",
            "INSERT INTO messages",
        ),
        ('invalid input syntax for type integer: "hi there bob"', "hi there bob", "integer"),
        (
            "invalid input for query argument $1: 'hi there bob' (expected str, got int)",
            "hi there bob",
            "query argument $1",
        ),
        ("DETAIL:  Key (email)=(bob@example.com) already exists.", "bob@example", "Key (email)"),
    ],
)
def test_secret_shapes_are_scrubbed_inside_any_string(raw: str, secret: str, kept: str) -> None:
    scrubbed = scrub(raw)
    assert secret not in scrubbed
    assert kept in scrubbed


async def test_a_database_error_in_a_traceback_loses_its_values(
    captured: Captured, session: AsyncSession
) -> None:
    with pytest.raises(DBAPIError) as caught:
        async with session.begin_nested():
            await session.execute(
                text("SELECT CAST(CAST(:body AS text) AS integer)"), {"body": BODY}
            )
    try:
        raise RuntimeError("processing failed") from caught.value
    except RuntimeError:
        logging.getLogger("worker.tasks").exception("webhook event e-1 failed")

    line = captured.find("webhook event e-1 failed")
    assert "InvalidTextRepresentation" in line["exception"]  # the error is still told
    assert "SELECT CAST" in line["exception"]
    assert BODY not in captured.text() and "4111" not in captured.text()


async def test_a_database_error_is_described_by_its_classes_and_names_only(
    session: AsyncSession,
) -> None:
    await session.execute(text("CREATE TEMP TABLE notes_t (id int PRIMARY KEY, body text)"))
    await session.execute(text("INSERT INTO notes_t VALUES (1, :body)"), {"body": BODY})
    with pytest.raises(DBAPIError) as caught:
        async with session.begin_nested():
            await session.execute(text("INSERT INTO notes_t VALUES (1, :body)"), {"body": BODY})

    described = describe_error(caught.value)
    assert described == (
        "IntegrityError / UniqueViolationError (SQLSTATE 23505): "
        "constraint notes_t_pkey, table notes_t"
    )


def test_any_other_error_keeps_its_first_line_scrubbed() -> None:
    error = RuntimeError("Meta refused EAABsbCS1iHgBAJZCqZBZA7 twice\nsecond line")
    assert describe_error(error) == "RuntimeError: Meta refused EAA[redacted] twice"


async def test_a_failed_webhook_event_stores_no_statement_parameters(
    client: httpx.AsyncClient,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    captured: Captured,
) -> None:
    """The leak this fixes: last_error kept the SQL error text, parameters included."""

    async def refused_by_postgres(self: InboundRecorder, channel: Any, item: Any) -> None:
        await self.session.execute(
            text("SELECT CAST(CAST(:body AS text) AS integer)"), {"body": item.text}
        )

    monkeypatch.setattr(InboundRecorder, "record", refused_by_postgres)
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    body, headers = signed(messenger_text_payload(channel.external_id, "555", BODY))
    assert (await client.post("/api/webhooks/meta", content=body, headers=headers)).is_success
    event_id = (await session.execute(text("SELECT id FROM webhook_events"))).scalar_one()

    with pytest.raises(Retry):
        await tasks.process_webhook_event({"job_try": 1}, str(event_id))

    event = await session.get(WebhookEvent, event_id, populate_existing=True)
    assert event is not None and event.status is WebhookEventStatus.FAILED
    assert event.last_error == "DBAPIError / InvalidTextRepresentationError (SQLSTATE 22P02)"
    assert captured.find(f"webhook event {event_id} failed")["tenant_id"] == str(account.tenant_id)
    assert BODY not in captured.text()


def test_uvicorn_without_access_log_stays_without_it(captured: Captured) -> None:
    """`--no-access-log` leaves uvicorn.access without handlers and not propagating, and
    uvicorn logs a request only if that logger `hasHandlers()`: configuring keeps it off."""
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    try:
        configure_logging("INFO", "json")
        assert not access.hasHandlers()
    finally:
        access.propagate = True
