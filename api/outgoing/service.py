"""Endpoints (create, change, delete, secrets) and their delivery log; every change to an
endpoint, every secret rotation or reveal, and every re-send lands in the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.config import get_settings
from api.crypto import DecryptionError, SecretBox
from api.db import after_commit
from api.errors import Conflict, NotFound
from api.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from api.outgoing import addresses, store
from api.outgoing.catalog import PING, envelope, request_body
from api.outgoing.delivery import ENDPOINT_DISABLED
from api.outgoing.fanout import subscriptions
from api.outgoing.jobs import enqueue_delivery_after_commit
from api.outgoing.repository import DeliveryRepository, EndpointRepository
from api.outgoing.schemas import (
    DeliverySummary,
    WebhookDeliveryDetail,
    WebhookDeliveryOut,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookSecret,
)
from api.outgoing.signing import generate_secret, open_secret, seal_secret
from api.pagination import Page, decode_cursor, encode_cursor
from api.tenancy import TenantScope


def _label(url: str) -> str:
    """The URL for the audit log, without its query (which may carry a receiver's token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class WebhookEndpointService:
    def __init__(self, session: AsyncSession, scope: TenantScope, box: SecretBox) -> None:
        self.session = session
        self.scope = scope
        self.box = box
        self.endpoints = EndpointRepository(session, scope)
        self.deliveries = DeliveryRepository(session, scope)

    # -- endpoints --

    async def list(self) -> list[WebhookEndpointOut]:
        endpoints = await self.endpoints.list_all()
        latest = await self.deliveries.latest_per_endpoint([e.id for e in endpoints])
        return [self._out(endpoint, latest.get(endpoint.id)) for endpoint in endpoints]

    async def get(self, endpoint_id: uuid.UUID) -> WebhookEndpointOut:
        endpoint = await self._endpoint(endpoint_id)
        latest = await self.deliveries.latest_per_endpoint([endpoint.id])
        return self._out(endpoint, latest.get(endpoint.id))

    async def create(self, body: WebhookEndpointCreate) -> WebhookEndpointCreated:
        """Register an endpoint; the response carries its new signing secret."""
        settings = get_settings().outgoing_webhooks
        await addresses.check(body.url, settings)
        if await self.endpoints.count() >= settings.max_endpoints_per_tenant:
            raise Conflict(
                f"A workspace can have at most {settings.max_endpoints_per_tenant} webhook "
                "endpoints; delete one first.",
                code="too_many_endpoints",
            )
        now = datetime.now(UTC)
        endpoint = WebhookEndpoint(
            id=uuid.uuid4(),
            tenant_id=self.scope.tenant_id,
            url=body.url,
            description=body.description,
            events=[event.value for event in body.events],
            enabled=body.enabled,
            created_by_user_id=self.scope.user_id,
            created_at=now,
            updated_at=now,
        )
        secret = self._seal_new_secret(endpoint)
        self.session.add(endpoint)
        await self.session.flush()
        await self._audit(
            AuditAction.WEBHOOK_ENDPOINT_CREATED,
            endpoint,
            {"events": endpoint.events, "enabled": endpoint.enabled},
        )
        self._refresh_subscriptions()
        return WebhookEndpointCreated(**self._out(endpoint, None).model_dump(), secret=secret)

    async def change(
        self, endpoint_id: uuid.UUID, body: WebhookEndpointUpdate
    ) -> WebhookEndpointOut:
        """Change the URL, description, events or enabled flag. Disabling gives up on the
        endpoint's pending deliveries (failed, "endpoint disabled")."""
        endpoint = await self._endpoint(endpoint_id)
        changes: dict[str, Any] = {}
        if body.url is not None and body.url != endpoint.url:
            await addresses.check(body.url, get_settings().outgoing_webhooks)
            changes["url"] = {"from": _label(endpoint.url), "to": _label(body.url)}
            endpoint.url = body.url
        if "description" in body.model_fields_set and body.description != endpoint.description:
            changes["description"] = {"from": endpoint.description, "to": body.description}
            endpoint.description = body.description
        if body.events is not None:
            events = [event.value for event in body.events]
            if events != endpoint.events:
                changes["events"] = {"from": endpoint.events, "to": events}
                endpoint.events = events
        if body.enabled is not None and body.enabled != endpoint.enabled:
            changes["enabled"] = {"from": endpoint.enabled, "to": body.enabled}
            endpoint.enabled = body.enabled
            if not body.enabled:
                now = datetime.now(UTC)
                changes["abandoned_deliveries"] = await store.fail_pending(
                    self.session, endpoint.id, ENDPOINT_DISABLED, now
                )
        if changes:
            endpoint.updated_at = datetime.now(UTC)
            await self.session.flush()
            await self._audit(AuditAction.WEBHOOK_ENDPOINT_UPDATED, endpoint, changes)
            self._refresh_subscriptions()
        return await self.get(endpoint.id)

    async def remove(self, endpoint_id: uuid.UUID) -> None:
        """Delete the endpoint and its delivery log."""
        endpoint = await self._endpoint(endpoint_id)
        await self._audit(AuditAction.WEBHOOK_ENDPOINT_DELETED, endpoint, {})
        await self.session.delete(endpoint)
        await self.session.flush()
        self._refresh_subscriptions()

    async def rotate_secret(self, endpoint_id: uuid.UUID) -> WebhookSecret:
        """A new signing secret, in force at once (the next attempt is signed with it)."""
        endpoint = await self._endpoint(endpoint_id)
        secret = self._seal_new_secret(endpoint)
        endpoint.updated_at = datetime.now(UTC)
        await self._audit(AuditAction.WEBHOOK_ENDPOINT_SECRET_ROTATED, endpoint, {})
        return WebhookSecret(secret=secret)

    async def reveal_secret(self, endpoint_id: uuid.UUID) -> WebhookSecret:
        endpoint = await self._endpoint(endpoint_id)
        try:
            secret = open_secret(
                self.box, endpoint.id, endpoint.secret_key_id, endpoint.secret_ciphertext
            )
        except DecryptionError as exc:
            raise Conflict(
                "The signing secret cannot be decrypted (its encryption key is no longer "
                "configured); rotate the secret to get a new one.",
                code="secret_unreadable",
            ) from exc
        await self._audit(AuditAction.WEBHOOK_ENDPOINT_SECRET_REVEALED, endpoint, {})
        return WebhookSecret(secret=secret)

    # -- deliveries --

    async def list_deliveries(
        self,
        endpoint_id: uuid.UUID,
        *,
        status: WebhookDeliveryStatus | None,
        cursor: str | None,
        limit: int,
    ) -> Page[WebhookDeliveryOut]:
        endpoint = await self._endpoint(endpoint_id)
        after = decode_cursor(cursor) if cursor else None
        rows = await self.deliveries.page(endpoint.id, status=status, after=after, limit=limit + 1)
        items = [WebhookDeliveryOut.model_validate(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(last.created_at, last.id)
        return Page(items=items, next_cursor=next_cursor)

    async def get_delivery(self, delivery_id: uuid.UUID) -> WebhookDeliveryDetail:
        return self._detail(await self._delivery(delivery_id))

    async def resend(self, delivery_id: uuid.UUID) -> WebhookDeliveryDetail:
        """Send a delivery's event again, now, as a new delivery (same body, same event id)."""
        original = await self._delivery(delivery_id)
        endpoint = await self._endpoint(original.endpoint_id)
        self._require_enabled(endpoint)
        delivery = self._new_delivery(
            endpoint, original.event_id, original.event_type, original.payload
        )
        await self.session.flush()
        await self._audit(
            AuditAction.WEBHOOK_DELIVERY_RESENT,
            endpoint,
            {
                "delivery_id": str(original.id),
                "new_delivery_id": str(delivery.id),
                "event_type": original.event_type,
            },
        )
        return self._detail(delivery)

    async def send_test(self, endpoint_id: uuid.UUID) -> WebhookDeliveryDetail:
        """Send a `ping` event to the endpoint now."""
        endpoint = await self._endpoint(endpoint_id)
        self._require_enabled(endpoint)
        event_id, now = uuid.uuid4(), datetime.now(UTC)
        data = {"endpoint_id": str(endpoint.id), "message": "A test event from Parley."}
        payload = envelope(event_id, PING, now, self.scope.tenant_id, data)
        delivery = self._new_delivery(endpoint, event_id, PING, payload)
        await self.session.flush()
        return self._detail(delivery)

    # -- helpers --

    async def _endpoint(self, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        endpoint = await self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise NotFound("Webhook endpoint not found.")
        return endpoint

    async def _delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery:
        delivery = await self.deliveries.get(delivery_id)
        if delivery is None:
            raise NotFound("Webhook delivery not found.")
        return delivery

    def _require_enabled(self, endpoint: WebhookEndpoint) -> None:
        if not endpoint.enabled:
            raise Conflict(
                "The endpoint is disabled; enable it to send to it.", code="endpoint_disabled"
            )

    def _new_delivery(
        self,
        endpoint: WebhookEndpoint,
        event_id: uuid.UUID,
        event_type: str,
        payload: dict[str, Any],
    ) -> WebhookDelivery:
        now = datetime.now(UTC)
        delivery = WebhookDelivery(
            id=uuid.uuid4(),
            tenant_id=self.scope.tenant_id,
            endpoint_id=endpoint.id,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            status=WebhookDeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        self.session.add(delivery)
        enqueue_delivery_after_commit(self.session, delivery.id)
        return delivery

    def _seal_new_secret(self, endpoint: WebhookEndpoint) -> str:
        secret = generate_secret()
        sealed = seal_secret(self.box, endpoint.id, secret)
        endpoint.secret_key_id = sealed.key_id
        endpoint.secret_ciphertext = sealed.ciphertext
        return secret

    def _refresh_subscriptions(self) -> None:
        """This process sees the change at once; others within the cache's few seconds."""
        tenant_id = self.scope.tenant_id

        async def forget() -> None:
            subscriptions.forget(tenant_id)

        subscriptions.forget(tenant_id)
        after_commit(self.session, forget)

    async def _audit(
        self, action: AuditAction, endpoint: WebhookEndpoint, details: dict[str, Any]
    ) -> None:
        await record(
            self.session,
            self.scope,
            action,
            target=("webhook_endpoint", endpoint.id, _label(endpoint.url)),
            details=details,
        )

    def _out(self, endpoint: WebhookEndpoint, latest: WebhookDelivery | None) -> WebhookEndpointOut:
        out = WebhookEndpointOut.model_validate(endpoint)
        if latest is not None:
            out.last_delivery = DeliverySummary.model_validate(latest)
        return out

    def _detail(self, delivery: WebhookDelivery) -> WebhookDeliveryDetail:
        out = WebhookDeliveryOut.model_validate(delivery)
        return WebhookDeliveryDetail(
            **out.model_dump(),
            request_body=request_body(delivery.payload).decode(),
            response_body=delivery.response_body,
        )
