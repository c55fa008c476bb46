"""Meta's deauthorize and data-deletion callbacks (meta-platform.md §6).

Both arrive as a form field `signed_request` = `<base64url sig>.<base64url payload>`,
signed with the app secret over the payload string. A Facebook user is identified only by
their app-scoped id, so these look across tenants by that id on purpose.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.audit.targets import channel_details, channel_target
from api.channels.schemas import emit_channel_updated
from api.errors import AppError
from api.models import (
    Channel,
    ChannelStatus,
    DataDeletionRequest,
    DataDeletionStatus,
    MetaAccount,
    MetaAccountStatus,
)
from api.vault import wipe_token


class InvalidSignedRequest(AppError):
    status_code = 400
    code = "invalid_signed_request"


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def parse_signed_request(raw: str | None, app_secret: str) -> dict[str, Any]:
    """Verify and decode; raise `InvalidSignedRequest` for anything malformed or forged."""
    if not raw or raw.count(".") != 1:
        raise InvalidSignedRequest("signed_request is missing or malformed.")
    encoded_sig, payload = raw.split(".", 1)
    try:
        signature = _b64decode(encoded_sig)
        data = json.loads(_b64decode(payload))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSignedRequest("signed_request is not valid base64url JSON.") from exc
    expected = hmac.new(app_secret.encode(), payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise InvalidSignedRequest("signed_request signature does not match.")
    if not isinstance(data, dict):
        raise InvalidSignedRequest("signed_request payload is not a JSON object.")
    claims: dict[str, Any] = data
    algorithm = claims.get("algorithm")
    if not isinstance(algorithm, str) or algorithm.upper() != "HMAC-SHA256":
        raise InvalidSignedRequest("signed_request uses an unexpected algorithm.")
    if not claims.get("user_id"):
        raise InvalidSignedRequest("signed_request names no user.")
    return claims


async def _accounts(session: AsyncSession, fb_user_id: str) -> list[MetaAccount]:
    result = await session.execute(
        select(MetaAccount).where(MetaAccount.fb_user_id == fb_user_id).with_for_update()
    )
    return list(result.scalars())


async def _channels_through(session: AsyncSession, accounts: list[MetaAccount]) -> list[Channel]:
    if not accounts:
        return []
    result = await session.execute(
        select(Channel).where(
            Channel.meta_account_id.in_([a.id for a in accounts]),
            Channel.status != ChannelStatus.DISCONNECTED,
        )
    )
    return list(result.scalars())


async def deauthorize(session: AsyncSession, fb_user_id: str) -> int:
    """The user removed the app: their token is revoked and their channels need re-auth."""
    accounts = await _accounts(session, fb_user_id)
    # Meta may repeat the callback; only a login revoked now is news for the audit log.
    newly_revoked = [a for a in accounts if a.status is not MetaAccountStatus.REVOKED]
    for account in accounts:
        account.status = MetaAccountStatus.REVOKED
        wipe_token(account)
    channels = await _channels_through(session, accounts)
    for channel in channels:
        channel.status = ChannelStatus.NEEDS_REAUTH
    await _audit_revoked(session, newly_revoked, channels, reason="deauthorized")
    await session.flush()
    _announce(session, channels)
    return len(channels)


async def delete_user_data(session: AsyncSession, fb_user_id: str) -> DataDeletionRequest:
    """Remove what Parley holds about this Facebook user: their accounts and tokens, and the
    tokens of channels connected through them (conversations belong to the businesses)."""
    accounts = await _accounts(session, fb_user_id)
    channels = await _channels_through(session, accounts)
    for channel in channels:
        wipe_token(channel)
        channel.status = ChannelStatus.NEEDS_REAUTH
    await _audit_revoked(session, accounts, channels, reason="data_deletion_request")
    for account in accounts:
        await session.delete(account)
    await session.flush()
    _announce(session, channels)
    now = datetime.now(UTC)
    request = DataDeletionRequest(
        confirmation_code=secrets.token_hex(8),
        fb_user_id=fb_user_id,
        status=DataDeletionStatus.COMPLETED,
        summary=f"Deleted {len(accounts)} Facebook login(s) and the tokens of {len(channels)} channel(s).",
        requested_at=now,
        completed_at=now,
    )
    session.add(request)
    await session.flush()
    return request


async def _audit_revoked(
    session: AsyncSession, accounts: list[MetaAccount], channels: list[Channel], *, reason: str
) -> None:
    """One entry per affected channel (and per login that had none), in its own tenant,
    with Meta as the (system) actor."""
    revoked = {account.id for account in accounts}
    for channel in channels:
        if channel.meta_account_id not in revoked:
            continue
        await record(
            session,
            None,
            AuditAction.CHANNEL_TOKEN_REVOKED,
            tenant_id=channel.tenant_id,
            target=channel_target(channel),
            details=channel_details(channel, reason=reason),
            actor_label="Meta",
            system=True,
        )
    with_channels = {channel.meta_account_id for channel in channels}
    for account in accounts:
        if account.id not in with_channels:
            await record(
                session,
                None,
                AuditAction.CHANNEL_TOKEN_REVOKED,
                tenant_id=account.tenant_id,
                target=("meta_account", account.id, account.name),
                details={"reason": reason},
                actor_label="Meta",
                system=True,
            )


def _announce(session: AsyncSession, channels: list[Channel]) -> None:
    for channel in channels:
        emit_channel_updated(session, channel)


async def deletion_status(session: AsyncSession, code: str) -> DataDeletionRequest | None:
    result = await session.execute(
        select(DataDeletionRequest).where(DataDeletionRequest.confirmation_code == code)
    )
    return result.scalar_one_or_none()
