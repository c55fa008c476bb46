"""The tenant's endpoints and their delivery log (every read starts from the tenant)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import distinct_on

from api.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from api.pagination import beyond
from api.tenancy import ScopedRepository


class EndpointRepository(ScopedRepository[WebhookEndpoint]):
    model = WebhookEndpoint

    async def list_all(self) -> list[WebhookEndpoint]:
        statement = self.scoped().order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        return list((await self.session.execute(statement)).scalars())

    async def count(self) -> int:
        statement = self.scoped().with_only_columns(func.count())
        return int((await self.session.execute(statement)).scalar_one())


class DeliveryRepository(ScopedRepository[WebhookDelivery]):
    model = WebhookDelivery

    async def page(
        self,
        endpoint_id: uuid.UUID,
        *,
        status: WebhookDeliveryStatus | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[WebhookDelivery]:
        """Newest first, keyset-paginated on (created_at, id)."""
        statement = self.scoped().where(WebhookDelivery.endpoint_id == endpoint_id)
        if status is not None:
            statement = statement.where(WebhookDelivery.status == status)
        if after is not None:
            statement = statement.where(
                beyond(WebhookDelivery.created_at, WebhookDelivery.id, after, descending=True)
            )
        statement = statement.order_by(
            WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()
        ).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def latest_per_endpoint(
        self, endpoint_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, WebhookDelivery]:
        """Each endpoint's most recent delivery (one query, the endpoint/created index)."""
        if not endpoint_ids:
            return {}
        statement = (
            self.scoped()
            .where(WebhookDelivery.endpoint_id.in_(endpoint_ids))
            .ext(distinct_on(WebhookDelivery.endpoint_id))
            .order_by(WebhookDelivery.endpoint_id, WebhookDelivery.created_at.desc())
        )
        rows = (await self.session.execute(statement)).scalars()
        return {delivery.endpoint_id: delivery for delivery in rows}
