"""Discovery and connection edges: pages, businesses, WABAs, numbers, ``subscribed_apps``.

Handlers run inside :func:`metasim.graph_common.run_call` with an authenticated
principal; they raise :class:`GraphFailure` for Meta-shaped errors.
"""

from metasim.errors import GraphError, GraphFailure, JSONDict, invalid_param
from metasim.graph_common import CallNotes, GraphRequest, apply_fault, unknown_object
from metasim.paging import FieldSpec, PageLink, listing, paginate, requested_fields, select
from metasim.state import Page, SimState, stable_digits
from metasim.tokens import (
    Principal,
    app_name,
    page_token,
    reachable_business_ids,
    reachable_page_ids,
    reachable_waba_ids,
    require_page_token,
    require_scope,
    require_user_token,
    revoke_user,
)
from metasim.world import BUSINESS_SCOPE, PAGE_TASKS, PhoneNumber, Waba

PAGE_ACCOUNT_FIELDS = ("id", "name", "category", "category_list", "tasks", "access_token")
PAGE_ACCOUNT_DEFAULT = ("id", "name", "category", "tasks", "access_token")
WABA_DEFAULT = ("id", "name", "currency", "timezone_id")
NUMBER_DEFAULT = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "code_verification_status",
    "platform_type",
    "throughput",
    "status",
    "messaging_limit_tier",
)
PAGE_WEBHOOK_FIELDS = (
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "message_echoes",
    "message_reactions",
    "message_edits",
    "messaging_referrals",
    "messaging_optins",
    "messaging_optouts",
    "messaging_handovers",
    "messaging_policy_enforcement",
    "messaging_account_linking",
    "messaging_customer_information",
    "messaging_feedback",
    "messaging_game_plays",
    "messaging_payments",
    "messaging_pre_checkouts",
    "messaging_checkout_updates",
    "messaging_seen",
    "response_feedback",
    "inbox_labels",
    "standby",
    "feed",
)
WABA_MANAGEMENT = "whatsapp_business_management"


# /me ---------------------------------------------------------------------------------


def me_node(state: SimState, principal: Principal) -> JSONDict:
    """``GET /me`` with a user or system-user token."""
    user = state.users.get(principal.user_id or "")
    if user is not None:
        return {"id": user.id, "name": user.name}
    first_waba = (principal.waba_ids or ("none",))[0]
    return {"id": stable_digits("system-user", first_waba), "name": "metasim system user"}


def me_accounts(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``GET /me/accounts``: the pages the user manages, each with its page token."""
    require_user_token(principal)
    apply_fault(state, "me_accounts", principal.user_id or "")
    require_scope(principal, "pages_show_list")
    specs = requested_fields(
        request.param("fields"), PAGE_ACCOUNT_FIELDS, PAGE_ACCOUNT_DEFAULT, "Page"
    )
    pages = [state.pages[page_id] for page_id in reachable_page_ids(state, principal)]
    chunk, paging = paginate(pages, lambda p: p.id, request.query, _link(request))
    wants_token = any(spec.name == "access_token" for spec in specs)
    data = []
    for page in chunk:
        values = _page_account(page)
        if wants_token and principal.record is not None:
            values["access_token"] = page_token(state, principal.record, page.id).token
        data.append(select(values, specs))
    return listing(data, paging)


def _page_account(page: Page) -> JSONDict:
    return {
        "id": page.id,
        "name": page.name,
        "category": page.category,
        "category_list": [{"id": stable_digits("category", page.category), "name": page.category}],
        "tasks": list(PAGE_TASKS),
    }


def me_businesses(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``GET /me/businesses``: the business portfolios the user can reach."""
    require_user_token(principal)
    apply_fault(state, "businesses", principal.user_id or "")
    require_scope(principal, BUSINESS_SCOPE)
    specs = requested_fields(request.param("fields"), ("id", "name"), ("id", "name"), "Business")
    businesses = [state.businesses[b] for b in reachable_business_ids(state, principal)]
    chunk, paging = paginate(businesses, lambda b: b.id, request.query, _link(request))
    return listing([select({"id": b.id, "name": b.name}, specs) for b in chunk], paging)


def me_permissions(state: SimState, principal: Principal) -> JSONDict:
    """``GET /me/permissions``: the scopes this token was granted."""
    require_user_token(principal)
    return {"data": [{"permission": s, "status": "granted"} for s in principal.scopes]}


def revoke_permissions(state: SimState, principal: Principal, user_id: str) -> JSONDict:
    """``DELETE /{user-id}/permissions`` (or ``/me/permissions``): the user removes the app;
    every token they gave it stops working (their page tokens too)."""
    require_user_token(principal)
    if user_id not in ("me", principal.user_id):
        raise GraphFailure(unknown_object(user_id, "DELETE"))
    revoke_user(state, principal.user_id or "", principal.app_id)
    return {"success": True}


# Businesses, WABAs and numbers --------------------------------------------------------


def business_node(
    state: SimState, request: GraphRequest, principal: Principal, business_id: str
) -> JSONDict:
    """``GET /{business-id}``."""
    if business_id not in reachable_business_ids(state, principal):
        raise GraphFailure(unknown_object(business_id))
    apply_fault(state, "businesses", business_id)
    require_scope(principal, BUSINESS_SCOPE)
    business = state.businesses[business_id]
    specs = requested_fields(request.param("fields"), ("id", "name"), ("id", "name"), "Business")
    return select({"id": business.id, "name": business.name}, specs)


def business_wabas(
    state: SimState, request: GraphRequest, principal: Principal, business_id: str, owned: bool
) -> JSONDict:
    """``GET /{business-id}/owned_whatsapp_business_accounts`` (or ``client_...``)."""
    if business_id not in reachable_business_ids(state, principal):
        raise GraphFailure(unknown_object(business_id))
    apply_fault(state, "whatsapp_accounts", business_id)
    require_scope(principal, BUSINESS_SCOPE)
    require_scope(principal, WABA_MANAGEMENT)
    business = state.businesses[business_id]
    reachable = set(reachable_waba_ids(state, principal))
    waba_ids = business.owned_waba_ids if owned else business.client_waba_ids
    wabas = [state.wabas[w] for w in waba_ids if w in reachable]
    return _waba_listing(request, wabas)


def _waba_listing(request: GraphRequest, wabas: list[Waba]) -> JSONDict:
    known = tuple(Waba("", "").fields())
    specs = requested_fields(
        request.param("fields"), known, WABA_DEFAULT, "WhatsAppBusinessAccount"
    )
    chunk, paging = paginate(wabas, lambda w: w.id, request.query, _link(request))
    return listing([select(w.fields(), specs) for w in chunk], paging)


def waba_node(
    state: SimState, request: GraphRequest, principal: Principal, waba_id: str
) -> JSONDict:
    """``GET /{waba-id}``."""
    waba = _reachable_waba(state, principal, waba_id, "GET")
    apply_fault(state, "whatsapp_accounts", waba_id)
    require_scope(principal, WABA_MANAGEMENT)
    known = tuple(waba.fields())
    specs = requested_fields(
        request.param("fields"), known, WABA_DEFAULT, "WhatsAppBusinessAccount"
    )
    return select(waba.fields(), specs)


def waba_phone_numbers(
    state: SimState, request: GraphRequest, principal: Principal, waba_id: str
) -> JSONDict:
    """``GET /{waba-id}/phone_numbers``."""
    _reachable_waba(state, principal, waba_id, "GET")
    apply_fault(state, "phone_numbers", waba_id)
    require_scope(principal, WABA_MANAGEMENT)
    specs = _number_fields(request)
    numbers = [n for n in state.numbers.values() if n.waba_id == waba_id]
    chunk, paging = paginate(numbers, lambda n: n.id, request.query, _link(request))
    return listing([select(n.fields(), specs) for n in chunk], paging)


def phone_number_node(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``GET /{phone-number-id}``."""
    number = reachable_number(state, principal, request.node, "GET")
    notes.phone_number_id = number.id
    apply_fault(state, "phone_numbers", number.id, number.waba_id)
    require_scope(principal, WABA_MANAGEMENT)
    return select(number.fields(), _number_fields(request))


def _number_fields(request: GraphRequest) -> tuple[FieldSpec, ...]:
    known = tuple(PhoneNumber("", "", "", "").fields())
    return requested_fields(
        request.param("fields"), known, NUMBER_DEFAULT, "WhatsAppBusinessPhoneNumber"
    )


def register_number(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``POST /{phone-number-id}/register`` (the last Embedded Signup step)."""
    number = reachable_number(state, principal, request.node, "POST")
    notes.phone_number_id = number.id
    apply_fault(state, "register", number.id, number.waba_id)
    require_scope(principal, WABA_MANAGEMENT)
    if request.param("messaging_product") != "whatsapp":
        raise GraphFailure(invalid_param("The parameter messaging_product is required."))
    pin = request.param("pin") or ""
    if len(pin) != 6 or not pin.isdigit():
        raise GraphFailure(invalid_param("Param pin must be a 6-digit number"))
    return {"success": True}


def reachable_number(
    state: SimState, principal: Principal, number_id: str, method: str
) -> PhoneNumber:
    """The phone number, if this token reaches its WABA (else Meta's unknown-object)."""
    number = state.numbers.get(number_id)
    if number is None or number.waba_id not in reachable_waba_ids(state, principal):
        raise GraphFailure(unknown_object(number_id, method))
    return number


def _reachable_waba(state: SimState, principal: Principal, waba_id: str, method: str) -> Waba:
    if waba_id not in reachable_waba_ids(state, principal):
        raise GraphFailure(unknown_object(waba_id, method))
    return state.wabas[waba_id]


# subscribed_apps -------------------------------------------------------------------


def page_subscribed_apps(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``GET|POST|DELETE /{page-id}/subscribed_apps`` with that page's token."""
    page_id = principal.page_id if request.node == "me" else request.node
    notes.page_id = page_id
    if page_id not in state.pages:
        raise GraphFailure(unknown_object(request.node, request.method))
    require_page_token(principal)
    if principal.page_id != page_id:
        raise GraphFailure(
            GraphError("Invalid OAuth access token - Cannot parse access token", code=190)
        )
    apply_fault(state, "subscribed_apps", page_id)
    require_scope(principal, "pages_manage_metadata")
    page = state.pages[page_id]
    if request.method == "GET":
        data = [
            {"id": app_id, "name": app_name(state, app_id), "subscribed_fields": fields}
            for app_id, fields in page.subscriptions.items()
        ]
        return {"data": data}
    if request.method == "DELETE":
        page.subscriptions.pop(principal.app_id, None)
        return {"success": True}
    page.subscriptions[principal.app_id] = _subscribed_fields(request)
    return {"success": True}


def _subscribed_fields(request: GraphRequest) -> list[str]:
    raw = request.param("subscribed_fields")
    if raw is None or not raw.strip():
        raise GraphFailure(invalid_param("The parameter subscribed_fields is required."))
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    for index, name in enumerate(fields):
        if name not in PAGE_WEBHOOK_FIELDS:
            allowed = ", ".join(PAGE_WEBHOOK_FIELDS)
            message = (
                f'Param subscribed_fields[{index}] must be one of {{{allowed}}} - got "{name}"'
            )
            raise GraphFailure(invalid_param(message))
    return list(dict.fromkeys(fields))


def waba_subscribed_apps(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``GET|POST|DELETE /{waba-id}/subscribed_apps``."""
    waba = _reachable_waba(state, principal, request.node, request.method)
    apply_fault(state, "subscribed_apps", waba.id)
    require_scope(principal, WABA_MANAGEMENT)
    if request.method == "GET":
        return {"data": [_waba_app(state, app_id) for app_id in waba.subscribed_app_ids]}
    if request.method == "DELETE":
        if principal.app_id in waba.subscribed_app_ids:
            waba.subscribed_app_ids.remove(principal.app_id)
        return {"success": True}
    if principal.app_id not in waba.subscribed_app_ids:
        waba.subscribed_app_ids.append(principal.app_id)
    return {"success": True}


def _waba_app(state: SimState, app_id: str) -> JSONDict:
    """One subscribed app: Meta nests it in ``whatsapp_business_api_data``; id/name repeat
    at the top level so a page-style reader works too."""
    name = app_name(state, app_id)
    link = f"https://www.facebook.com/games/?app_id={app_id}"
    return {
        "whatsapp_business_api_data": {"id": app_id, "name": name, "link": link},
        "id": app_id,
        "name": name,
    }


def _link(request: GraphRequest) -> PageLink:
    return PageLink(request.base_url, request.path, request.query)
