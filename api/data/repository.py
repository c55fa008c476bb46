"""The caller's trash, exports and members, every read starting from the tenant filter.
(The jobs that work across tenants, purge and erase, have their own modules.)"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from api.models import Contact, Conversation, TenantExport, TenantExportStatus, User
from api.pagination import beyond
from api.tenancy import ScopedRepository

ACTIVE_EXPORT = (TenantExportStatus.QUEUED, TenantExportStatus.RUNNING)


class TrashRepository(ScopedRepository[Conversation]):
    """Conversations, deleted or not (the inbox's own repositories see only live ones)."""

    model = Conversation

    def _with_relations(self) -> Select[Conversation]:
        return self.scoped().options(
            joinedload(Conversation.contact), joinedload(Conversation.channel)
        )

    async def page(
        self, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[Conversation]:
        """Deleted conversations, most recently deleted first; keyset on (deleted_at, id)
        (the partial index `ix_conversations_deleted`)."""
        statement = self._with_relations().where(Conversation.deleted_at.is_not(None))
        if after is not None:
            statement = statement.where(
                beyond(Conversation.deleted_at, Conversation.id, after, descending=True)  # type: ignore[arg-type]
            )
        statement = statement.order_by(
            Conversation.deleted_at.desc(), Conversation.id.desc()
        ).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def deleted_for_update(self, conversation_id: uuid.UUID) -> Conversation | None:
        statement = (
            self._with_relations()
            .where(Conversation.id == conversation_id, Conversation.deleted_at.is_not(None))
            .with_for_update(of=Conversation)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def of_contact_for_update(
        self, contact_id: uuid.UUID, *, deleted_at: datetime | None
    ) -> list[Conversation]:
        """The contact's conversations in use (`deleted_at` None), or those deleted at
        exactly `deleted_at` (with the contact)."""
        state = (
            Conversation.deleted_at.is_(None)
            if deleted_at is None
            else Conversation.deleted_at == deleted_at
        )
        statement = (
            self._with_relations()
            .where(Conversation.contact_id == contact_id, state)
            .order_by(Conversation.id)
            .with_for_update(of=Conversation)
        )
        return list((await self.session.execute(statement)).scalars())


class ContactRepository(ScopedRepository[Contact]):
    model = Contact

    async def for_update(self, contact_id: uuid.UUID, *, deleted: bool) -> Contact | None:
        """The contact if it is in the trash (`deleted`) or in use (not `deleted`)."""
        state = Contact.deleted_at.is_not(None) if deleted else Contact.deleted_at.is_(None)
        statement = self.scoped().where(Contact.id == contact_id, state).with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()


class ExportRepository(ScopedRepository[TenantExport]):
    model = TenantExport

    async def recent(self, limit: int) -> list[TenantExport]:
        statement = self.scoped().order_by(TenantExport.created_at.desc(), TenantExport.id.desc())
        return list((await self.session.execute(statement.limit(limit))).scalars())

    async def active(self) -> TenantExport | None:
        """The export being built, if any (at most one: `uq_tenant_exports_active`)."""
        statement = self.scoped().where(TenantExport.status.in_(ACTIVE_EXPORT)).limit(1)
        return (await self.session.execute(statement)).scalar_one_or_none()


class MemberIds(ScopedRepository[User]):
    model = User

    async def all(self) -> list[uuid.UUID]:
        statement = self.scoped().with_only_columns(User.id)
        return list((await self.session.execute(statement)).scalars())
