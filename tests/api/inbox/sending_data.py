"""Test data for the send path: conversations whose customer last wrote some time ago,
templates in a WABA, and a look at what was stored and queued."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import create_access_token
from api.config import get_settings
from api.jobs import QUEUE_NAME
from api.models import Channel, Contact, Conversation, Message, MessageTemplate, Role, User
from tests.event_payloads import create_whatsapp_channel, numeric_id
from tests.helpers import Account, create_account, create_messenger_channel

INBOX = "/api/inbox/conversations"

ORDER_UPDATE: list[dict[str, Any]] = [
    {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
    {"type": "BODY", "text": "Hi {{1}}, your order {{2}} is on its way and arrives {{3}}."},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "URL", "text": "Track order", "url": "https://example.com/track/{{1}}"},
            {"type": "QUICK_REPLY", "text": "Talk to us"},
        ],
    },
]
APPOINTMENT: list[dict[str, Any]] = [
    {"type": "HEADER", "format": "IMAGE"},
    {"type": "BODY", "text": "Hi {{first_name}}, see you on {{date}}."},
]
ORDER_PARAMETERS: dict[str, Any] = {
    "header": {"type": "text", "text": "#4412"},
    "body": ["Ana", "#4412", "tomorrow"],
    "buttons": [{"index": 0, "value": "4412"}],
}


async def customer_thread(
    session: AsyncSession,
    channel: Channel,
    *,
    wrote: timedelta | None = timedelta(hours=1),
    external_id: str | None = None,
) -> Conversation:
    """A conversation whose customer last wrote `wrote` ago (None: never)."""
    contact = Contact(
        tenant_id=channel.tenant_id,
        channel_id=channel.id,
        external_id=external_id or numeric_id(11),
        name="Ana Lima",
    )
    session.add(contact)
    await session.flush()
    now = datetime.now(UTC)
    conversation = Conversation(
        tenant_id=channel.tenant_id,
        channel_id=channel.id,
        contact_id=contact.id,
        last_message_at=now,
        last_inbound_at=None if wrote is None else now - wrote,
    )
    session.add(conversation)
    await session.commit()
    return conversation


async def whatsapp_setup(
    client: httpx.AsyncClient,
    session: AsyncSession,
    *,
    wrote: timedelta | None = timedelta(hours=1),
    account: Account | None = None,
) -> tuple[Account, Channel, Conversation]:
    account = account or await create_account(client)
    channel = await create_whatsapp_channel(session, account.tenant_id)
    return account, channel, await customer_thread(session, channel, wrote=wrote)


async def messenger_setup(
    client: httpx.AsyncClient,
    session: AsyncSession,
    *,
    wrote: timedelta | None = timedelta(hours=1),
) -> tuple[Account, Channel, Conversation]:
    account = await create_account(client)
    channel = await create_messenger_channel(session, account.tenant_id)
    return account, channel, await customer_thread(session, channel, wrote=wrote)


async def add_template(
    session: AsyncSession,
    channel: Channel,
    *,
    name: str = "order_update",
    language: str = "en_US",
    status: str = "APPROVED",
    components: list[dict[str, Any]] | None = None,
    parameter_format: str = "POSITIONAL",
    category: str = "UTILITY",
) -> MessageTemplate:
    assert channel.waba_id is not None
    template = MessageTemplate(
        tenant_id=channel.tenant_id,
        waba_id=channel.waba_id,
        external_id=numeric_id(16),
        name=name,
        language=language,
        category=category,
        status=status,
        components=ORDER_UPDATE if components is None else components,
        parameter_format=parameter_format,
        synced_at=datetime.now(UTC),
    )
    session.add(template)
    await session.commit()
    return template


async def outbound(
    session: AsyncSession, conversation_id: uuid.UUID | None = None
) -> list[Message]:
    statement = select(Message).where(Message.direction == "outbound")
    if conversation_id is not None:
        statement = statement.where(Message.conversation_id == conversation_id)
    result = await session.execute(
        statement.order_by(Message.created_at).execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def send_jobs(redis: Any) -> list[str]:
    """The ids of the send jobs waiting in the queue."""
    return [
        key.decode()
        for key in await redis.zrange(QUEUE_NAME, 0, -1)
        if key.decode().startswith("send:")
    ]


async def teammate_headers(
    session: AsyncSession, tenant_id: uuid.UUID, role: Role = Role.AGENT
) -> dict[str, str]:
    """Another person of the tenant, signed in with a minted token."""
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
        password_hash="not used: signed in with a minted token",
        role=role,
    )
    session.add(user)
    await session.commit()
    token = create_access_token(
        get_settings().auth, user_id=user.id, tenant_id=tenant_id, role=role
    )
    return {"Authorization": f"Bearer {token}"}
