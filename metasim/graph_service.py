"""The Messenger side of the imitated Graph API and the dispatch of node and edge reads.

Each public function runs through :func:`metasim.graph_common.run_call`, which takes the
lock once, computes the answer, records the call and returns a :class:`GraphResult`;
routes only translate HTTP to and from these types.
"""

import secrets
from typing import Any

from metasim import accounts, conversations, media, outbound_media, templates, whatsapp
from metasim.errors import GraphFailure, JSONDict, invalid_param, invalid_token
from metasim.graph_common import (
    CallNotes,
    GraphRequest,
    GraphResult,
    apply_fault,
    check_version,
    run_call,
    unknown_object,
)
from metasim.state import CallKind, Page, SimState
from metasim.tokens import (
    Principal,
    authenticate,
    reachable_business_ids,
    reachable_page_ids,
    reachable_waba_ids,
    require_scope,
)

MAX_TEXT_LENGTH = 2000
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
MESSAGE_TAGS = (
    "HUMAN_AGENT",
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "ACCOUNT_UPDATE",
    "CUSTOMER_FEEDBACK",
)
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen", "react", "unreact")
PROFILE_FIELDS = ("first_name", "last_name", "profile_pic")


def new_mid() -> str:
    """A message id shaped like Messenger's (``m_`` + long url-safe string)."""
    return "m_" + secrets.token_urlsafe(48)


# Sends ------------------------------------------------------------------------------


async def send_message(state: SimState, request: GraphRequest) -> GraphResult:
    """``POST /{version}/{page-id|me|phone-number-id}/messages``, recorded as a send.

    A phone number id in the path makes it a WhatsApp Cloud API send.
    """
    if request.node in state.numbers:
        return await run_call(
            state, request, "whatsapp_send", lambda notes: _whatsapp_send(state, request, notes)
        )
    return await run_call(state, request, "send", lambda notes: _send(state, request, notes))


def _whatsapp_send(state: SimState, request: GraphRequest, notes: CallNotes) -> JSONDict:
    notes.phone_number_id = request.node
    check_version(request)
    principal = authenticate(state, request.token)
    return whatsapp.send(state, request, principal, notes)


def _send(state: SimState, request: GraphRequest, notes: CallNotes) -> JSONDict:
    notes.page_id = _addressed_page_id(state, request)
    check_version(request)
    principal = authenticate(state, request.token)
    page = _token_page(state, principal)
    if request.node not in ("me", page.id):
        raise GraphFailure(invalid_token())
    body = request.body if isinstance(request.body, dict) else {}
    if "sender_action" in body:
        return _sender_action_outcome(state, page, body)
    apply_fault(state, "send", page.id)
    require_scope(principal, "pages_messaging")
    _validate_message(body)
    psid = _known_recipient(state, page, body)
    notes.media = outbound_media.messenger_attachment_ref(state, page, body.get("message"))
    mid = new_mid()
    message = body.get("message") or {}
    text = message.get("text")
    state.add_conversation_message(
        page.id, psid, mid, text if isinstance(text, str) else "", from_page=True
    )
    return {"recipient_id": psid, "message_id": mid}


def _addressed_page_id(state: SimState, request: GraphRequest) -> str | None:
    """The page a send was meant for: the path's page id, or the token's page for ``me``."""
    if request.node != "me":
        return request.node
    page = state.page_for_token(request.token) if request.token else None
    return page.id if page else None


def _token_page(state: SimState, principal: Principal) -> Page:
    """The page of a page token; any other token cannot act as a page (190)."""
    page = state.pages.get(principal.page_id or "")
    if principal.type != "PAGE" or page is None:
        raise GraphFailure(invalid_token())
    return page


def _sender_action_outcome(state: SimState, page: Page, body: JSONDict) -> JSONDict:
    action = body.get("sender_action")
    if "message" in body:
        raise GraphFailure(invalid_param("Cannot send both message and sender_action"))
    if action not in SENDER_ACTIONS:
        allowed = ", ".join(a.upper() for a in SENDER_ACTIONS)
        message = f'param sender_action must be one of {{{allowed}}} - got "{action}"'
        raise GraphFailure(invalid_param(message))
    psid = _known_recipient(state, page, body)
    if action in ("react", "unreact"):
        return {"recipient_id": psid, "message_id": _reaction_target(state, page, psid, body)}
    return {"recipient_id": psid}


def _reaction_target(state: SimState, page: Page, psid: str, body: JSONDict) -> str:
    """``react`` / ``unreact``: ``payload.message_id`` is a message of this thread; a
    ``react`` names its emoji in ``payload.reaction`` (an ``unreact`` names none)."""
    payload = body.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    mid = payload.get("message_id")
    found = state.find_message(mid) if isinstance(mid, str) else None
    if found is None or found[0].page_id != page.id or found[0].psid != psid:
        raise GraphFailure(invalid_param("param payload[message_id] is not a valid message id"))
    reaction = payload.get("reaction")
    if body.get("sender_action") == "react" and (not isinstance(reaction, str) or not reaction):
        raise GraphFailure(invalid_param("param payload[reaction] is required to react"))
    if body.get("sender_action") == "unreact" and "reaction" in payload:
        raise GraphFailure(invalid_param("param payload[reaction] must be omitted to unreact"))
    return str(mid)


def _validate_message(body: JSONDict) -> None:
    _recipient_psid(body)
    _validate_messaging_type(body)
    _validate_message_content(body.get("message"))


def _validate_messaging_type(body: JSONDict) -> None:
    messaging_type = body.get("messaging_type")
    if messaging_type not in MESSAGING_TYPES:
        allowed = ", ".join(MESSAGING_TYPES)
        message = f'param messaging_type must be one of {{{allowed}}} - got "{messaging_type}"'
        raise GraphFailure(invalid_param(message))
    if messaging_type == "MESSAGE_TAG" and body.get("tag") not in MESSAGE_TAGS:
        message = f"param tag must be one of {{{', '.join(MESSAGE_TAGS)}}} for MESSAGE_TAG"
        raise GraphFailure(invalid_param(message))


def _validate_message_content(message: Any) -> None:
    if not isinstance(message, dict):
        raise GraphFailure(invalid_param("param message must be a JSON object"))
    text, attachment = message.get("text"), message.get("attachment")
    if not text and not isinstance(attachment, dict):
        empty = "Message cannot be empty, must provide valid attachment or text"
        raise GraphFailure(invalid_param(empty))
    if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
        too_long = f"Length of param message[text] must be less than or equal to {MAX_TEXT_LENGTH}"
        raise GraphFailure(invalid_param(too_long))


def _recipient_psid(body: JSONDict) -> str:
    recipient = body.get("recipient")
    value = recipient.get("id") if isinstance(recipient, dict) else None
    psid = str(value) if isinstance(value, str | int) and value != "" else None
    if psid is None:
        raise GraphFailure(invalid_param("The parameter recipient is required"))
    return psid


def _known_recipient(state: SimState, page: Page, body: JSONDict) -> str:
    psid = _recipient_psid(body)
    if state.customer(page.id, psid) is None:
        raise GraphFailure(invalid_param("No matching user found", error_subcode=2018001))
    return psid


# Node reads -------------------------------------------------------------------------


async def read_node(state: SimState, request: GraphRequest) -> GraphResult:
    """``GET /{version}/{node}``: whatever the id names, as far as the token may see it."""
    kind: CallKind = "media" if request.node in state.media else "node"
    return await run_call(state, request, kind, lambda notes: _node(state, request, notes))


def _node(state: SimState, request: GraphRequest, notes: CallNotes) -> JSONDict:
    check_version(request)
    principal = authenticate(state, request.token)
    if principal.type == "PAGE":
        return _page_token_node(state, request, principal, notes)
    node = request.node
    if node in ("me", principal.user_id):
        return accounts.me_node(state, principal)
    if node in reachable_page_ids(state, principal):
        return state.pages[node].public()
    if node in state.media:
        return media.media_node(state, request, principal, notes)
    if node in state.numbers:
        return accounts.phone_number_node(state, request, principal, notes)
    if node in reachable_waba_ids(state, principal):
        return accounts.waba_node(state, request, principal, node)
    if node in reachable_business_ids(state, principal):
        return accounts.business_node(state, request, principal, node)
    raise GraphFailure(unknown_object(node))


def _page_token_node(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """A node read with a page token: the page, its threads and messages, or a profile."""
    page = _token_page(state, principal)
    notes.page_id = page.id
    node = request.node
    known_page = page if node in ("me", page.id) else state.pages.get(node)
    if known_page is not None:
        return known_page.public()
    conversation = state.conversations.get(node)
    if conversation is not None:
        return conversations.conversation_node(state, request, principal, notes, conversation)
    found = state.find_message(node)
    if found is not None:
        return conversations.message_node(state, request, principal, notes, found)
    customer = state.customer(page.id, node)
    if customer is None:
        raise GraphFailure(unknown_object(node))
    apply_fault(state, "profile", page.id)
    profile = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "profile_pic": f"{request.base_url}_sim/profile_pic/{customer.psid}",
    }
    return {**_select_fields(profile, request.param("fields")), "id": customer.psid}


def _select_fields(profile: JSONDict, fields: str | None) -> JSONDict:
    wanted = [f.strip() for f in (fields or ",".join(PROFILE_FIELDS)).split(",") if f.strip()]
    unknown = [f for f in wanted if f not in (*PROFILE_FIELDS, "id")]
    if unknown:
        message = f"Tried accessing nonexisting field ({unknown[0]}) on node type (User)"
        raise GraphFailure(invalid_param(message))
    return {name: profile[name] for name in wanted if name in profile}


# Edges --------------------------------------------------------------------------------

_EDGE_KINDS: dict[str, CallKind] = {
    "accounts": "me_accounts",
    "businesses": "businesses",
    "permissions": "permissions",
    "owned_whatsapp_business_accounts": "whatsapp_accounts",
    "client_whatsapp_business_accounts": "whatsapp_accounts",
    "phone_numbers": "phone_numbers",
    "subscribed_apps": "subscribed_apps",
    "conversations": "conversations",
    "messages": "conversations",
    "register": "register",
    "message_templates": "message_templates",
}


async def read_edge(state: SimState, request: GraphRequest, edge: str) -> GraphResult:
    """``GET|POST|DELETE /{version}/{node}/{edge}`` (sends have their own route)."""
    kind = _EDGE_KINDS.get(edge, "node")
    return await run_call(state, request, kind, lambda notes: _edge(state, request, edge, notes))


def _edge(state: SimState, request: GraphRequest, edge: str, notes: CallNotes) -> JSONDict:
    check_version(request)
    principal = authenticate(state, request.token)
    node, method = request.node, request.method
    if node == "me" and principal.type != "PAGE" and method == "GET":
        if edge == "accounts":
            return accounts.me_accounts(state, request, principal, notes)
        if edge == "businesses":
            return accounts.me_businesses(state, request, principal, notes)
        if edge == "permissions":
            return accounts.me_permissions(state, principal)
    if edge == "permissions" and method == "DELETE":
        return accounts.revoke_permissions(state, principal, node)
    if edge == "subscribed_apps" and method in ("GET", "POST", "DELETE"):
        if node in state.wabas:
            return accounts.waba_subscribed_apps(state, request, principal, notes)
        return accounts.page_subscribed_apps(state, request, principal, notes)
    if method == "GET":
        return _get_edge(state, request, principal, notes, edge)
    if method == "POST" and edge == "register" and node in state.numbers:
        return accounts.register_number(state, request, principal, notes)
    raise GraphFailure(unknown_object(node, method))


def _get_edge(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes, edge: str
) -> JSONDict:
    node = request.node
    if edge == "conversations":
        return conversations.list_conversations(state, request, principal, notes)
    if edge == "messages" and node in state.conversations:
        conversation = state.conversations[node]
        return conversations.conversation_messages(state, request, principal, notes, conversation)
    if edge == "phone_numbers":
        return accounts.waba_phone_numbers(state, request, principal, node)
    if edge == "message_templates":
        return templates.list_templates(state, request, principal, notes)
    if edge in ("owned_whatsapp_business_accounts", "client_whatsapp_business_accounts"):
        owned = edge.startswith("owned")
        return accounts.business_wabas(state, request, principal, node, owned)
    raise GraphFailure(unknown_object(node))
