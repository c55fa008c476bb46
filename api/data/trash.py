"""Deleting conversations and contacts in normal use is a soft delete: they leave every
list, count, search and socket room at once (`deleted_at` is set), stay restorable for
`DATA_TRASH_RETENTION_DAYS`, and are then erased for good by `api.data.purge`.

Other screens learn of it live: `conversation:deleted` ({conversation_id}) drops the
conversation from every list; a restore is a `conversation:updated`, which puts it back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api import events
from api.audit.log import AuditAction, record
from api.config import get_settings
from api.data.repository import ContactRepository, TrashRepository
from api.data.schemas import ContactTrashed, TrashedConversation
from api.errors import NotFound
from api.inbox.repository import ConversationRepository
from api.inbox.schemas import ConversationOut, conversation_out
from api.models import Contact, Conversation
from api.pagination import Page, decode_cursor, encode_cursor
from api.tenancy import TenantScope

DELETED_EVENT = "conversation:deleted"


def retention() -> timedelta:
    return timedelta(days=get_settings().data.trash_retention_days)


def trashed_out(conversation: Conversation, now: datetime) -> TrashedConversation:
    assert conversation.deleted_at is not None
    out = conversation_out(conversation, now)
    return TrashedConversation(
        **dict(out),
        deleted_at=conversation.deleted_at,
        purge_at=conversation.deleted_at + retention(),
    )


def _label(contact: Contact) -> str:
    return contact.name or contact.external_id


class TrashService:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope
        self.trash = TrashRepository(session, scope)
        self.contacts = ContactRepository(session, scope)

    async def find(self, *, cursor: str | None, limit: int) -> Page[TrashedConversation]:
        """Deleted conversations, the most recently deleted first."""
        after = decode_cursor(cursor) if cursor else None
        rows = await self.trash.page(after=after, limit=limit + 1)
        page, now = rows[:limit], datetime.now(UTC)
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            assert last.deleted_at is not None
            next_cursor = encode_cursor(last.deleted_at, last.id)
        return Page(items=[trashed_out(c, now) for c in page], next_cursor=next_cursor)

    async def delete_conversation(self, conversation_id: uuid.UUID) -> TrashedConversation:
        """Move a conversation to the trash (one already there, or another tenant's: 404)."""
        conversation = await ConversationRepository(self.session, self.scope).get_full(
            conversation_id, for_update=True
        )
        if conversation is None:
            raise NotFound("Conversation not found.")
        now = datetime.now(UTC)
        conversation.deleted_at = now
        await self._audit(AuditAction.CONVERSATION_DELETED, conversation)
        await self.session.flush()
        self._announce_deleted(conversation)
        return trashed_out(conversation, now)

    async def restore_conversation(self, conversation_id: uuid.UUID) -> ConversationOut:
        """Take a conversation out of the trash, with its contact if that was deleted too
        (a conversation cannot show without its contact)."""
        conversation = await self.trash.deleted_for_update(conversation_id)
        if conversation is None:
            raise NotFound("There is no such conversation in the trash.")
        conversation.deleted_at = None
        await self._audit(AuditAction.CONVERSATION_RESTORED, conversation)
        contact = conversation.contact
        if contact.deleted_at is not None:
            contact.deleted_at = None
            await self._audit_contact(AuditAction.CONTACT_RESTORED, contact, [conversation.id])
        await self.session.flush()
        return self._announce_restored(conversation)

    async def delete_contact(self, contact_id: uuid.UUID) -> ContactTrashed:
        """Move a contact and all its conversations to the trash, with one `deleted_at`."""
        contact = await self.contacts.for_update(contact_id, deleted=False)
        if contact is None:
            raise NotFound("Contact not found.")
        conversations = await self.trash.of_contact_for_update(contact.id, deleted_at=None)
        now = datetime.now(UTC)
        contact.deleted_at = now
        for conversation in conversations:
            conversation.deleted_at = now
        ids = [c.id for c in conversations]
        await self._audit_contact(AuditAction.CONTACT_DELETED, contact, ids)
        await self.session.flush()
        for conversation in conversations:
            self._announce_deleted(conversation)
        return ContactTrashed(
            id=contact.id,
            name=contact.name,
            external_id=contact.external_id,
            deleted_at=now,
            purge_at=now + retention(),
            conversation_ids=ids,
        )

    async def restore_contact(self, contact_id: uuid.UUID) -> ContactTrashed:
        """Take a contact out of the trash with the conversations deleted with it."""
        contact = await self.contacts.for_update(contact_id, deleted=True)
        if contact is None:
            raise NotFound("There is no such contact in the trash.")
        conversations = await self.trash.of_contact_for_update(
            contact.id, deleted_at=contact.deleted_at
        )
        contact.deleted_at = None
        for conversation in conversations:
            conversation.deleted_at = None
        ids = [c.id for c in conversations]
        await self._audit_contact(AuditAction.CONTACT_RESTORED, contact, ids)
        await self.session.flush()
        for conversation in conversations:
            self._announce_restored(conversation)
        return ContactTrashed(
            id=contact.id,
            name=contact.name,
            external_id=contact.external_id,
            deleted_at=None,
            purge_at=None,
            conversation_ids=ids,
        )

    # --- pieces --------------------------------------------------------------------

    async def _audit(self, action: AuditAction, conversation: Conversation) -> None:
        await record(
            self.session,
            self.scope,
            action,
            target=("conversation", conversation.id, _label(conversation.contact)),
        )

    async def _audit_contact(
        self, action: AuditAction, contact: Contact, conversation_ids: list[uuid.UUID]
    ) -> None:
        await record(
            self.session,
            self.scope,
            action,
            target=("contact", contact.id, _label(contact)),
            details={"conversations": [str(i) for i in conversation_ids]},
        )

    def _announce_deleted(self, conversation: Conversation) -> None:
        events.emit(
            self.session,
            self.scope.tenant_id,
            DELETED_EVENT,
            {"conversation_id": str(conversation.id)},
        )

    def _announce_restored(self, conversation: Conversation) -> ConversationOut:
        out = conversation_out(conversation, datetime.now(UTC))
        events.emit(
            self.session,
            self.scope.tenant_id,
            "conversation:updated",
            {"conversation": out.model_dump(mode="json")},
        )
        return out
