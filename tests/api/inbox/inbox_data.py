"""Test data for the conversation workflow: teammates with their own tokens, and threads
written straight to the tables (many at once, with exactly the fields a test needs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import create_access_token
from api.config import get_settings
from api.models import (
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    Message,
    MessageDirection,
    MessageStatus,
    Role,
    User,
)
from tests.event_payloads import create_whatsapp_channel
from tests.helpers import Account, create_account, create_messenger_channel

INBOX = "/api/inbox/conversations"
MAX_PAGES = 200  # a cursor that never ends fails the test instead of hanging it


@dataclass(frozen=True)
class Teammate:
    user_id: uuid.UUID
    role: Role
    headers: dict[str, str]


@dataclass(frozen=True)
class Team:
    owner: Account
    agent: Teammate
    viewer: Teammate
    messenger: Channel
    whatsapp: Channel

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.owner.tenant_id


async def create_teammate(session: AsyncSession, tenant_id: uuid.UUID, role: Role) -> Teammate:
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
        password_hash="not used: these tests sign in with a minted token",
        role=role,
    )
    session.add(user)
    await session.commit()
    token = create_access_token(
        get_settings().auth, user_id=user.id, tenant_id=tenant_id, role=role
    )
    return Teammate(user.id, role, {"Authorization": f"Bearer {token}"})


async def create_team(client: httpx.AsyncClient, session: AsyncSession, name: str = "Acme") -> Team:
    owner = await create_account(client, tenant_name=name)
    return Team(
        owner=owner,
        agent=await create_teammate(session, owner.tenant_id, Role.AGENT),
        viewer=await create_teammate(session, owner.tenant_id, Role.VIEWER),
        messenger=await create_messenger_channel(session, owner.tenant_id),
        whatsapp=await create_whatsapp_channel(session, owner.tenant_id),
    )


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


async def create_thread(
    session: AsyncSession,
    channel: Channel,
    *,
    texts: tuple[str, ...] = (),
    at: datetime | None = None,
    last_inbound_at: datetime | None = None,
    status: ConversationStatus = ConversationStatus.OPEN,
    assignee_id: uuid.UUID | None = None,
    labels: tuple[str, ...] = (),
    unread_count: int = 0,
    snoozed_until: datetime | None = None,
    commit: bool = True,
) -> Conversation:
    """A contact and its conversation on `channel`, with inbound messages `texts` (a
    minute apart, the last one at `at`)."""
    at = at or datetime.now(UTC)
    contact = Contact(
        id=uuid.uuid4(),
        tenant_id=channel.tenant_id,
        channel_id=channel.id,
        external_id=uuid.uuid4().hex,
        name="Customer",
    )
    conversation = Conversation(
        id=uuid.uuid4(),
        tenant_id=channel.tenant_id,
        channel_id=channel.id,
        contact_id=contact.id,
        status=status,
        assignee_id=assignee_id,
        labels=list(labels),
        unread_count=unread_count,
        last_message_at=at,
        last_inbound_at=last_inbound_at,
        last_message_preview=texts[-1] if texts else None,
        snoozed_until=snoozed_until,
    )
    session.add_all([contact, conversation])
    await session.flush()
    rows = [
        message_row(conversation, text, at - timedelta(minutes=len(texts) - 1 - i))
        for i, text in enumerate(texts)
    ]
    if rows:
        await session.execute(insert(Message), rows)
    if commit:
        await session.commit()
    return conversation


def message_row(
    conversation: Conversation,
    text: str | None,
    at: datetime,
    direction: MessageDirection = MessageDirection.INBOUND,
) -> dict[str, Any]:
    """One messages row for a bulk insert."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": conversation.tenant_id,
        "conversation_id": conversation.id,
        "channel_id": conversation.channel_id,
        "direction": direction,
        "type": "text",
        "text": text,
        "content": {},
        "external_id": f"m_{uuid.uuid4().hex}",
        "status": MessageStatus.RECEIVED,
        "provider_timestamp": at,
        "sort_at": at,
        "created_at": at,
    }


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of the conversation list for `params`, following the cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(MAX_PAGES):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(INBOX, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"still a next_cursor after {MAX_PAGES} pages")


def ids(items: list[dict[str, Any]]) -> list[uuid.UUID]:
    return [uuid.UUID(item["id"]) for item in items]
