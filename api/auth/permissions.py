"""The one permission table: what each role may do.

Every route under `/api` either names exactly one `Permission` (through the scope aliases
in `api.auth.deps`) or is listed in `PUBLIC_ROUTES`; `tests/api/security/test_role_matrix.py`
walks the app's routes and checks every route and every role against this table. The SPA
reads the caller's permissions from `GET /api/auth/me` and hides or disables what is not
allowed, so the table here is the single source for both.
"""

from __future__ import annotations

from enum import StrEnum

from api.models import Role


class Permission(StrEnum):
    # Read the workspace: conversations, messages, channels, templates, team, saved replies.
    WORKSPACE_READ = "workspace:read"
    # Work conversations: reply, notes, status, assignment, labels, reactions, uploads.
    CONVERSATIONS_WRITE = "conversations:write"
    # Manage the team's saved replies.
    SAVED_REPLIES_MANAGE = "saved_replies:manage"
    # Delete (soft) and restore conversations and contacts.
    CONVERSATIONS_DELETE = "conversations:delete"
    # Connect, rename, re-authorise and disconnect channels; sync templates.
    CHANNELS_MANAGE = "channels:manage"
    # Webhook event log, replays and per-channel delivery health.
    OPERATIONS_MANAGE = "operations:manage"
    # Invite, change roles, remove members (granting or touching `owner` needs TENANT_OWN).
    TEAM_MANAGE = "team:manage"
    # Create, list and revoke API keys.
    API_KEYS_MANAGE = "api_keys:manage"
    # Outgoing webhook endpoints and their delivery log.
    WEBHOOKS_MANAGE = "webhooks:manage"
    # Read the audit log.
    AUDIT_READ = "audit:read"
    # Read the reports: traffic, delivery and read rates, failures, webhooks, token expiry.
    REPORTS_READ = "reports:read"
    # Export the tenant's data.
    TENANT_EXPORT = "tenant:export"
    # Own the tenant: grant/revoke the owner role, transfer ownership, delete the tenant.
    TENANT_OWN = "tenant:own"


_VIEWER = frozenset({Permission.WORKSPACE_READ})
_AGENT = _VIEWER | {Permission.CONVERSATIONS_WRITE, Permission.SAVED_REPLIES_MANAGE}
_ADMIN = _AGENT | {
    Permission.CONVERSATIONS_DELETE,
    Permission.CHANNELS_MANAGE,
    Permission.OPERATIONS_MANAGE,
    Permission.TEAM_MANAGE,
    Permission.API_KEYS_MANAGE,
    Permission.WEBHOOKS_MANAGE,
    Permission.AUDIT_READ,
    Permission.REPORTS_READ,
}
_OWNER = _ADMIN | {Permission.TENANT_EXPORT, Permission.TENANT_OWN}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.AGENT: _AGENT,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}

# Roles an API key may carry: never owner (a leaked key must not be able to delete the
# tenant or take it over).
API_KEY_ROLES = frozenset({Role.ADMIN, Role.AGENT, Role.VIEWER})


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def permissions_of(role: Role) -> list[Permission]:
    return sorted(ROLE_PERMISSIONS[role], key=list(Permission).index)


# Routes anyone may call (method, path template): sign-up/sign-in, Meta's callbacks and
# webhooks (signed by Meta), invitations (the token is the credential), health, legal pages.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/refresh"),
        ("GET", "/api/healthz"),
        ("GET", "/api/readyz"),
        ("GET", "/api/webhooks/meta"),
        ("POST", "/api/webhooks/meta"),
        ("GET", "/api/meta/callback"),
        ("POST", "/api/meta/deauthorize"),
        ("POST", "/api/meta/data-deletion"),
        ("GET", "/api/meta/data-deletion/{code}"),
        ("GET", "/api/invitations/{token}"),
        ("POST", "/api/invitations/{token}/accept"),
        ("GET", "/api/legal/{page}"),
    }
)
