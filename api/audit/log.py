"""Record security-relevant actions in the audit log, inside the caller's transaction.

    await audit.record(session, scope, AuditAction.MEMBER_ROLE_CHANGED,
                       target=("user", user.id, user.email), details={"from": "agent", "to": "admin"})

The row commits with the change it describes (a rolled-back change leaves no entry). For a
failure that rolls back (a wrong password) raise an `AppError` with `keep_changes = True`.
Actor, IP and user agent come from the scope and the request context. Never put a secret,
token or message body in `details`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.context import current_request
from api.models import AuditLog
from api.tenancy import TenantScope


class AuditAction(StrEnum):
    LOGIN_SUCCEEDED = "auth.login_succeeded"
    LOGIN_FAILED = "auth.login_failed"
    LOGIN_LOCKED = "auth.login_locked"
    REFRESH_REUSED = "auth.refresh_token_reused"
    TENANT_REGISTERED = "tenant.registered"
    INVITATION_CREATED = "team.invitation_created"
    INVITATION_REVOKED = "team.invitation_revoked"
    INVITATION_ACCEPTED = "team.invitation_accepted"
    MEMBER_ROLE_CHANGED = "team.role_changed"
    MEMBER_REMOVED = "team.member_removed"
    OWNERSHIP_TRANSFERRED = "team.ownership_transferred"
    CHANNEL_CONNECTED = "channel.connected"
    CHANNEL_DISCONNECTED = "channel.disconnected"
    CHANNEL_REAUTHORIZED = "channel.reauthorized"
    CHANNEL_UPDATED = "channel.updated"
    # Meta revoked the login a channel was connected through (deauthorize / data deletion).
    CHANNEL_TOKEN_REVOKED = "channel.token_revoked"  # noqa: S105
    # The daily token check found a channel's token dead or expired.
    CHANNEL_NEEDS_REAUTH = "channel.needs_reauth"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created"
    WEBHOOK_ENDPOINT_UPDATED = "webhook_endpoint.updated"
    WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint.deleted"
    WEBHOOK_ENDPOINT_SECRET_ROTATED = "webhook_endpoint.secret_rotated"  # noqa: S105
    WEBHOOK_ENDPOINT_SECRET_REVEALED = "webhook_endpoint.secret_revealed"  # noqa: S105
    WEBHOOK_DELIVERY_RESENT = "webhook_delivery.resent"
    EXPORT_REQUESTED = "data.export_requested"
    EXPORT_DOWNLOADED = "data.export_downloaded"
    CONVERSATION_DELETED = "conversation.deleted"
    CONVERSATION_RESTORED = "conversation.restored"
    CONTACT_DELETED = "contact.deleted"
    CONTACT_RESTORED = "contact.restored"
    TENANT_DELETION_REQUESTED = "tenant.deletion_requested"


Target = tuple[str, uuid.UUID | str | None, str | None]  # (type, id, label)


async def record(
    session: AsyncSession,
    scope: TenantScope | None,
    action: AuditAction,
    *,
    tenant_id: uuid.UUID | None = None,
    target: Target | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str | None = None,
    actor_user_id: uuid.UUID | None = None,
    system: bool = False,
) -> AuditLog:
    """Add one entry to the session. Without a scope (sign-in, a job) pass `tenant_id` and,
    where known, `actor_label`; the actor is then `anonymous` (or `system` outside a
    request). `system=True` marks a scope-less entry as the platform's own doing even
    inside a request (Meta's server-to-server callbacks)."""
    request = current_request()
    if scope is not None:
        tenant = scope.tenant_id
        actor_type = "api_key" if scope.api_key_id is not None else "user"
        label = actor_label or scope.actor_label
    else:
        if tenant_id is None:
            raise ValueError("an audit entry needs a tenant")
        tenant = tenant_id
        if actor_user_id is not None:
            actor_type = "user"
        elif system:
            actor_type = "system"
        else:
            actor_type = "anonymous" if request is not None else "system"
        label = actor_label
    target_type, target_id, target_label = target if target is not None else (None, None, None)
    entry = AuditLog(
        # The clock, not the transaction's start: entries of one request keep their order.
        created_at=datetime.now(UTC),
        tenant_id=tenant,
        action=action.value,
        actor_type=actor_type,
        actor_user_id=scope.user_id if scope is not None else actor_user_id,
        actor_api_key_id=scope.api_key_id if scope is not None else None,
        actor_label=label[:320] if label else None,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        target_label=target_label[:320] if target_label else None,
        ip=request.ip if request is not None else None,
        user_agent=request.user_agent if request is not None else None,
        details=details or {},
    )
    session.add(entry)
    return entry
