"""Erasing a tenant whose owner deleted it (api.data.deletion), as a job:

1. revoke Parley's access at Meta, best effort: unsubscribe each Messenger page
   (`DELETE /{page-id}/subscribed_apps`, page token) and each WhatsApp Business Account
   (`DELETE /{waba-id}/subscribed_apps`), then remove each Facebook login's permissions
   (`DELETE /{fb-user-id}/permissions`, user token); failures are logged (never a token)
   and do not stop the erasure. A grant another tenant still relies on (a number of theirs
   on the same WABA, the same person's login in their workspace) is left alone. Tokens are wiped and channels marked disconnected, which
   releases their page ids and phone number ids for another tenant at once;
2. delete the bulky rows in batches, each its own short transaction (a tenant may hold
   millions of messages), and the raw webhook deliveries that concerned this tenant only;
3. delete the tenant's stored files: attachments and uploads (`<tenant>/...`) and exports
   (`exports/<tenant>/...`), and its realtime event stream in Redis;
4. delete the tenant row: every remaining table cascades from it (ON DELETE CASCADE on
   every tenant_id foreign key).

Idempotent: each step finds nothing left to do on a second run; a run that fails part-way
(object storage down) is retried and carries on. It only ever erases a tenant whose
deletion was requested.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api import db, events
from api.crypto import DecryptionError, SecretBox
from api.data.exports import export_prefix
from api.errors import AppError
from api.meta.client import MetaClient
from api.meta.errors import GraphError
from api.models import (
    AuditLog,
    Channel,
    ChannelKind,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MetaAccount,
    Tenant,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventRoute,
)
from api.redis import get_redis
from api.storage import Storage
from api.vault import open_token, wipe_token

logger = logging.getLogger(__name__)

BATCH = 5000
# Children first, so no single statement cascades over a whole tenant.
BulkModel = (
    type[Message] | type[Conversation] | type[Contact] | type[AuditLog] | type[WebhookDelivery]
)
BULK_TABLES: tuple[BulkModel, ...] = (
    Message,
    Conversation,
    Contact,
    AuditLog,
    WebhookDelivery,
)
REVOCATION_ERRORS = (GraphError, DecryptionError, AppError)
# A Graph call that gives up a grant: (client, page / WABA / Facebook user id, token).
Revocation = Callable[[MetaClient, str, str], Awaitable[None]]


@dataclass
class Revocations:
    succeeded: int = 0
    failed: list[str] = field(default_factory=list)
    # Grants another workspace still uses (the same WABA, the same Facebook login).
    kept: list[str] = field(default_factory=list)


class TenantEraser:
    def __init__(
        self, client: MetaClient, box: SecretBox, storage: Storage, *, batch: int = BATCH
    ) -> None:
        self.client = client
        self.box = box
        self.storage = storage
        self.batch = batch

    async def run(self, tenant_id: uuid.UUID) -> str:
        async with db.unit_of_work() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                return "already erased"
            if tenant.deletion_requested_at is None:
                logger.error("refusing to erase tenant %s: no deletion was requested", tenant_id)
                return "not requested"
        revocations = await self._revoke(tenant_id)
        rows = await self._delete_rows(tenant_id)
        files = await self._delete_files(tenant_id)
        async with db.unit_of_work() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant_id))
        logger.info(
            "erased tenant %s: %d revocations at Meta (%d failed, %d kept for other "
            "workspaces), %d rows in batches, %d files",
            tenant_id,
            revocations.succeeded,
            len(revocations.failed),
            len(revocations.kept),
            rows,
            files,
        )
        return f"erased ({len(revocations.failed)} revocations failed)"

    # --- 1. Meta -------------------------------------------------------------------

    async def _revoke(self, tenant_id: uuid.UUID) -> Revocations:
        report = Revocations()
        async with db.unit_of_work() as session:
            channels = await _with_tokens(session, Channel, tenant_id)
            accounts = await _with_tokens(session, MetaAccount, tenant_id)
            wabas: set[str] = set()
            for channel in channels:
                if channel.kind is ChannelKind.MESSENGER:
                    await self._call(
                        report, "page", channel.external_id, channel, MetaClient.unsubscribe_page
                    )
                elif channel.waba_id and channel.waba_id not in wabas:
                    wabas.add(channel.waba_id)
                    if await _waba_shared(session, tenant_id, channel.waba_id):
                        report.kept.append(f"waba {channel.waba_id}")
                        continue
                    await self._call(
                        report, "waba", channel.waba_id, channel, MetaClient.unsubscribe_waba
                    )
            # Last: removing a login's permissions also kills the page tokens it issued.
            for account in accounts:
                if await _login_shared(session, tenant_id, account.fb_user_id):
                    # The same person connected another workspace too: that one keeps working.
                    report.kept.append(f"login {account.fb_user_id}")
                    continue
                await self._call(
                    report, "login", account.fb_user_id, account, MetaClient.revoke_permissions
                )
            for holder in [*channels, *accounts]:
                wipe_token(holder)
            for channel in await _live_channels(session, tenant_id):
                channel.status, channel.is_primary = ChannelStatus.DISCONNECTED, False
        return report

    async def _call(
        self,
        report: Revocations,
        what: str,
        external_id: str,
        holder: Channel | MetaAccount,
        call: Revocation,
    ) -> None:
        try:
            await call(self.client, external_id, open_token(self.box, holder))
        except REVOCATION_ERRORS as exc:
            code = exc.error_code if isinstance(exc, GraphError) else type(exc).__name__
            logger.warning("could not revoke %s %s at Meta (%s)", what, external_id, code)
            report.failed.append(f"{what} {external_id}")
            return
        report.succeeded += 1

    # --- 2. rows -------------------------------------------------------------------

    async def _delete_rows(self, tenant_id: uuid.UUID) -> int:
        deleted = await self._batches(partial(_own_webhook_events, tenant_id, self.batch))
        for model in BULK_TABLES:
            deleted += await self._batches(partial(_batch_of, model, tenant_id, self.batch))
        return deleted

    async def _batches(self, statement: Callable[[], Delete]) -> int:
        total = 0
        while True:
            async with db.unit_of_work() as session:
                result = cast(CursorResult[Any], await session.execute(statement()))
            count = result.rowcount
            total += count
            if count < self.batch:
                return total

    # --- 3. files ------------------------------------------------------------------

    async def _delete_files(self, tenant_id: uuid.UUID) -> int:
        deleted = await self.storage.delete_prefix(f"{tenant_id}/")
        deleted += await self.storage.delete_prefix(export_prefix(tenant_id))
        try:
            await get_redis().delete(events.stream_key(tenant_id), events.seq_key(tenant_id))
        except Exception as exc:  # the stream expires by itself within minutes
            logger.warning("could not delete tenant %s's event stream (%s)", tenant_id, exc)
        return deleted


# --- the statements --------------------------------------------------------------------


async def _with_tokens(
    session: AsyncSession, model: type[Channel] | type[MetaAccount], tenant_id: uuid.UUID
) -> list[Any]:
    statement = (
        select(model)
        .where(model.tenant_id == tenant_id, model.token_ciphertext.is_not(None))
        .order_by(model.id)
        .with_for_update()
    )
    return list((await session.execute(statement)).scalars())


async def _live_channels(session: AsyncSession, tenant_id: uuid.UUID) -> list[Channel]:
    statement = select(Channel).where(
        Channel.tenant_id == tenant_id, Channel.status != ChannelStatus.DISCONNECTED
    )
    return list((await session.execute(statement.with_for_update())).scalars())


async def _waba_shared(session: AsyncSession, tenant_id: uuid.UUID, waba_id: str) -> bool:
    """Another tenant has a live number on this WhatsApp Business Account."""
    statement = select(
        exists().where(
            Channel.waba_id == waba_id,
            Channel.tenant_id != tenant_id,
            Channel.status != ChannelStatus.DISCONNECTED,
        )
    )
    return bool((await session.execute(statement)).scalar())


async def _login_shared(session: AsyncSession, tenant_id: uuid.UUID, fb_user_id: str) -> bool:
    """The same Facebook user's login is still in use by another tenant."""
    statement = select(
        exists().where(
            MetaAccount.fb_user_id == fb_user_id,
            MetaAccount.tenant_id != tenant_id,
            MetaAccount.token_ciphertext.is_not(None),
        )
    )
    return bool((await session.execute(statement)).scalar())


def _batch_of(model: BulkModel, tenant_id: uuid.UUID, limit: int) -> Delete:
    ids = select(model.id).where(model.tenant_id == tenant_id).limit(limit)
    return delete(model).where(model.id.in_(ids.scalar_subquery()))


def _own_webhook_events(tenant_id: uuid.UUID, limit: int) -> Delete:
    """Raw deliveries routed to this tenant and no other (they hold its customers' words)."""
    other = aliased(WebhookEventRoute)
    ids = (
        select(WebhookEventRoute.event_id)
        .where(
            WebhookEventRoute.tenant_id == tenant_id,
            ~exists().where(
                other.event_id == WebhookEventRoute.event_id, other.tenant_id != tenant_id
            ),
        )
        .limit(limit)
    )
    return delete(WebhookEvent).where(WebhookEvent.id.in_(ids.scalar_subquery()))
