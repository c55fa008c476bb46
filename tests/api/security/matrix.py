"""What the security matrices share: the app's routes with the permission each one checks, a
"world" of one of every resource per tenant, request bodies read off the OpenAPI schema, and
calls whose effects are rolled back so every call sees the same world.

The matrices are generated from `create_app()`'s routes, so a new route is covered without
touching them. A new path parameter needs a factory: add a `@resource` function below (or a
line to an existing one) that creates the row and `world.provide("<param>", row.id)`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import respx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from api.auth.apikeys import generate_key
from api.auth.deps import permission_of
from api.auth.permissions import API_KEY_ROLES, PUBLIC_ROUTES, Permission
from api.auth.tokens import create_access_token
from api.config import get_settings
from api.crypto import get_secret_box
from api.models import (
    ApiKey,
    Attachment,
    AttachmentState,
    AuditLog,
    Channel,
    ChannelKind,
    Contact,
    Conversation,
    Invitation,
    Message,
    MessageDirection,
    MessageStatus,
    MessageTemplate,
    MetaAccount,
    Role,
    SavedReply,
    TenantExport,
    TenantExportStatus,
    Upload,
    User,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventRoute,
    WebhookEventStatus,
    WhatsAppBusinessAccount,
)
from api.models.base import Base
from api.outgoing.signing import seal_secret
from api.vault import seal_token
from tests.helpers import Account, create_account

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


# --- routes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    # Every distinct permission found in the route's dependency tree (a valid route has one).
    permissions: frozenset[Permission]
    path_params: tuple[str, ...]
    operation: Mapping[str, Any] | None  # its OpenAPI operation (None if not in the schema)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        return (self.method, self.path) in PUBLIC_ROUTES

    @property
    def permission(self) -> Permission:
        assert len(self.permissions) == 1, f"{self}: permissions {sorted(self.permissions)}"
        return next(iter(self.permissions))

    def url(self, ids: Mapping[str, str]) -> str:
        return PATH_PARAM.sub(lambda match: ids[match.group(1)], self.path)


def _permissions(dependant: Dependant) -> Iterator[Permission]:
    permission = permission_of(dependant.call)
    if permission is not None:
        yield permission
    for sub in dependant.dependencies:
        yield from _permissions(sub)


def api_routes(app: FastAPI) -> list[Route]:
    """Every (method, path) under /api, with its permission(s) and OpenAPI operation."""
    paths: dict[str, dict[str, Any]] = app.openapi().get("paths", {})
    routes = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if not isinstance(context.original_route, APIRoute) or not path.startswith("/api/"):
            continue
        permissions = frozenset(_permissions(context.dependant))
        for method in sorted(set(context.methods or ()) & set(METHODS)):
            operation = paths.get(path, {}).get(method.lower())
            params = tuple(PATH_PARAM.findall(path))
            routes.append(Route(method, path, permissions, params, operation))
    return routes


def permission_table_problems(routes: list[Route]) -> list[str]:
    """Routes that do not name exactly one permission (or are not public), and public
    routes that name one, or that no longer exist."""
    problems = []
    for route in routes:
        if route.public and route.permissions:
            problems.append(f"{route}: listed in PUBLIC_ROUTES but checks {_names(route)}")
        elif not route.public and len(route.permissions) != 1:
            found = _names(route) or "no permission"
            problems.append(
                f"{route}: checks {found}; take exactly one scope alias from api.auth.deps "
                "(or list the route in PUBLIC_ROUTES)"
            )
    existing = {(route.method, route.path) for route in routes}
    for method, path in sorted(PUBLIC_ROUTES - existing):
        problems.append(f"PUBLIC_ROUTES names {method} {path}, which no route serves")
    return problems


def _names(route: Route) -> str:
    return ", ".join(sorted(p.value for p in route.permissions))


# --- the world: one of every resource per tenant ------------------------------------------


@dataclass(frozen=True)
class Principal:
    label: str
    role: Role
    headers: dict[str, str]


@dataclass
class World:
    """One tenant with one of every resource. `ids` maps a path parameter (or a body/query
    field naming a resource) to this tenant's value; `markers` are strings only this tenant's
    data contains (every name and text carries `tag`), scanned for in other tenants'
    responses."""

    client: httpx.AsyncClient
    session: AsyncSession
    tag: str
    owner: Account
    ids: dict[str, str] = field(default_factory=dict)
    # Parameters that name a row of this tenant (another tenant's answer must be 404);
    # the others are Meta's own ids or public tokens.
    owned: set[str] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)
    principals: list[Principal] = field(default_factory=list)
    rows: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.owner.tenant_id

    def provide(self, *params: str, value: object, owned: bool = True) -> None:
        for param in params:
            self.ids[param] = str(value)
            if owned:
                self.owned.add(param)

    def name(self, what: str) -> str:
        return f"{what} {self.tag}"

    def ids_for(self, path: str) -> dict[str, str]:
        """The ids to call `path` with: routes that act on a resource in a given state
        (restore a trashed one, retry a failed one) get one in that state."""
        ids = dict(self.ids)
        for suffix, swaps in STATE_IDS.items():
            if path.endswith(suffix):
                ids.update({param: self.ids[source] for param, source in swaps.items()})
        return ids

    async def add(self, **rows: Base) -> None:
        """Insert rows (committed into the test's transaction) and remember them by name;
        every row's id becomes a marker."""
        self.session.add_all(rows.values())
        await self.session.commit()
        for name, row in rows.items():
            self.rows[name] = row
            self.markers.add(str(row.id))  # type: ignore[attr-defined]


# Route suffix -> {path parameter: the `ids` entry to use instead}.
STATE_IDS: dict[str, dict[str, str]] = {
    "/restore": {"conversation_id": "trashed_conversation_id", "contact_id": "trashed_contact_id"},
    "/retry": {"message_id": "failed_message_id"},
}

Resource = Callable[[World], Awaitable[None]]
RESOURCES: list[Resource] = []


def resource(factory: Resource) -> Resource:
    """Register a factory; `build_world` runs them in the order they are defined."""
    RESOURCES.append(factory)
    return factory


def numeric_id() -> str:
    return str(uuid.uuid4().int)[:15]


async def build_world(client: httpx.AsyncClient, session: AsyncSession, label: str) -> World:
    tag = f"{label}{uuid.uuid4().hex[:10]}"
    owner = await create_account(client, tenant_name=f"Tenant {tag}")
    world = World(client=client, session=session, tag=tag, owner=owner)
    world.principals.append(Principal("owner (user)", Role.OWNER, owner.headers))
    world.markers |= {tag, str(owner.tenant_id), str(owner.user_id), owner.email}
    for factory in RESOURCES:
        await factory(world)
    return world


@resource
async def team(world: World) -> None:
    users = {
        role: User(
            tenant_id=world.tenant_id,
            email=f"{role.value}-{world.tag}@example.com",
            name=world.name(role.value.title()),
            password_hash="unused: these users call with a minted token",
            role=role,
        )
        for role in (Role.ADMIN, Role.AGENT, Role.VIEWER)
    }
    await world.add(**{role.value: user for role, user in users.items()})
    for role, user in users.items():
        token = create_access_token(
            get_settings().auth, user_id=user.id, tenant_id=world.tenant_id, role=role
        )
        headers = {"Authorization": f"Bearer {token}"}
        world.principals.append(Principal(f"{role.value} (user)", role, headers))
    world.provide("member_id", "user_id", value=users[Role.VIEWER].id)
    world.provide("assignee_id", value=users[Role.AGENT].id)
    world.provide("actor_user_id", value=world.owner.user_id)


@resource
async def api_keys(world: World) -> None:
    keys = {}
    for role in sorted(API_KEY_ROLES, key=list(Role).index):
        new = generate_key()
        keys[f"{role.value}_key"] = ApiKey(
            tenant_id=world.tenant_id,
            name=world.name(f"{role.value} key"),
            prefix=new.prefix,
            secret_hash=new.secret_hash,
            role=role,
        )
        world.principals.append(
            Principal(f"{role.value} (API key)", role, {"Authorization": f"Bearer {new.token}"})
        )
        world.markers.add(new.prefix)
    # The key the routes act on (revoke...), not one the matrix calls with.
    target = generate_key()
    keys["integration_key"] = ApiKey(
        tenant_id=world.tenant_id,
        name=world.name("Integration"),
        prefix=target.prefix,
        secret_hash=target.secret_hash,
        role=Role.AGENT,
        created_by_user_id=world.owner.user_id,
    )
    world.markers.add(target.prefix)
    await world.add(**keys)
    world.provide("key_id", "api_key_id", value=keys["integration_key"].id)


@resource
async def meta_account_and_channels(world: World) -> None:
    box = get_secret_box()
    account = MetaAccount(
        tenant_id=world.tenant_id,
        fb_user_id=numeric_id(),
        name=world.name("Facebook user"),
        scopes=["pages_messaging", "whatsapp_business_messaging"],
        granular_scopes={},
    )
    seal_token(box, account, f"user-token-{world.tag}")
    await world.add(meta_account=account)
    messenger = Channel(
        tenant_id=world.tenant_id,
        kind=ChannelKind.MESSENGER,
        external_id=numeric_id(),
        name=world.name("Page"),
        meta_account_id=account.id,
    )
    waba = WhatsAppBusinessAccount(
        tenant_id=world.tenant_id,
        meta_account_id=account.id,
        business_id=numeric_id(),
        waba_id=numeric_id(),
        name=world.name("WABA"),
    )
    whatsapp = Channel(
        tenant_id=world.tenant_id,
        kind=ChannelKind.WHATSAPP,
        external_id=numeric_id(),
        name=world.name("WhatsApp"),
        display_phone_number="+1 555-010-0199",
        waba_id=waba.waba_id,
        meta_account_id=account.id,
    )
    seal_token(box, messenger, f"page-token-{world.tag}")
    seal_token(box, whatsapp, f"wa-token-{world.tag}")
    await world.add(messenger=messenger, waba=waba, whatsapp=whatsapp)
    world.markers |= {account.fb_user_id, messenger.external_id, whatsapp.external_id}
    world.markers |= {waba.waba_id, str(waba.business_id)}
    world.provide("account_id", "meta_account_id", value=account.id)
    world.provide("channel_id", value=messenger.id)
    world.provide("whatsapp_channel_id", value=whatsapp.id)
    world.provide("waba_id", value=waba.waba_id, owned=False)
    world.provide("business_id", value=waba.business_id, owned=False)


def _thread(world: World, channel: Channel, *, deleted: bool) -> dict[str, Base]:
    now = datetime.now(UTC)
    contact = Contact(
        id=uuid.uuid4(),
        tenant_id=world.tenant_id,
        channel_id=channel.id,
        external_id=numeric_id(),
        name=world.name("Customer"),
        deleted_at=now if deleted else None,
    )
    conversation = Conversation(
        id=uuid.uuid4(),
        tenant_id=world.tenant_id,
        channel_id=channel.id,
        contact_id=contact.id,
        last_message_at=now,
        last_inbound_at=now,
        last_message_preview=world.name("Hello from"),
        labels=[f"label-{world.tag}"],
        unread_count=1,
        deleted_at=now if deleted else None,
    )
    return {"contact": contact, "conversation": conversation}


def _message(world: World, conversation: Conversation, direction: MessageDirection) -> Message:
    note = direction == MessageDirection.NOTE
    outbound = direction == MessageDirection.OUTBOUND
    now = datetime.now(UTC)
    return Message(
        id=uuid.uuid4(),
        tenant_id=world.tenant_id,
        conversation_id=conversation.id,
        channel_id=conversation.channel_id,
        direction=direction,
        type="text",
        text=world.name(f"{direction.value} text"),
        external_id=None if note else f"m_{world.tag}_{uuid.uuid4().hex[:8]}",
        status=MessageStatus.SENT if outbound else MessageStatus.RECEIVED,
        author_user_id=None if direction == MessageDirection.INBOUND else world.owner.user_id,
        provider_timestamp=now,
        sort_at=now,
    )


@resource
async def conversations(world: World) -> None:
    live = _thread(world, world.rows["messenger"], deleted=False)
    trashed = _thread(world, world.rows["whatsapp"], deleted=True)
    await world.add(
        **live,
        trashed_contact=trashed["contact"],
        trashed_conversation=trashed["conversation"],
    )
    conversation = world.rows["conversation"]
    inbound = _message(world, conversation, MessageDirection.INBOUND)
    outbound = _message(world, conversation, MessageDirection.OUTBOUND)
    note = _message(world, conversation, MessageDirection.NOTE)
    failed = _message(world, conversation, MessageDirection.OUTBOUND)
    failed.status, failed.external_id = MessageStatus.FAILED, None
    failed.error_code, failed.error_reason = "131026", world.name("Undeliverable to")
    await world.add(inbound=inbound, outbound=outbound, note=note, failed=failed)
    attachment = Attachment(
        tenant_id=world.tenant_id,
        message_id=inbound.id,
        kind="image",
        mime_type="image/png",
        size=1024,
        filename=f"photo-{world.tag}.png",
        storage_key=f"attachments/{world.tenant_id}/{uuid.uuid4()}.png",
        state=AttachmentState.STORED,
    )
    await world.add(attachment=attachment)
    world.markers |= {world.rows["contact"].external_id, world.rows["trashed_contact"].external_id}
    world.markers |= {str(inbound.external_id), str(outbound.external_id)}
    world.provide("conversation_id", value=conversation.id)
    world.provide("contact_id", value=world.rows["contact"].id)
    world.provide("message_id", value=inbound.id)
    world.provide("note_id", value=note.id)
    world.provide("failed_message_id", value=failed.id)
    world.provide("trashed_conversation_id", value=world.rows["trashed_conversation"].id)
    world.provide("trashed_contact_id", value=world.rows["trashed_contact"].id)
    world.provide("attachment_id", value=attachment.id)


@resource
async def workspace_content(world: World) -> None:
    reply = SavedReply(
        tenant_id=world.tenant_id,
        shortcut=f"s{uuid.uuid4().hex[:8]}",
        title=world.name("Saved reply"),
        text=world.name("Thanks for writing to"),
        created_by_user_id=world.owner.user_id,
    )
    template = MessageTemplate(
        tenant_id=world.tenant_id,
        waba_id=world.rows["waba"].waba_id,
        external_id=numeric_id(),
        name=f"tpl_{world.tag}",
        language="en_US",
        category="UTILITY",
        status="APPROVED",
        components=[{"type": "BODY", "text": world.name("Your order is ready,")}],
        parameter_format="POSITIONAL",
    )
    upload = Upload(
        tenant_id=world.tenant_id,
        uploader_user_id=world.owner.user_id,
        storage_key=f"uploads/{world.tenant_id}/{uuid.uuid4()}",
        filename=f"file-{world.tag}.pdf",
        content_type="application/pdf",
        size=2048,
    )
    await world.add(saved_reply=reply, template=template, upload=upload)
    world.markers |= {reply.shortcut, str(template.external_id)}
    world.provide("reply_id", "saved_reply_id", value=reply.id)
    world.provide("template_id", value=template.id)
    world.provide("upload_id", value=upload.id)


@resource
async def meta_webhook_event(world: World) -> None:
    """A delivery from Meta, routed to this tenant's page."""
    page_id = world.rows["messenger"].external_id
    body = {"object": "page", "entry": [{"id": page_id, "tag": world.tag}]}
    event = WebhookEvent(
        dedup_key=f"test:{uuid.uuid4()}",
        object="page",
        channel_keys=[page_id],
        raw_body=json.dumps(body).encode(),
        status=WebhookEventStatus.PROCESSED,
        attempts=1,
        result=world.name("1 message for"),
        received_at=datetime.now(UTC),
        processed_at=datetime.now(UTC),
    )
    await world.add(webhook_event=event)
    route = WebhookEventRoute(
        event_id=event.id, channel_id=world.rows["messenger"].id, tenant_id=world.tenant_id
    )
    world.session.add(route)
    await world.session.commit()
    world.provide("event_id", value=event.id)


@resource
async def invitation(world: World) -> None:
    token = f"invite-{uuid.uuid4().hex}"
    row = Invitation(
        tenant_id=world.tenant_id,
        email=f"invitee-{world.tag}@example.com",
        role=Role.AGENT,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        invited_by_user_id=world.owner.user_id,
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    await world.add(invitation=row)
    world.provide("invitation_id", value=row.id)
    world.provide("token", value=token, owned=False)


@resource
async def outgoing_webhooks(world: World) -> None:
    endpoint_id = uuid.uuid4()
    sealed = seal_secret(get_secret_box(), endpoint_id, f"whsec_{world.tag}")
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        tenant_id=world.tenant_id,
        url=f"https://hooks.example.com/{world.tag}",
        description=world.name("Endpoint"),
        events=["message.created", "conversation.updated"],
        secret_ciphertext=sealed.ciphertext,
        secret_key_id=sealed.key_id,
        created_by_user_id=world.owner.user_id,
    )
    await world.add(webhook_endpoint=endpoint)
    delivery = WebhookDelivery(
        tenant_id=world.tenant_id,
        endpoint_id=endpoint.id,
        event_id=uuid.uuid4(),
        event_type="message.created",
        payload={"type": "message.created", "data": {"text": world.name("delivered")}},
        status=WebhookDeliveryStatus.FAILED,
        attempts=1,
        last_attempt_at=datetime.now(UTC),
        response_status=500,
        response_body=world.name("receiver said"),
        error="HTTP 500",
        duration_ms=12,
    )
    await world.add(webhook_delivery=delivery)
    world.markers.add(str(delivery.event_id))
    world.provide("endpoint_id", "webhook_endpoint_id", value=endpoint.id)
    world.provide("delivery_id", value=delivery.id)


@resource
async def audit_and_exports(world: World) -> None:
    entry = AuditLog(
        tenant_id=world.tenant_id,
        action="api_key.created",
        actor_type="user",
        actor_user_id=world.owner.user_id,
        actor_label=world.owner.email,
        target_type="api_key",
        target_id=world.ids["key_id"],
        target_label=world.name("Integration"),
        ip="203.0.113.9",
        user_agent=world.name("agent"),
        details={"role": "agent"},
    )
    export = TenantExport(
        tenant_id=world.tenant_id,
        requested_by_user_id=world.owner.user_id,
        status=TenantExportStatus.SUCCEEDED,
        progress=100,
        storage_key=f"exports/{world.tenant_id}/{uuid.uuid4()}.json.gz",
        size_bytes=4096,
        finished_at=datetime.now(UTC),
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    await world.add(audit_entry=entry, export=export)
    world.provide("audit_log_id", "entry_id", value=entry.id)
    world.provide("export_id", value=export.id)


def missing_params(routes: list[Route], world: World) -> list[str]:
    """Path parameters no factory provides, as a readable list for the failure message."""
    return sorted(
        f"{{{param}}} in {route}"
        for route in routes
        for param in route.path_params
        if param not in world.ids
    )


MISSING_FACTORY = (
    "No factory knows these path parameters: {missing}. Add a @resource in "
    "tests/api/security/matrix.py that creates the row and calls "
    'world.provide("<param>", value=row.id).'
)


# --- requests -----------------------------------------------------------------------------

EXPIRED_TOKEN = {
    "error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}
}


def refuse_graph(graph: respx.MockRouter) -> None:
    """Meta answers every Graph call "token expired": routes that reach it answer their
    documented refusal, and no request leaves the machine."""
    graph.route().respond(400, json=EXPIRED_TOKEN)


# Bodies that the schema alone cannot make valid (a model validator wants one of several
# optional fields, a field is checked by code), or that should name resources nested in
# optional fields: merged over the generated body, by route. A string "{param}" is replaced
# by that id (the tenant's own, or the other tenant's in the isolation matrix's probes).
BODY_EXAMPLES: dict[str, dict[str, Any]] = {
    "PATCH /api/channels/{channel_id}": {"name": "Renamed"},
    "PATCH /api/inbox/saved-replies/{reply_id}": {"title": "Renamed"},
    "POST /api/inbox/conversations/{conversation_id}/messages": {
        "text": "Hello",
        "attachment": {"upload_id": "{upload_id}"},
    },
    "POST /api/inbox/conversations": {
        "channel_id": "{whatsapp_channel_id}",
        "phone": "+1 555 010 0199",
        "template": {"template_id": "{template_id}"},
    },
    "POST /api/inbox/messages/{message_id}/reactions": {"emoji": "\N{THUMBS UP SIGN}"},
}
PLACEHOLDER = re.compile(r"^\{(\w+)\}$")

# Tried in turn for a string with a `pattern`.
PATTERN_SAMPLES = ("1", "x", "abc", "a1", "+15550100199", "en_US")


class BodyExample:
    """A small valid JSON value for a schema in the OpenAPI document: required properties
    only, plus any property named like a resource (`channel_id`, `assignee_id`, `*_ids`),
    filled from `ids`, so that requests reach the handler and name the resources we chose."""

    def __init__(self, spec: Mapping[str, Any], ids: Mapping[str, str]) -> None:
        self.spec = spec
        self.ids = ids
        self.fields: set[str] = set()  # which of `ids` it put in
        self.body: Any = None

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def value(self, schema: Mapping[str, Any], depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if schema.get("examples"):
            return schema["examples"][0]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self.resolve(o) for o in schema[key]]
                return self.value(next((o for o in options if o.get("type") != "null"), {}), depth)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], depth)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self.object(schema, depth)
        if kind == "array":
            item = self.value(schema.get("items", {}), depth + 1)
            return [item] * max(schema.get("minItems", 1), 1)
        if kind in ("integer", "number"):
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
            return int(low) if kind == "integer" else float(low)
        if kind == "boolean":
            return False
        if kind == "string":
            return self.string(schema)
        return None

    def object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties", {})
        result: dict[str, Any] = {}
        for name, sub in properties.items():
            id_ = self.id_for(name)
            if id_ is not None:
                result[name] = [id_] if name.endswith("_ids") else id_
            elif name in schema.get("required", ()) and depth < 6:
                result[name] = self.value(sub, depth + 1)
        return result

    def fill(self, value: Any) -> Any:
        """`value` with every "{param}" string replaced by that id."""
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        match = PLACEHOLDER.match(value) if isinstance(value, str) else None
        if match is None:
            return value
        self.fields.add(match.group(1))
        return self.ids[match.group(1)]

    def id_for(self, name: str) -> str | None:
        key = name[:-1] if name.endswith("_ids") else name
        if key in self.ids:
            self.fields.add(key)
            return self.ids[key]
        return None

    @staticmethod
    def string(schema: Mapping[str, Any]) -> str:
        samples = {
            "uuid": str(uuid.uuid4()),
            "email": "someone@example.com",
            "date-time": datetime.now(UTC).isoformat(),
            "uri": "https://example.com/receiver",
        }
        fmt = str(schema.get("format"))
        if fmt in samples:
            return samples[fmt]
        if "pattern" in schema:
            pattern = re.compile(schema["pattern"])
            return next((x for x in PATTERN_SAMPLES if pattern.search(x)), PATTERN_SAMPLES[0])
        length = max(int(schema.get("minLength", 1)), 1)
        return "x" * min(length, int(schema.get("maxLength", length)))


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    headers: dict[str, str]
    json: Any = None
    params: dict[str, str] | None = None


def request_body(route: Route, spec: Mapping[str, Any], ids: Mapping[str, str]) -> BodyExample:
    """A valid body for `route` (see `BodyExample`), naming the resources in `ids`."""
    example = BodyExample(spec, ids)
    schema = request_body_schema(route)
    if schema is not None:
        example.body = example.value(schema)
        if isinstance(example.body, dict):
            example.body.update(example.fill(BODY_EXAMPLES.get(str(route), {})))
        # Only the ids that are still in the body after the examples were merged.
        sent = json.dumps(example.body)
        example.fields = {name for name in example.fields if example.ids[name] in sent}
    return example


def request_body_schema(route: Route) -> Mapping[str, Any] | None:
    if route.operation is None or "requestBody" not in route.operation:
        return None
    content = route.operation["requestBody"].get("content", {})
    media = content.get("application/json")
    return None if media is None else media.get("schema", {})


def query_id_params(route: Route, ids: Mapping[str, str]) -> dict[str, str]:
    """Query parameters named like a resource, filled from `ids`."""
    parameters = route.operation.get("parameters", []) if route.operation else []
    return {
        p["name"]: ids[p["name"]] for p in parameters if p["in"] == "query" and p["name"] in ids
    }


class Caller:
    """Sends requests whose database effects are rolled back afterwards (a savepoint around
    each call), so a DELETE of the tenant or a revoked key does not change what the next call
    sees. Redis (rate-limit buckets) is emptied before each call for the same reason."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Any,
    ) -> None:
        bind = sessionmaker.kw.get("bind")
        assert isinstance(bind, AsyncConnection), "needs the per-test transaction's connection"
        self.client = client
        self.connection = bind
        self.redis = redis
        self.count = 0

    async def __call__(self, call: Call) -> httpx.Response:
        return await self.send(
            call.method, call.url, headers=call.headers, json=call.json, params=call.params
        )

    async def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        await self.redis.flushdb()
        savepoint = await self.connection.begin_nested()
        try:
            self.count += 1
            return await self.client.request(method, url, **kwargs)
        finally:
            if savepoint.is_active:
                await savepoint.rollback()


def leaks(response: httpx.Response, markers: set[str], sent: set[str]) -> list[str]:
    """Which of another tenant's markers the response carries (its body or headers), leaving
    out what the caller sent itself (a 404 may echo the id it was asked for)."""
    text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return sorted(marker for marker in markers - sent if marker in text)
