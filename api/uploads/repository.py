"""SQL of uploads, scoped to the caller's tenant."""

from __future__ import annotations

import uuid

from api.models import Upload
from api.tenancy import ScopedRepository


class UploadRepository(ScopedRepository[Upload]):
    model = Upload

    async def for_update(self, upload_id: uuid.UUID) -> Upload | None:
        """The tenant's upload, locked: two sends cannot both use it."""
        statement = self.scoped().where(Upload.id == upload_id).with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()
