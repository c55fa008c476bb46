"""A fake of the Graph API calls `MetaClient` makes, served through respx.

Shapes follow meta-platform.md §2 (OAuth, debug_token, page tokens), §4.1 (page
subscribed_apps) and §5.1 (businesses → WABAs → phone numbers). The data lives in plain
dataclasses that a test tweaks before exercising the API (another app id, a missing
scope, a page two Facebook users manage, a failing call...). Every call is recorded.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx

from api.config import get_settings

GRAPH_VERSION = "v25.0"
GRAPH_URL = f"https://graph.test/{GRAPH_VERSION}"
LONG_LIVED_SECONDS = 5_184_000  # ~60 days
ALL_SCOPES = (
    "pages_show_list",
    "pages_manage_metadata",
    "pages_messaging",
    "pages_read_engagement",
    "business_management",
    "whatsapp_business_management",
    "whatsapp_business_messaging",
)
PAGE_TASKS = ("ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE")
PAGE_SCOPES = ("pages_show_list", "pages_manage_metadata", "pages_messaging")
WABA_SCOPES = ("whatsapp_business_management", "whatsapp_business_messaging")

Handler = Callable[[httpx.Request, "re.Match[str]"], httpx.Response]


def graph_error(
    code: int,
    message: str = "An error occurred",
    *,
    status: int = 400,
    subcode: int | None = None,
    transient: bool = False,
) -> httpx.Response:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AfakeTrace123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return httpx.Response(status, json={"error": error})


def invalid_token() -> httpx.Response:
    return graph_error(190, "Invalid OAuth access token - Cannot parse access token")


@dataclass
class FakePage:
    id: str
    name: str
    access_token: str
    category: str = "Shopping & Retail"
    tasks: list[str] = field(default_factory=lambda: list(PAGE_TASKS))


@dataclass
class FakeNumber:
    id: str
    display_phone_number: str
    verified_name: str
    quality_rating: str = "GREEN"
    status: str = "CONNECTED"
    code_verification_status: str = "VERIFIED"


@dataclass
class FakeWaba:
    id: str
    name: str
    numbers: list[FakeNumber] = field(default_factory=list)


@dataclass
class FakeBusiness:
    id: str
    name: str
    owned: list[FakeWaba] = field(default_factory=list)
    client: list[FakeWaba] = field(default_factory=list)


@dataclass
class FakeUser:
    """A Facebook user (app-scoped id) with what their login grants."""

    id: str
    name: str
    code: str  # Facebook Login dialog → this code → short-lived token
    short_token: str
    long_token: str
    business_code: str = ""  # Embedded Signup code → business integration token
    business_token: str = ""
    pages: list[FakePage] = field(default_factory=list)
    businesses: list[FakeBusiness] = field(default_factory=list)
    app_id: str = ""  # "" → our app
    scopes: list[str] = field(default_factory=lambda: list(ALL_SCOPES))
    # None → derived from the pages, WABAs and businesses above (what Meta does).
    granular_scopes: dict[str, list[str]] | None = None
    is_valid: bool = True
    expires_in: int = LONG_LIVED_SECONDS

    def wabas(self) -> list[FakeWaba]:
        return [w for b in self.businesses for w in (*b.owned, *b.client)]


@dataclass(frozen=True)
class GraphCall:
    method: str
    path: str
    params: dict[str, str]
    token: str | None  # from the Authorization header
    url: str
    body: bytes


def _params(request: httpx.Request) -> dict[str, str]:
    """Query parameters plus a form body's fields (the OAuth exchanges post a form)."""
    params = dict(request.url.params)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        params.update(httpx.QueryParams(request.content.decode()))
    return params


@dataclass(frozen=True)
class _Grant:
    user: FakeUser
    kind: str  # short | long | business | page
    page_id: str | None = None


class FakeMeta:
    def __init__(self) -> None:
        settings = get_settings()
        self.app_id = settings.meta.app_id
        self.app_secret = settings.meta.app_secret
        self.redirect_uri = f"{settings.public_base_url.rstrip('/')}/api/meta/callback"
        self.users: list[FakeUser] = []
        self.calls: list[GraphCall] = []
        self.failures: dict[tuple[str, str], httpx.Response] = {}
        self.revoked: set[str] = set()  # tokens Meta no longer accepts
        self.token_info: dict[str, dict[str, Any]] = {}  # debug_token overrides per token
        self.page_subscriptions: dict[str, list[str]] = {}
        self.waba_subscriptions: set[str] = set()
        self.page_size = 100
        self.extra: list[tuple[str, re.Pattern[str], Handler]] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("POST", re.compile(r"oauth/access_token"), self._oauth),
            ("GET", re.compile(r"debug_token"), self._debug_token),
            ("GET", re.compile(r"me"), self._me),
            ("GET", re.compile(r"me/accounts"), self._accounts),
            ("GET", re.compile(r"me/businesses"), self._businesses),
            ("POST", re.compile(r"(\d+)/subscribed_apps"), self._subscribe),
            ("DELETE", re.compile(r"(\d+)/subscribed_apps"), self._unsubscribe),
            (
                "GET",
                re.compile(r"(\d+)/(owned|client)_whatsapp_business_accounts"),
                self._wabas,
            ),
            ("GET", re.compile(r"(\d+)/phone_numbers"), self._numbers),
        ]

    # --- set-up ------------------------------------------------------------------

    def add_user(self, user: FakeUser) -> FakeUser:
        self.users.append(user)
        return user

    def fail(self, method: str, path: str, response: httpx.Response) -> None:
        """Answer `method path` (e.g. "POST", "104/subscribed_apps") with `response`."""
        self.failures[(method, path)] = response

    def on(self, method: str, path_regex: str, handler: Handler) -> None:
        """Serve another Graph path (e.g. conversations) with a handler."""
        self.extra.append((method, re.compile(path_regex), handler))

    # --- inspection --------------------------------------------------------------

    def calls_to(self, method: str, path: str) -> list[GraphCall]:
        return [c for c in self.calls if c.method == method and c.path == path]

    def tokens(self) -> Iterator[str]:
        for user in self.users:
            yield from (user.short_token, user.long_token)
            if user.business_token:
                yield user.business_token
            yield from (p.access_token for p in user.pages)

    # --- respx entry point -------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(f"/{GRAPH_VERSION}/")
        auth = request.headers.get("Authorization", "")
        call = GraphCall(
            method=request.method,
            path=path,
            params=_params(request),
            token=auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None,
            url=str(request.url),
            body=request.content,
        )
        self.calls.append(call)
        failure = self.failures.get((request.method, path))
        if failure is not None:
            return httpx.Response(failure.status_code, content=failure.content)
        for method, pattern, handler in (*self.extra, *self._routes):
            match = pattern.fullmatch(path)
            if method == request.method and match:
                return handler(request, match)
        return graph_error(100, f"Unknown path components: /{path}")

    # --- helpers -----------------------------------------------------------------

    def _grant(self, token: str | None) -> _Grant | None:
        if token is None or token in self.revoked:
            return None
        for user in self.users:
            if not user.is_valid:
                continue
            if token == user.short_token:
                return _Grant(user, "short")
            if token == user.long_token:
                return _Grant(user, "long")
            if user.business_token and token == user.business_token:
                return _Grant(user, "business")
            for page in user.pages:
                if token == page.access_token:
                    return _Grant(user, "page", page.id)
        return None

    def _user_grant(self, request: httpx.Request) -> _Grant | None:
        grant = self._grant(_bearer(request))
        return grant if grant is not None and grant.kind != "page" else None

    def paged(self, request: httpx.Request, rows: list[dict[str, Any]]) -> httpx.Response:
        params = request.url.params
        limit = min(int(params.get("limit", "25")), self.page_size)
        offset = int(params.get("after", "c0").removeprefix("c"))
        chunk = rows[offset : offset + limit]
        after = offset + len(chunk)
        body: dict[str, Any] = {
            "data": chunk,
            "paging": {"cursors": {"before": f"c{offset}", "after": f"c{after}"}},
        }
        if after < len(rows):
            body["paging"]["next"] = str(request.url.copy_merge_params({"after": f"c{after}"}))
        return httpx.Response(200, json=body)

    # --- endpoints ---------------------------------------------------------------

    def _oauth(self, request: httpx.Request, _: re.Match[str]) -> httpx.Response:
        # Parley posts the exchange as a form body so the secret and codes stay out of URLs.
        params = httpx.QueryParams(request.content.decode())
        if params.get("client_id") != self.app_id or params.get("client_secret") != self.app_secret:
            return graph_error(101, "Error validating application. Invalid application ID.")
        if params.get("grant_type") == "fb_exchange_token":
            grant = self._grant(params.get("fb_exchange_token"))
            if grant is None or grant.kind != "short":
                return invalid_token()
            return httpx.Response(
                200,
                json={
                    "access_token": grant.user.long_token,
                    "token_type": "bearer",
                    "expires_in": grant.user.expires_in,
                },
            )
        code = params.get("code")
        if "redirect_uri" in params and params["redirect_uri"] != self.redirect_uri:
            return graph_error(100, "Error validating verification code: redirect_uri mismatch")
        for user in self.users:
            if code == user.code:
                return httpx.Response(
                    200,
                    json={
                        "access_token": user.short_token,
                        "token_type": "bearer",
                        "expires_in": 5183,
                    },
                )
            if user.business_code and code == user.business_code:
                return httpx.Response(
                    200, json={"access_token": user.business_token, "token_type": "bearer"}
                )
        return graph_error(100, "Invalid verification code format.", subcode=36007)

    def _debug_token(self, request: httpx.Request, _: re.Match[str]) -> httpx.Response:
        if _bearer(request) != f"{self.app_id}|{self.app_secret}":
            return invalid_token()
        token = request.url.params.get("input_token", "")
        grant = self._grant(token)
        now = int(time.time())
        if grant is None:
            data: dict[str, Any] = {
                "app_id": self.app_id,
                "is_valid": False,
                "scopes": [],
                "error": {"code": 190, "message": "Error validating access token"},
            }
        else:
            user = grant.user
            data = {
                "app_id": user.app_id or self.app_id,
                "type": "PAGE" if grant.kind == "page" else "USER",
                "application": "Parley",
                "is_valid": True,
                "issued_at": now,
                "expires_at": 0
                if grant.kind in ("page", "business")
                else now + (user.expires_in if grant.kind == "long" else 5183),
                "data_access_expires_at": now + 90 * 86400,
                "scopes": list(user.scopes),
                "granular_scopes": [
                    {"scope": scope, "target_ids": targets}
                    for scope, targets in self._granular(user).items()
                ],
                "user_id": user.id,
            }
            if grant.page_id:
                data["profile_id"] = grant.page_id
        data.update(self.token_info.get(token, {}))
        return httpx.Response(200, json={"data": data})

    def _granular(self, user: FakeUser) -> dict[str, list[str]]:
        if user.granular_scopes is not None:
            return user.granular_scopes
        granular: dict[str, list[str]] = {}
        for scope in user.scopes:
            if scope in PAGE_SCOPES:
                granular[scope] = [p.id for p in user.pages]
            elif scope in WABA_SCOPES:
                granular[scope] = [w.id for w in user.wabas()]
            elif scope == "business_management":
                granular[scope] = [b.id for b in user.businesses]
        return granular

    def _me(self, request: httpx.Request, _: re.Match[str]) -> httpx.Response:
        grant = self._user_grant(request)
        if grant is None:
            return invalid_token()
        return httpx.Response(200, json={"id": grant.user.id, "name": grant.user.name})

    def _accounts(self, request: httpx.Request, _: re.Match[str]) -> httpx.Response:
        grant = self._user_grant(request)
        if grant is None:
            return invalid_token()
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "category": p.category,
                "tasks": p.tasks,
                "access_token": p.access_token,
            }
            for p in grant.user.pages
        ]
        return self.paged(request, rows)

    def _subscribe(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        object_id = match.group(1)
        grant = self._grant(_bearer(request))
        if grant is None:
            return invalid_token()
        if grant.kind == "page":
            if grant.page_id != object_id:
                return graph_error(200, "Permissions error", status=403)
            fields = request.url.params.get("subscribed_fields", "")
            self.page_subscriptions[object_id] = fields.split(",") if fields else []
            return httpx.Response(200, json={"success": True})
        if object_id not in {w.id for w in grant.user.wabas()}:
            return graph_error(100, f"Unsupported post request. Object {object_id} not found")
        self.waba_subscriptions.add(object_id)
        return httpx.Response(200, json={"success": True})

    def _unsubscribe(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        object_id = match.group(1)
        if self._grant(_bearer(request)) is None:
            return invalid_token()
        self.page_subscriptions.pop(object_id, None)
        self.waba_subscriptions.discard(object_id)
        return httpx.Response(200, json={"success": True})

    def _businesses(self, request: httpx.Request, _: re.Match[str]) -> httpx.Response:
        grant = self._user_grant(request)
        if grant is None:
            return invalid_token()
        return self.paged(request, [{"id": b.id, "name": b.name} for b in grant.user.businesses])

    def _wabas(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        grant = self._user_grant(request)
        if grant is None:
            return invalid_token()
        business = next((b for b in grant.user.businesses if b.id == match.group(1)), None)
        if business is None:
            return graph_error(100, "Object does not exist or missing permissions")
        wabas = business.owned if match.group(2) == "owned" else business.client
        return self.paged(request, [{"id": w.id, "name": w.name} for w in wabas])

    def _numbers(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        grant = self._user_grant(request)
        if grant is None:
            return invalid_token()
        waba = next((w for w in grant.user.wabas() if w.id == match.group(1)), None)
        if waba is None:
            return graph_error(100, "Object does not exist or missing permissions", subcode=33)
        rows = [
            {
                "id": n.id,
                "display_phone_number": n.display_phone_number,
                "verified_name": n.verified_name,
                "quality_rating": n.quality_rating,
                "code_verification_status": n.code_verification_status,
                "status": n.status,
            }
            for n in waba.numbers
        ]
        return self.paged(request, rows)


def _bearer(request: httpx.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


def default_user(tag: str = "ada", *, id_base: int = 0) -> FakeUser:
    """A Facebook user with two Pages and one business (an owned WABA with two numbers and a
    client WABA with one). `id_base` shifts every id so two users do not collide."""
    n = id_base
    return FakeUser(
        id=str(10150000000000001 + n),
        name=f"{tag.title()} Lovelace",
        code=f"code-{tag}-login",
        short_token=f"EAAshort{tag}USERtoken001",
        long_token=f"EAAlong{tag}USERtoken60days",
        business_code=f"code-{tag}-signup",
        business_token=f"EAAbiz{tag}SYSTEMtoken",
        pages=[
            FakePage(str(104000000000001 + n), f"{tag.title()} Support", f"EAApage{tag}SUPPORT"),
            FakePage(str(104000000000002 + n), f"{tag.title()} Sales", f"EAApage{tag}SALES"),
        ],
        businesses=[
            FakeBusiness(
                id=str(200000000000001 + n),
                name=f"{tag.title()} Ltd",
                owned=[
                    FakeWaba(
                        id=str(300000000000001 + n),
                        name=f"{tag.title()} WhatsApp",
                        numbers=[
                            FakeNumber(str(109000000000001 + n), "+1 555-0100", f"{tag} Support"),
                            FakeNumber(str(109000000000002 + n), "+1 555-0101", f"{tag} Sales"),
                        ],
                    )
                ],
                client=[
                    FakeWaba(
                        id=str(300000000000002 + n),
                        name=f"{tag.title()} Client WABA",
                        numbers=[FakeNumber(str(109000000000003 + n), "+44 20 7946 0000", tag)],
                    )
                ],
            )
        ],
    )


def install(router: respx.MockRouter, fake: FakeMeta) -> FakeMeta:
    """Send every Graph request the router sees to `fake`."""
    router.route(host="graph.test").mock(side_effect=fake)
    return fake


def json_body(call: GraphCall) -> Any:
    return json.loads(call.body) if call.body else None
