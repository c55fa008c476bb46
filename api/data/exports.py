"""An owner's export of the tenant's data: requested here, built by a worker job
(`api.data.export_builder`) into a ZIP of JSON files in object storage, downloadable
through a short-lived presigned URL for `DATA_EXPORT_RETENTION_DAYS`, then pruned.

One export is built at a time per tenant (a partial unique index settles concurrent
requests). Each change is announced as `export:updated` ({export}) after its commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import events, jobs
from api.audit.log import AuditAction, record
from api.data.repository import ExportRepository
from api.data.schemas import ExportDownload, ExportOut
from api.errors import AppError, Conflict, NotFound
from api.models import TenantExport, TenantExportStatus
from api.pagination import Page
from api.storage import Storage
from api.tenancy import TenantScope

EXPORT_JOB = "data.build_export"
EXPORT_EVENT = "export:updated"
LISTED = 20


def export_job_id(export_id: uuid.UUID) -> str:
    return f"export:{export_id}"


def export_key(tenant_id: uuid.UUID, export_id: uuid.UUID) -> str:
    return f"{export_prefix(tenant_id)}{export_id}.zip"


def export_prefix(tenant_id: uuid.UUID) -> str:
    return f"exports/{tenant_id}/"


def export_filename(export: TenantExport) -> str:
    return f"parley-export-{export.created_at:%Y-%m-%d}-{str(export.id)[:8]}.zip"


def export_out(export: TenantExport, now: datetime) -> ExportOut:
    downloadable = (
        export.status is TenantExportStatus.SUCCEEDED
        and export.storage_key is not None
        and export.expires_at is not None
        and export.expires_at > now
    )
    return ExportOut(
        id=export.id,
        status=export.status,
        progress=export.progress,
        size_bytes=export.size_bytes,
        error=export.error,
        requested_by_user_id=export.requested_by_user_id,
        created_at=export.created_at,
        finished_at=export.finished_at,
        expires_at=export.expires_at,
        downloadable=downloadable,
    )


def announce(session: AsyncSession, export: TenantExport) -> None:
    out = export_out(export, datetime.now(UTC))
    events.emit(session, export.tenant_id, EXPORT_EVENT, {"export": out.model_dump(mode="json")})


class ExportService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.exports = ExportRepository(session, scope)

    async def request(self) -> ExportOut:
        """Queue a new export; 409 while another one is being built."""
        if await self.exports.active() is not None:
            raise _in_progress()
        export = TenantExport(
            id=uuid.uuid4(),
            tenant_id=self.scope.tenant_id,
            requested_by_user_id=self.scope.user_id,
            status=TenantExportStatus.QUEUED,
            progress=0,
            created_at=datetime.now(UTC),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(export)
                await self.session.flush()
        except IntegrityError as exc:  # a concurrent request got there first
            raise _in_progress() from exc
        await record(self.session, self.scope, AuditAction.EXPORT_REQUESTED, target=_target(export))
        jobs.enqueue_job(self.session, EXPORT_JOB, str(export.id), job_id=export_job_id(export.id))
        announce(self.session, export)
        return export_out(export, datetime.now(UTC))

    async def list(self) -> Page[ExportOut]:
        """The latest exports, newest first."""
        now = datetime.now(UTC)
        return Page(items=[export_out(e, now) for e in await self.exports.recent(LISTED)])

    async def get(self, export_id: uuid.UUID) -> ExportOut:
        return export_out(await self._export(export_id), datetime.now(UTC))

    async def download(self, export_id: uuid.UUID, storage: Storage) -> ExportDownload:
        """A short-lived URL of the archive (audited: who took the tenant's data, when)."""
        export = await self._export(export_id)
        now = datetime.now(UTC)
        if export.status is not TenantExportStatus.SUCCEEDED or export.storage_key is None:
            raise Conflict(
                f"The export is {export.status.value}; it can be downloaded once it has succeeded.",
                code="export_not_ready",
            )
        if export.expires_at is None or export.expires_at <= now:
            raise AppError(
                "This export has expired and was deleted; start a new one.",
                status_code=410,
                code="export_expired",
            )
        filename = export_filename(export)
        url = await storage.presigned_get(export.storage_key, filename, download=True)
        await record(
            self.session, self.scope, AuditAction.EXPORT_DOWNLOADED, target=_target(export)
        )
        return ExportDownload(
            url=url,
            expires_at=now + timedelta(seconds=storage.settings.presign_seconds),
            filename=filename,
        )

    async def _export(self, export_id: uuid.UUID) -> TenantExport:
        export = await self.exports.get(export_id)
        if export is None:
            raise NotFound("Export not found.")
        return export


def _in_progress() -> Conflict:
    return Conflict(
        "An export is already being built; wait for it to finish before starting another.",
        code="export_in_progress",
    )


def _target(export: TenantExport) -> tuple[str, uuid.UUID, str]:
    return ("export", export.id, f"export of {export.created_at:%Y-%m-%d %H:%M} UTC")
