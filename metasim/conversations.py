"""The Messenger Conversations API: a page's threads and their messages, newest first.

Every delivered message and every successful Send API text lands in a thread, and the
fixtures give "Lima Bikes" some history. The 2 calls/s/page limit is off unless
``POST /_sim/limits`` turns it on.
"""

import time
from collections import deque

from metasim.errors import GraphError, GraphFailure, JSONDict, invalid_param
from metasim.graph_common import CallNotes, GraphRequest, apply_fault, unknown_object
from metasim.paging import (
    FieldSpec,
    PageLink,
    format_fields,
    graph_time,
    listing,
    paginate,
    requested_fields,
    select,
)
from metasim.state import Page, SimState
from metasim.tokens import Principal, require_page_token, require_scope
from metasim.world import Conversation, ConversationMessage

CONVERSATION_FIELDS = (
    "id",
    "updated_time",
    "participants",
    "message_count",
    "unread_count",
    "snippet",
    "link",
    "can_reply",
    "messages",
)
CONVERSATION_DEFAULT = ("id", "updated_time")
MESSAGE_FIELDS = ("id", "created_time", "from", "to", "message")
MESSAGE_DEFAULT = ("id", "created_time")
PLATFORMS = ("messenger", "instagram")


def list_conversations(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``GET /{page-id}/conversations?platform=messenger&fields=...&user_id=...``."""
    page_id = principal.page_id if request.node == "me" else request.node
    page = _checked_page(state, principal, page_id or "", request)
    notes.page_id = page.id
    platform = (request.param("platform") or "messenger").lower()
    if platform not in PLATFORMS:
        message = f'param platform must be one of {{INSTAGRAM, MESSENGER}} - got "{platform}"'
        raise GraphFailure(invalid_param(message))
    specs = requested_fields(
        request.param("fields"), CONVERSATION_FIELDS, CONVERSATION_DEFAULT, "Conversation"
    )
    threads = [] if platform == "instagram" else _threads(state, page.id, request.param("user_id"))
    chunk, paging = paginate(threads, lambda c: c.id, request.query, _link(request))
    data = [select(_conversation_values(state, request, c, specs), specs) for c in chunk]
    return listing(data, paging)


def conversation_node(
    state: SimState,
    request: GraphRequest,
    principal: Principal,
    notes: CallNotes,
    conversation: Conversation,
) -> JSONDict:
    """``GET /{conversation-id}?fields=messages{id,created_time,from,to,message}``."""
    page = _checked_page(state, principal, conversation.page_id, request)
    notes.page_id = page.id
    specs = requested_fields(
        request.param("fields"), CONVERSATION_FIELDS, CONVERSATION_DEFAULT, "Conversation"
    )
    return select(_conversation_values(state, request, conversation, specs), specs)


def conversation_messages(
    state: SimState,
    request: GraphRequest,
    principal: Principal,
    notes: CallNotes,
    conversation: Conversation,
) -> JSONDict:
    """``GET /{conversation-id}/messages?fields=...`` (cursor-paginated, newest first)."""
    page = _checked_page(state, principal, conversation.page_id, request)
    notes.page_id = page.id
    specs = requested_fields(request.param("fields"), MESSAGE_FIELDS, MESSAGE_DEFAULT, "Message")
    messages = list(reversed(conversation.messages))
    chunk, paging = paginate(messages, lambda m: m.id, request.query, _link(request))
    data = [select(_message_values(state, conversation, m), specs) for m in chunk]
    return listing(data, paging)


def message_node(
    state: SimState,
    request: GraphRequest,
    principal: Principal,
    notes: CallNotes,
    found: tuple[Conversation, ConversationMessage],
) -> JSONDict:
    """``GET /{message-id}?fields=...``."""
    conversation, message = found
    page = _checked_page(state, principal, conversation.page_id, request)
    notes.page_id = page.id
    specs = requested_fields(request.param("fields"), MESSAGE_FIELDS, MESSAGE_DEFAULT, "Message")
    return select(_message_values(state, conversation, message), specs)


def _checked_page(
    state: SimState, principal: Principal, page_id: str, request: GraphRequest
) -> Page:
    """The page, once the token is its page token with ``pages_messaging`` (and no fault)."""
    page = state.pages.get(page_id)
    if page is None:
        raise GraphFailure(unknown_object(request.node))
    require_page_token(principal)
    if principal.page_id != page.id:
        raise GraphFailure(unknown_object(request.node))
    _check_rate(state, page.id)
    apply_fault(state, "conversations", page.id)
    require_scope(principal, "pages_messaging")
    return page


def _check_rate(state: SimState, page_id: str) -> None:
    limit = state.conversations_per_second
    if not limit:
        return
    now = time.monotonic()
    window = state.conversation_calls.setdefault(page_id, deque())
    while window and now - window[0] >= 1.0:
        window.popleft()
    if len(window) >= limit:
        message = "(#613) Calls to this api have exceeded the rate limit."
        raise GraphFailure(GraphError(message, code=613, is_transient=True))
    window.append(now)


def _threads(state: SimState, page_id: str, user_id: str | None) -> list[Conversation]:
    threads = [
        c
        for c in state.conversations.values()
        if c.page_id == page_id and c.messages and user_id in (None, c.psid)
    ]
    return sorted(threads, key=lambda c: (c.updated_at, c.id), reverse=True)


def _conversation_values(
    state: SimState,
    request: GraphRequest,
    conversation: Conversation,
    specs: tuple[FieldSpec, ...],
) -> JSONDict:
    customer, page = _parties(state, conversation)
    last = conversation.messages[-1]
    values: JSONDict = {
        "id": conversation.id,
        "updated_time": graph_time(conversation.updated_at),
        "participants": {"data": [customer, page]},
        "message_count": len(conversation.messages),
        "unread_count": 0,
        "snippet": last.text[:100],
        "link": f"/{conversation.page_id}/inbox/{conversation.id.removeprefix('t_')}/",
        "can_reply": True,
    }
    nested = next((s for s in specs if s.name == "messages"), None)
    if nested is not None:
        values["messages"] = _nested_messages(state, request, conversation, nested)
    return values


def _nested_messages(
    state: SimState, request: GraphRequest, conversation: Conversation, spec: FieldSpec
) -> JSONDict:
    raw = format_fields(spec.subfields) if spec.subfields else None
    sub_specs = requested_fields(raw, MESSAGE_FIELDS, MESSAGE_DEFAULT, "Message")
    query = {"fields": format_fields(sub_specs)}
    if "access_token" in request.query:
        query["access_token"] = request.query["access_token"]
    link = PageLink(request.base_url, f"/{request.version}/{conversation.id}/messages", query)
    messages = list(reversed(conversation.messages))
    chunk, paging = paginate(messages, lambda m: m.id, {}, link, limit=spec.limit)
    data = [select(_message_values(state, conversation, m), sub_specs) for m in chunk]
    return listing(data, paging)


def _message_values(
    state: SimState, conversation: Conversation, message: ConversationMessage
) -> JSONDict:
    customer, page = _parties(state, conversation)
    sender, receiver = (page, customer) if message.from_page else (customer, page)
    return {
        "id": message.id,
        "created_time": graph_time(message.created_at),
        "from": sender,
        "to": {"data": [receiver]},
        "message": message.text,
    }


def _parties(state: SimState, conversation: Conversation) -> tuple[JSONDict, JSONDict]:
    page = state.pages[conversation.page_id]
    customer = state.customer(conversation.page_id, conversation.psid)
    customer_name = customer.name if customer else conversation.psid
    return (
        {
            "name": customer_name,
            "email": f"{conversation.psid}@facebook.com",
            "id": conversation.psid,
        },
        {"name": page.name, "email": f"{page.id}@facebook.com", "id": page.id},
    )


def _link(request: GraphRequest) -> PageLink:
    return PageLink(request.base_url, request.path, request.query)
