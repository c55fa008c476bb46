"""The export job's reads: one tenant's rows in keyset batches, as plain dicts of the
columns listed here and only those (an allowlist: tokens, ciphertexts, password and key
hashes, signing secrets never leave). The job carries an export id; the tenant comes from
that row, so these read by the tenant id they are given."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.models import (
    ApiKey,
    Attachment,
    AuditLog,
    Channel,
    Contact,
    Conversation,
    Invitation,
    Message,
    MessageTemplate,
    MetaAccount,
    SavedReply,
    Tenant,
    User,
    WebhookEndpoint,
    WhatsAppBusinessAccount,
)

Row = dict[str, Any]
MessageKey = tuple[uuid.UUID, datetime, uuid.UUID]  # (conversation_id, sort_at, id)


def _columns(model: Any, names: Sequence[str]) -> list[InstrumentedAttribute[Any]]:
    return [getattr(model, name) for name in names]


def _fields(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# What each file holds. Anything not named here is never exported.
SECTIONS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "users": (
        User,
        _fields("id email name role created_at updated_at last_login_at"),
    ),
    "invitations": (
        Invitation,
        _fields(
            "id email role invited_by_user_id created_at expires_at accepted_at accepted_user_id revoked_at"
        ),
    ),
    "meta_accounts": (
        MetaAccount,
        _fields(
            "id fb_user_id name scopes status token_expires_at data_access_expires_at connected_by_user_id created_at updated_at"
        ),
    ),
    "whatsapp_business_accounts": (
        WhatsAppBusinessAccount,
        _fields("id business_id waba_id name account_status created_at updated_at"),
    ),
    "channels": (
        Channel,
        _fields(
            "id kind external_id name display_phone_number waba_id status is_primary last_event_at token_expires_at quality_rating messaging_limit send_read_receipts created_at updated_at"
        ),
    ),
    "contacts": (
        Contact,
        _fields(
            "id channel_id external_id business_user_id name username avatar_url deleted_at created_at updated_at"
        ),
    ),
    "conversations": (
        Conversation,
        _fields(
            "id channel_id contact_id status assignee_id labels unread_count last_message_at last_inbound_at snoozed_until deleted_at created_at updated_at"
        ),
    ),
    "saved_replies": (
        SavedReply,
        _fields("id shortcut title text created_by_user_id created_at updated_at"),
    ),
    "templates": (
        MessageTemplate,
        _fields(
            "id waba_id external_id name language category status reason components parameter_format quality_score synced_at"
        ),
    ),
    "api_keys": (
        ApiKey,
        _fields(
            "id name prefix role created_by_user_id created_at last_used_at last_used_ip revoked_at"
        ),
    ),
    "webhook_endpoints": (
        WebhookEndpoint,
        _fields("id url description events enabled created_by_user_id created_at updated_at"),
    ),
    "audit_logs": (
        AuditLog,
        _fields(
            "id created_at action actor_type actor_user_id actor_api_key_id actor_label target_type target_id target_label ip user_agent details"
        ),
    ),
}

MESSAGE_FIELDS = (
    "id",
    "conversation_id",
    "channel_id",
    "direction",
    "type",
    "text",
    "content",
    "external_id",
    "status",
    "error_code",
    "error_reason",
    "author_user_id",
    "automated",
    "tag",
    "reply_to_external_id",
    "reactions",
    "written_elsewhere",
    "provider_timestamp",
    "sort_at",
    "sent_at",
    "created_at",
)
ATTACHMENT_FIELDS = (
    "id",
    "message_id",
    "kind",
    "mime_type",
    "size",
    "filename",
    "sha256",
    "state",
    "position",
)


class TenantReader:
    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def tenant(self) -> Row | None:
        statement = select(Tenant.id, Tenant.name, Tenant.created_at).where(
            Tenant.id == self.tenant_id
        )
        row = (await self.session.execute(statement)).mappings().one_or_none()
        return dict(row) if row is not None else None

    async def count(self, section: str) -> int:
        model, _ = SECTIONS[section]
        statement = select(func.count()).select_from(model).where(model.tenant_id == self.tenant_id)
        return int((await self.session.execute(statement)).scalar_one())

    async def count_messages(self) -> int:
        statement = select(func.count()).where(Message.tenant_id == self.tenant_id)
        return int((await self.session.execute(statement)).scalar_one())

    async def rows(self, section: str, *, after: uuid.UUID | None, limit: int) -> list[Row]:
        """A batch of a section's rows in id order, after `after`."""
        model, fields = SECTIONS[section]
        statement = select(*_columns(model, fields)).where(model.tenant_id == self.tenant_id)
        if after is not None:
            statement = statement.where(model.id > after)
        statement = statement.order_by(model.id).limit(limit)
        return [dict(row) for row in (await self.session.execute(statement)).mappings()]

    async def conversation_ids(self, *, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        statement = select(Conversation.id).where(Conversation.tenant_id == self.tenant_id)
        if after is not None:
            statement = statement.where(Conversation.id > after)
        statement = statement.order_by(Conversation.id).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def messages(
        self, conversation_ids: list[uuid.UUID], *, after: MessageKey | None, limit: int
    ) -> list[Row]:
        """Messages of these conversations, each thread in order (the thread index)."""
        order = (Message.conversation_id, Message.sort_at, Message.id)
        statement = select(*_columns(Message, MESSAGE_FIELDS)).where(
            Message.tenant_id == self.tenant_id, Message.conversation_id.in_(conversation_ids)
        )
        if after is not None:
            statement = statement.where(tuple_(*order) > tuple_(*after))
        statement = statement.order_by(*order).limit(limit)
        return [dict(row) for row in (await self.session.execute(statement)).mappings()]

    async def attachments(self, message_ids: list[uuid.UUID]) -> list[Row]:
        if not message_ids:
            return []
        statement = (
            select(*_columns(Attachment, ATTACHMENT_FIELDS))
            .where(Attachment.tenant_id == self.tenant_id, Attachment.message_id.in_(message_ids))
            .order_by(Attachment.message_id, Attachment.position)
        )
        return [dict(row) for row in (await self.session.execute(statement)).mappings()]

    async def labels(self) -> list[Row]:
        name = func.unnest(Conversation.labels).label("name")
        statement = (
            select(name, func.count().label("conversations"))
            .where(Conversation.tenant_id == self.tenant_id)
            .group_by(name)
            .order_by(name)
        )
        return [dict(row) for row in (await self.session.execute(statement)).mappings()]
