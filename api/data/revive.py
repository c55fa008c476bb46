"""New activity brings a conversation back from the trash.

A customer who writes again to a business that deleted their conversation (or contact)
gets the same thread back, restored with its history, rather than a fresh one: the
conversation is unique per (channel, contact), a deleted thread is still within its
restore period (it would be purged otherwise), and an agent answering needs the context.
An admin who wants it gone can delete it again. The same holds when the business writes
first (a WhatsApp template to that number) or replies from another app (an echo).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.models import Contact, Conversation
from api.tenancy import TenantScope


async def revive(
    session: AsyncSession,
    scope: TenantScope | None,
    conversation: Conversation,
    contact: Contact | None = None,
    *,
    reason: str,
) -> bool:
    """Take the conversation and its contact out of the trash; True if either was in it.
    Audited as a restore by the caller (`scope`), or by the system when a message arrived.
    `contact` defaults to the conversation's loaded contact."""
    contact = contact if contact is not None else conversation.contact
    revived = False
    if contact.deleted_at is not None:
        contact.deleted_at = None
        await record(
            session,
            scope,
            AuditAction.CONTACT_RESTORED,
            tenant_id=contact.tenant_id,
            target=("contact", contact.id, contact.name or contact.external_id),
            details={"reason": reason},
        )
        revived = True
    if conversation.deleted_at is not None:
        conversation.deleted_at = None
        await record(
            session,
            scope,
            AuditAction.CONVERSATION_RESTORED,
            tenant_id=conversation.tenant_id,
            target=("conversation", conversation.id, contact.name or contact.external_id),
            details={"reason": reason},
        )
        revived = True
    return revived
