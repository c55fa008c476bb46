from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.deps import WebhooksScope
from api.deps import SecretBoxDep, SessionDep
from api.models import WebhookDeliveryStatus
from api.outgoing.schemas import (
    WebhookDeliveryDetail,
    WebhookDeliveryOut,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookSecret,
)
from api.outgoing.service import WebhookEndpointService
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["outgoing webhooks"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/webhook-endpoints")
async def list_webhook_endpoints(
    scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> Page[WebhookEndpointOut]:
    """The workspace's endpoints, each with its most recent delivery."""
    return Page(items=await WebhookEndpointService(session, scope, box).list())


@router.post("/webhook-endpoints", status_code=status.HTTP_201_CREATED)
async def create_webhook_endpoint(
    body: WebhookEndpointCreate, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> WebhookEndpointCreated:
    """Register an https:// endpoint for some events. The response carries the signing
    secret; each delivery's `Parley-Signature: t=<unix time>,v1=<hex>` is the HMAC-SHA256
    of f"{t}.{raw body}" with it (reject a `t` more than 5 minutes from your clock)."""
    return await WebhookEndpointService(session, scope, box).create(body)


@router.get("/webhook-endpoints/{endpoint_id}")
async def get_webhook_endpoint(
    endpoint_id: uuid.UUID, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> WebhookEndpointOut:
    return await WebhookEndpointService(session, scope, box).get(endpoint_id)


@router.patch("/webhook-endpoints/{endpoint_id}")
async def update_webhook_endpoint(
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    scope: WebhooksScope,
    session: SessionDep,
    box: SecretBoxDep,
) -> WebhookEndpointOut:
    """Change the URL, description, events or enabled flag (only the fields given).
    Disabling an endpoint gives up on its pending deliveries."""
    return await WebhookEndpointService(session, scope, box).change(endpoint_id, body)


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook_endpoint(
    endpoint_id: uuid.UUID, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> None:
    """Delete the endpoint and its delivery log."""
    await WebhookEndpointService(session, scope, box).remove(endpoint_id)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret")
async def rotate_webhook_secret(
    endpoint_id: uuid.UUID, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> WebhookSecret:
    """Replace the signing secret; deliveries are signed with the new one from now on."""
    return await WebhookEndpointService(session, scope, box).rotate_secret(endpoint_id)


@router.get("/webhook-endpoints/{endpoint_id}/secret")
async def reveal_webhook_secret(
    endpoint_id: uuid.UUID, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> WebhookSecret:
    """Show the signing secret (recorded in the audit log)."""
    return await WebhookEndpointService(session, scope, box).reveal_secret(endpoint_id)


@router.post("/webhook-endpoints/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED)
async def send_test_webhook(
    endpoint_id: uuid.UUID, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> WebhookDeliveryDetail:
    """Send a `ping` event to the endpoint now; its outcome shows in the delivery log."""
    return await WebhookEndpointService(session, scope, box).send_test(endpoint_id)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries")
async def list_webhook_deliveries(
    endpoint_id: uuid.UUID,
    scope: WebhooksScope,
    session: SessionDep,
    box: SecretBoxDep,
    status_filter: Annotated[WebhookDeliveryStatus | None, Query(alias="status")] = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[WebhookDeliveryOut]:
    """The endpoint's deliveries, newest first (optionally only one status)."""
    return await WebhookEndpointService(session, scope, box).list_deliveries(
        endpoint_id, status=status_filter, cursor=cursor, limit=limit
    )


@router.get("/webhook-deliveries/{delivery_id}")
async def get_webhook_delivery(
    delivery_id: uuid.UUID, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> WebhookDeliveryDetail:
    """One delivery with the exact body sent and the last answer (first 2 KB)."""
    return await WebhookEndpointService(session, scope, box).get_delivery(delivery_id)


@router.post("/webhook-deliveries/{delivery_id}/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_webhook_delivery(
    delivery_id: uuid.UUID, scope: WebhooksScope, session: SessionDep, box: SecretBoxDep
) -> WebhookDeliveryDetail:
    """Send the delivery's event again now, as a new delivery with the same body and
    event id (receivers de-duplicate on the body's `id`)."""
    return await WebhookEndpointService(session, scope, box).resend(delivery_id)
