"""Syncing a WABA's templates from Graph (`GET /{waba-id}/message_templates`, every page):
when a number is connected, daily, and on demand. Status webhooks keep rows current in
between (api.channels.updates); a sync also learns the components a webhook lacks."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.crypto import DecryptionError, SecretBox
from api.db import unit_of_work
from api.errors import AppError
from api.meta.client import MetaClient
from api.models import Channel
from api.templates.repository import SyncedTemplate, TemplateStore, live_wabas
from api.templates.schemas import TemplateSyncOut
from api.vault import open_token

logger = logging.getLogger(__name__)

SYNC_JOB = "templates.sync"


def sync_job_id(tenant_id: uuid.UUID, waba_id: str) -> str:
    return f"templates:{tenant_id}:{waba_id}"


def enqueue_sync(session: AsyncSession, tenant_id: uuid.UUID, waba_id: str) -> None:
    """Sync this tenant's copy of the WABA's templates once the unit of work commits."""
    jobs.enqueue_job(
        session, SYNC_JOB, str(tenant_id), waba_id, job_id=sync_job_id(tenant_id, waba_id)
    )


def parse_template(row: dict[str, Any]) -> SyncedTemplate | None:
    name, language = row.get("name"), row.get("language")
    if not isinstance(name, str) or not isinstance(language, str) or not name or not language:
        return None
    quality = row.get("quality_score")
    score = quality.get("score") if isinstance(quality, dict) else quality
    reason = row.get("rejected_reason")
    components = row.get("components")
    return SyncedTemplate(
        external_id=str(row["id"]) if row.get("id") else None,
        name=name,
        language=language,
        category=str(row["category"]) if row.get("category") else None,
        status=str(row.get("status") or "UNKNOWN").upper(),
        reason=None if reason in (None, "", "NONE") else str(reason),
        components=components if isinstance(components, list) else [],
        parameter_format=str(row["parameter_format"]).upper()
        if row.get("parameter_format")
        else None,
        quality_score=str(score) if score else None,
    )


async def store_templates(
    session: AsyncSession, tenant_id: uuid.UUID, waba_id: str, rows: list[dict[str, Any]]
) -> TemplateSyncOut:
    """Upsert what Graph listed; rows it no longer lists become DELETED."""
    templates = [t for t in (parse_template(row) for row in rows) if t is not None]
    store, now = TemplateStore(session, tenant_id), datetime.now(UTC)
    await store.upsert(waba_id, templates, now)
    deleted = await store.mark_missing_deleted(
        waba_id, {(t.name, t.language) for t in templates}, now
    )
    return TemplateSyncOut(waba_id=waba_id, synced=len(templates), deleted=deleted)


async def sync_channel_templates(
    session: AsyncSession, client: MetaClient, box: SecretBox, channel: Channel
) -> TemplateSyncOut:
    """On demand, inside the caller's unit of work (GraphError propagates)."""
    assert channel.waba_id is not None
    rows = await client.message_templates(channel.waba_id, open_token(box, channel))
    return await store_templates(session, channel.tenant_id, channel.waba_id, rows)


async def run_sync(
    client: MetaClient, box: SecretBox, tenant_id: uuid.UUID, waba_id: str
) -> TemplateSyncOut | None:
    """The job: find a usable number, list outside any transaction, then store."""
    async with unit_of_work() as session:
        channel = await TemplateStore(session, tenant_id).sync_channel(waba_id)
        token = None
        if channel is not None:
            with contextlib.suppress(DecryptionError, AppError):
                token = open_token(box, channel)
    if token is None:
        logger.info("no live WhatsApp number of tenant %s on WABA %s", tenant_id, waba_id)
        return None
    rows = await client.message_templates(waba_id, token)
    async with unit_of_work() as session:
        return await store_templates(session, tenant_id, waba_id, rows)


async def enqueue_all_syncs() -> int:
    """Daily: a sync job for every (tenant, WABA) with a live number (after commit)."""
    async with unit_of_work() as session:
        pairs = await live_wabas(session)
        for tenant_id, waba_id in pairs:
            enqueue_sync(session, tenant_id, waba_id)
    return len(pairs)
