"""Managing connected channels: rename, disconnect (history kept), reconnect, import history."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.audit.targets import channel_details, channel_target
from api.channels.repository import ChannelRepository
from api.channels.schemas import ChannelOut, ChannelUpdate, channel_out, emit_channel_updated
from api.config import Settings
from api.crypto import DecryptionError, SecretBox
from api.errors import AppError, NotFound
from api.meta.client import MetaClient
from api.meta.connect import ConnectService
from api.meta.errors import GraphError
from api.meta.login import LoginService
from api.models import Channel, ChannelKind, ChannelStatus
from api.tenancy import TenantScope
from api.vault import open_token, wipe_token

logger = logging.getLogger(__name__)


class ChannelService:
    def __init__(
        self,
        session: AsyncSession,
        scope: TenantScope,
        settings: Settings,
        client: MetaClient,
        box: SecretBox,
    ) -> None:
        self.session = session
        self.scope = scope
        self.settings = settings
        self.client = client
        self.box = box
        self.channels = ChannelRepository(session, scope)

    async def list(self) -> list[ChannelOut]:
        now = datetime.now(UTC)
        return [channel_out(c, now) for c in await self.channels.list_all()]

    async def change(self, channel_id: uuid.UUID, change: ChannelUpdate) -> ChannelOut:
        """Apply the fields given (name, read receipts); announced as `channel:updated`."""
        channel = await self._channel(channel_id)
        changes: dict[str, object] = {}
        if change.name is not None and change.name != channel.name:
            changes["name"] = {"from": channel.name, "to": change.name}
            channel.name = change.name
        if (
            change.send_read_receipts is not None
            and change.send_read_receipts != channel.send_read_receipts
        ):
            changes["send_read_receipts"] = {
                "from": channel.send_read_receipts,
                "to": change.send_read_receipts,
            }
            channel.send_read_receipts = change.send_read_receipts
        if changes:
            await record(
                self.session,
                self.scope,
                AuditAction.CHANNEL_UPDATED,
                target=channel_target(channel),
                details=channel_details(channel, changes=changes),
            )
        return self._changed(channel)

    async def disconnect(self, channel_id: uuid.UUID) -> ChannelOut:
        """Stop receiving (unsubscribe at Meta, best effort), wipe the token, keep history."""
        channel = await self._channel(channel_id)
        if channel.status is not ChannelStatus.DISCONNECTED:
            await self._unsubscribe(channel)
            await record(
                self.session,
                self.scope,
                AuditAction.CHANNEL_DISCONNECTED,
                target=channel_target(channel),
                details=channel_details(channel, previous_status=channel.status.value),
            )
        wipe_token(channel)
        channel.status = ChannelStatus.DISCONNECTED
        channel.is_primary = False
        channel.token_expires_at = None
        return self._changed(channel)

    async def reconnect(self, channel_id: uuid.UUID) -> str:
        """Start Facebook Login again; the callback re-seals this channel's token."""
        channel = await self._channel(channel_id)
        login = LoginService(self.session, self.settings, self.client, self.box)
        return await login.start(self.scope, channel.kind.value, channel_id=channel.id)

    async def import_history(self, channel_id: uuid.UUID) -> ChannelOut:
        channel = await self._channel(channel_id)
        if channel.kind is not ChannelKind.MESSENGER:
            raise AppError("History import is available for Messenger Pages.", code="not_supported")
        if channel.status is not ChannelStatus.ACTIVE:
            raise AppError(
                "Reconnect the channel before importing its history.",
                status_code=409,
                code="channel_inactive",
            )
        ConnectService(self.session, self.scope, self.client, self.box).queue_history_import(
            channel
        )
        return self._changed(channel)

    async def _unsubscribe(self, channel: Channel) -> None:
        try:
            token = open_token(self.box, channel)
            if channel.kind is ChannelKind.MESSENGER:
                await self.client.unsubscribe_page(channel.external_id, token)
            elif channel.waba_id and not await self.channels.others_on_waba(channel):
                await self.client.unsubscribe_waba(channel.waba_id, token)
        except (GraphError, DecryptionError, AppError) as exc:
            # The token may already be dead; disconnecting locally must still work.
            logger.info("could not unsubscribe channel %s at Meta: %s", channel.id, exc)

    async def _channel(self, channel_id: uuid.UUID) -> Channel:
        channel = await self.channels.get(channel_id)
        if channel is None:
            raise NotFound("Channel not found.")
        return channel

    def _changed(self, channel: Channel) -> ChannelOut:
        return emit_channel_updated(self.session, channel)
