"""The export job: the tenant's data streamed, batch by batch, into a ZIP of JSON files on
local disk, then uploaded to object storage in parts. Memory stays flat whatever the size
(a tenant may hold a million messages): each batch is read in its own short session (no
transaction held for the whole export), written out, and dropped.

The archive:

    tenant.json                 the tenant, when and what was exported
    users.json                  members (no password hashes)
    invitations.json            pending and past invitations (no tokens)
    meta_accounts.json          connected Facebook logins (no tokens)
    whatsapp_business_accounts.json
    channels.json               pages and numbers (no tokens, no ciphertexts)
    contacts.json, conversations.json  (deleted ones too, with `deleted_at`)
    messages.jsonl              one message per line, thread by thread, with attachments'
                                metadata (the files stay in storage)
    notes.jsonl                 the team's private notes, one per line
    saved_replies.json, templates.json, labels.json
    api_keys.json               name, prefix, role, use (never the secret or its hash)
    webhook_endpoints.json      URL (query string redacted), events (never the secret)
    audit_logs.json

Safe to run twice: a finished export is left alone; an interrupted one starts over and
overwrites its own object.
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from api import db
from api.auth.apikeys import API_KEY_PREFIX
from api.config import get_settings
from api.data.export_reader import MessageKey, Row, TenantReader
from api.data.exports import announce, export_key
from api.models import MessageDirection, TenantExport, TenantExportStatus
from api.storage import Storage, StorageError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
BATCH = 1000
CONVERSATION_BATCH = 200
# JSON files written from SECTIONS, in this order (messages and notes come after them).
JSON_FILES = (
    "users",
    "invitations",
    "meta_accounts",
    "whatsapp_business_accounts",
    "channels",
    "contacts",
    "conversations",
    "saved_replies",
    "templates",
    "api_keys",
    "webhook_endpoints",
    "audit_logs",
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not exportable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def redact_url(url: str) -> str:
    """An endpoint URL without credentials or query string (they may hold a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = "[redacted]" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _unchanged(row: Row) -> Row:
    return row


# Per-file adjustments of an exported row.
SHAPERS: dict[str, Callable[[Row], Row]] = {
    "api_keys": lambda row: {**row, "prefix": f"{API_KEY_PREFIX}{row['prefix']}"},
    "webhook_endpoints": lambda row: {**row, "url": redact_url(row["url"])},
}


class Progress:
    """Rows written out of the rows counted at the start, as 0-99 (100 once uploaded);
    each new percent is saved and announced."""

    def __init__(self, builder: ExportBuilder, export_id: uuid.UUID, total: int) -> None:
        self.builder = builder
        self.export_id = export_id
        self.total = max(total, 1)
        self.done = 0
        self.percent = 0

    async def add(self, rows: int) -> None:
        self.done += rows
        percent = min(99, self.done * 100 // self.total)
        if percent > self.percent:
            self.percent = percent
            await self.builder.set_progress(self.export_id, percent)


@dataclass(frozen=True, slots=True)
class Started:
    tenant_id: uuid.UUID
    total: int


class JsonArray:
    """A JSON array written element by element."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.first = True
        stream.write(b"[")

    def add(self, value: Any) -> None:
        self.stream.write((b"\n" if self.first else b",\n") + dumps(value))
        self.first = False

    def close(self) -> None:
        self.stream.write(b"]\n" if self.first else b"\n]\n")


class ExportBuilder:
    def __init__(self, storage: Storage, *, batch: int = BATCH) -> None:
        self.storage = storage
        self.batch = batch

    async def run(self, export_id: uuid.UUID) -> str:
        started = await self._start(export_id)
        if started is None:
            return "skipped"
        key = export_key(started.tenant_id, export_id)
        try:
            with tempfile.TemporaryFile(prefix="parley-export-") as file:
                progress = Progress(self, export_id, started.total)
                await self._write(file, export_id, started.tenant_id, progress)
                size = file.tell()
                file.seek(0)
                await self.storage.upload_file(key, file, "application/zip")
        except StorageError as exc:
            logger.warning("export %s could not be stored: %s", export_id, exc)
            await self._finish(export_id, error="Object storage was unavailable; try again.")
            return "failed"
        except Exception:
            logger.exception("export %s failed", export_id)
            await self._finish(export_id, error="The export failed; try again.")
            return "failed"
        if not await self._finish(export_id, key=key, size=size):
            # The tenant was deleted meanwhile: leave nothing of it behind.
            await self.storage.delete_many([key])
            return "discarded"
        return "succeeded"

    # --- state of the export row ---------------------------------------------------

    async def _start(self, export_id: uuid.UUID) -> Started | None:
        async with db.unit_of_work() as session:
            export = await session.get(TenantExport, export_id, with_for_update=True)
            if export is None or export.status not in (
                TenantExportStatus.QUEUED,
                TenantExportStatus.RUNNING,
            ):
                return None
            reader = TenantReader(session, export.tenant_id)
            total = await reader.count_messages()
            for section in JSON_FILES:
                total += await reader.count(section)
            export.status, export.progress, export.error = TenantExportStatus.RUNNING, 0, None
            await session.flush()
            announce(session, export)
            return Started(export.tenant_id, total)

    async def set_progress(self, export_id: uuid.UUID, percent: int) -> None:
        async with db.unit_of_work() as session:
            export = await session.get(TenantExport, export_id, with_for_update=True)
            if export is None or export.status is not TenantExportStatus.RUNNING:
                return
            export.progress = percent
            await session.flush()
            announce(session, export)

    async def _finish(
        self,
        export_id: uuid.UUID,
        *,
        key: str | None = None,
        size: int | None = None,
        error: str | None = None,
    ) -> bool:
        """Record the outcome; False when the export (its tenant) is gone."""
        now = datetime.now(UTC)
        async with db.unit_of_work() as session:
            export = await session.get(TenantExport, export_id, with_for_update=True)
            if export is None:
                return False
            export.finished_at = now
            if error is None:
                retention = timedelta(days=get_settings().data.export_retention_days)
                export.status, export.progress = TenantExportStatus.SUCCEEDED, 100
                export.storage_key, export.size_bytes = key, size
                export.expires_at = now + retention
            else:
                export.status, export.error = TenantExportStatus.FAILED, error
            await session.flush()
            announce(session, export)
            return True

    # --- the archive ---------------------------------------------------------------

    async def _write(
        self, file: IO[bytes], export_id: uuid.UUID, tenant_id: uuid.UUID, progress: Progress
    ) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            async with _reader(tenant_id) as reader:
                tenant = await reader.tenant()
                labels = await reader.labels()
            if tenant is None:
                raise LookupError("the tenant is gone")
            files = ["tenant.json", *(f"{s}.json" for s in JSON_FILES)]
            files += ["messages.jsonl", "notes.jsonl", "labels.json"]
            info = {
                **tenant,
                "export_id": export_id,
                "exported_at": datetime.now(UTC),
                "format_version": FORMAT_VERSION,
                "files": files,
            }
            archive.writestr("tenant.json", dumps(info) + b"\n")
            for section in JSON_FILES:
                await self._section(archive, tenant_id, section, progress)
            await self._messages(archive, tenant_id, progress)
            archive.writestr("labels.json", dumps(labels) + b"\n")

    async def _section(
        self, archive: zipfile.ZipFile, tenant_id: uuid.UUID, section: str, progress: Progress
    ) -> None:
        shape = SHAPERS.get(section, _unchanged)
        after: uuid.UUID | None = None
        with _entry(archive, f"{section}.json") as stream:
            rows_out = JsonArray(stream)
            while True:
                async with _reader(tenant_id) as reader:
                    rows = await reader.rows(section, after=after, limit=self.batch)
                for row in rows:
                    rows_out.add(shape(row))
                await progress.add(len(rows))
                if len(rows) < self.batch:
                    break
                after = rows[-1]["id"]
            rows_out.close()

    async def _messages(
        self, archive: zipfile.ZipFile, tenant_id: uuid.UUID, progress: Progress
    ) -> None:
        """messages.jsonl, thread by thread; notes go to a side file meanwhile (a ZIP is
        written one entry at a time), copied in as notes.jsonl after."""
        with tempfile.TemporaryFile(prefix="parley-notes-") as notes:
            with _entry(archive, "messages.jsonl") as messages:
                after: uuid.UUID | None = None
                while True:
                    async with _reader(tenant_id) as reader:
                        conversations = await reader.conversation_ids(
                            after=after, limit=CONVERSATION_BATCH
                        )
                    if conversations:
                        await self._threads(tenant_id, conversations, messages, notes, progress)
                    if len(conversations) < CONVERSATION_BATCH:
                        break
                    after = conversations[-1]
            notes.seek(0)
            with _entry(archive, "notes.jsonl") as stream:
                while chunk := notes.read(1024 * 1024):
                    stream.write(chunk)

    async def _threads(
        self,
        tenant_id: uuid.UUID,
        conversations: list[uuid.UUID],
        messages: IO[bytes],
        notes: IO[bytes],
        progress: Progress,
    ) -> None:
        after: MessageKey | None = None
        while True:
            async with _reader(tenant_id) as reader:
                rows = await reader.messages(conversations, after=after, limit=self.batch)
                files = await reader.attachments([row["id"] for row in rows])
            by_message: dict[uuid.UUID, list[Row]] = {}
            for attachment in files:
                by_message.setdefault(attachment.pop("message_id"), []).append(attachment)
            for row in rows:
                if row["direction"] is MessageDirection.NOTE:
                    notes.write(dumps(row) + b"\n")
                else:
                    row["attachments"] = by_message.get(row["id"], [])
                    messages.write(dumps(row) + b"\n")
            await progress.add(len(rows))
            if len(rows) < self.batch:
                return
            last = rows[-1]
            after = (last["conversation_id"], last["sort_at"], last["id"])


@contextmanager
def _entry(archive: zipfile.ZipFile, name: str) -> Iterator[IO[bytes]]:
    with archive.open(name, "w", force_zip64=True) as stream:
        yield stream


@asynccontextmanager
async def _reader(tenant_id: uuid.UUID) -> AsyncIterator[TenantReader]:
    """A short read-only session per batch: no transaction spans the export."""
    async with db.get_sessionmaker()() as session:
        yield TenantReader(session, tenant_id)
