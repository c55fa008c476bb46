"""Token health: every live channel's token checked with /debug_token; expiry recorded,
dead tokens flag the channel `needs_reauth` (the SPA then shows a reconnect banner)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.audit.targets import channel_details, channel_target
from api.channels.schemas import emit_channel_updated
from api.crypto import DecryptionError, SecretBox
from api.errors import AppError
from api.meta.client import MetaClient
from api.meta.errors import GraphError
from api.models import Channel, ChannelStatus
from api.vault import open_token

logger = logging.getLogger(__name__)


@dataclass
class HealthReport:
    checked: int = 0
    needs_reauth: int = 0
    skipped: int = 0


async def check_channel_tokens(
    session: AsyncSession, client: MetaClient, box: SecretBox
) -> HealthReport:
    report = HealthReport()
    result = await session.execute(select(Channel).where(Channel.status == ChannelStatus.ACTIVE))
    for channel in result.scalars():
        verdict = await _check(channel, client, box)
        if verdict is None:
            report.skipped += 1
            continue
        report.checked += 1
        if verdict is False:
            channel.status = ChannelStatus.NEEDS_REAUTH
            report.needs_reauth += 1
            await record(
                session,
                None,
                AuditAction.CHANNEL_NEEDS_REAUTH,
                tenant_id=channel.tenant_id,
                target=channel_target(channel),
                details=channel_details(channel, reason="token_check"),
                actor_label="Token health check",
                system=True,
            )
        channel.token_checked_at = datetime.now(UTC)
        emit_channel_updated(session, channel)
    await session.flush()
    return report


async def _check(channel: Channel, client: MetaClient, box: SecretBox) -> bool | None:
    """True: healthy (expiry recorded). False: dead. None: could not tell now (retry later)."""
    try:
        info = await client.debug_token(open_token(box, channel))
    except (DecryptionError, AppError):
        return False
    except GraphError as exc:
        # An invalid *input* token comes back as is_valid=false; an error here is about the
        # call itself (our app token, rate limits, Meta down), never a verdict on the channel.
        logger.warning("token check for channel %s postponed: %s", channel.id, exc)
        return None
    now = datetime.now(UTC)
    channel.token_expires_at = info.expires_at
    return info.is_valid and (info.expires_at is None or info.expires_at > now)
