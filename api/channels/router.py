from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from api.channels.deps import ChannelsForAdmin, ChannelsForMember
from api.channels.schemas import AuthorizeUrl, ChannelOut, ChannelUpdate
from api.pagination import Page

router = APIRouter(prefix="/channels", tags=["channels"])


@router.get("")
async def list_channels(channels: ChannelsForMember) -> Page[ChannelOut]:
    """The tenant's pages and numbers with their health (token expiry, re-auth needed)."""
    return Page(items=await channels.list())


@router.patch("/{channel_id}")
async def update_channel(
    channel_id: uuid.UUID, body: ChannelUpdate, channels: ChannelsForAdmin
) -> ChannelOut:
    """Rename the channel, or turn read receipts to Meta on or off (admins)."""
    return await channels.change(channel_id, body)


@router.delete("/{channel_id}")
async def disconnect_channel(channel_id: uuid.UUID, channels: ChannelsForAdmin) -> ChannelOut:
    """Unsubscribe at Meta, wipe the token, keep every conversation."""
    return await channels.disconnect(channel_id)


@router.post("/{channel_id}/reconnect")
async def reconnect_channel(channel_id: uuid.UUID, channels: ChannelsForAdmin) -> AuthorizeUrl:
    """Where to send the browser to log in with Facebook again for this channel."""
    return AuthorizeUrl(authorize_url=await channels.reconnect(channel_id))


@router.post("/{channel_id}/import-history", status_code=status.HTTP_202_ACCEPTED)
async def import_history(channel_id: uuid.UUID, channels: ChannelsForAdmin) -> ChannelOut:
    """Import the Page's recent conversations in the background (progress via `channel:updated`)."""
    return await channels.import_history(channel_id)
