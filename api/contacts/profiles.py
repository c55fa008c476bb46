"""Filling in a new contact's name and picture from the channel (off the ingest path)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from api import events
from api.channels.adapters import get_adapter
from api.crypto import DecryptionError, SecretBox
from api.errors import AppError
from api.inbox.schemas import conversation_out
from api.meta.errors import ErrorAction, GraphError
from api.meta.graph import GraphClient
from api.models import Channel, ChannelStatus, Contact, Conversation
from api.vault import open_token

logger = logging.getLogger(__name__)


async def fetch_profile(
    session: AsyncSession, graph: GraphClient, box: SecretBox, contact_id: uuid.UUID
) -> bool:
    """Update the contact from the Graph API. False (logged) when Meta cannot tell us."""
    contact = await session.get(Contact, contact_id)
    channel = await session.get(Channel, contact.channel_id) if contact else None
    if contact is None or channel is None:
        return False
    try:
        token = open_token(box, channel)
        profile = await get_adapter(channel.kind, graph).fetch_profile(
            token=token, contact_external_id=contact.external_id
        )
    except GraphError as exc:
        if exc.action is ErrorAction.REAUTH:  # any Graph call can reveal a dead token
            channel.status = ChannelStatus.NEEDS_REAUTH
            await session.flush()
        logger.info("no profile for contact %s: %s", contact_id, exc)
        return False
    except (DecryptionError, AppError) as exc:
        logger.info("no profile for contact %s: %s", contact_id, exc)
        return False
    if profile is None:
        return False
    contact.name = profile.name or contact.name
    contact.avatar_url = profile.avatar_url or contact.avatar_url
    await session.flush()
    await _emit_conversations(session, contact)
    return True


async def _emit_conversations(session: AsyncSession, contact: Contact) -> None:
    result = await session.execute(
        select(Conversation)
        .options(joinedload(Conversation.contact), joinedload(Conversation.channel))
        # Those in the trash stay out of the lists.
        .where(Conversation.contact_id == contact.id, Conversation.deleted_at.is_(None))
    )
    now = datetime.now(UTC)
    for conversation in result.scalars():
        payload = {"conversation": conversation_out(conversation, now).model_dump(mode="json")}
        events.emit(session, contact.tenant_id, "conversation:updated", payload)
