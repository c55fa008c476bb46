"""What the imitated Graph endpoints do: token checks, the Send API, node reads.

Each public function takes the lock once, computes the answer, records the call and
returns a :class:`GraphResult`; routes only translate HTTP to and from these types.
"""

import re
import secrets
from dataclasses import dataclass
from typing import Any

from metasim.errors import (
    GraphError,
    GraphFailure,
    JSONDict,
    invalid_param,
    invalid_token,
    missing_token,
)
from metasim.state import CallKind, Page, RecordedCall, SimState, utc_now

MAX_TEXT_LENGTH = 2000
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
MESSAGE_TAGS = (
    "HUMAN_AGENT",
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "ACCOUNT_UPDATE",
    "CUSTOMER_FEEDBACK",
)
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")
PROFILE_FIELDS = ("first_name", "last_name", "profile_pic")
_VERSION_RE = re.compile(r"v\d+\.0")


@dataclass(frozen=True)
class GraphRequest:
    """A Graph call as the routes saw it: where it went and which token it carried."""

    method: str
    path: str
    version: str
    node: str
    token: str | None
    token_in_query: bool
    body: Any = None
    base_url: str = "http://metasim/"


@dataclass(frozen=True)
class GraphResult:
    """The HTTP status and JSON body to answer."""

    status_code: int
    body: JSONDict


def new_mid() -> str:
    """A message id shaped like Messenger's (``m_`` + long url-safe string)."""
    return "m_" + secrets.token_urlsafe(48)


async def send_message(state: SimState, request: GraphRequest) -> GraphResult:
    """Handle ``POST /{version}/{page-id|me}/messages`` and record the call."""
    async with state.lock:
        page_id = _addressed_page_id(state, request)
        try:
            result = GraphResult(200, _send_outcome(state, request))
        except GraphFailure as failure:
            result = _failure_result(failure.error)
        _record(state, request, "send", page_id, result)
    return result


async def read_node(state: SimState, request: GraphRequest, fields: str | None) -> GraphResult:
    """Handle ``GET /{version}/{node}``: the page itself, or a customer's profile."""
    async with state.lock:
        page_id: str | None = None
        try:
            page = _page_for_request(state, request, node_is_page=False)
            page_id = page.id
            result = GraphResult(200, _node_outcome(state, request, page, fields))
        except GraphFailure as failure:
            result = _failure_result(failure.error)
        _record(state, request, "node", page_id, result)
    return result


def _failure_result(error: GraphError) -> GraphResult:
    return GraphResult(error.http_status, error.body())


def _record(
    state: SimState,
    request: GraphRequest,
    kind: CallKind,
    page_id: str | None,
    result: GraphResult,
) -> None:
    call = RecordedCall(
        id=state.next_id(),
        kind=kind,
        method=request.method,
        path=request.path,
        version=request.version,
        page_id=page_id,
        recipient_id=_recipient_id(request.body),
        body=request.body,
        token_in_query=request.token_in_query,
        status_code=result.status_code,
        response=result.body,
        received_at=utc_now(),
    )
    state.calls.append(call)


def _addressed_page_id(state: SimState, request: GraphRequest) -> str | None:
    """The page a send was meant for: the path's page id, or the token's page for ``me``."""
    if request.node != "me":
        return request.node
    page = state.page_for_token(request.token) if request.token else None
    return page.id if page else None


def _check_version(request: GraphRequest) -> None:
    if not _VERSION_RE.fullmatch(request.version):
        message = f"Unknown path components: {request.path}"
        raise GraphFailure(GraphError(message, code=2500))


def _page_for_request(state: SimState, request: GraphRequest, *, node_is_page: bool) -> Page:
    """The page the token belongs to; for sends it must also be the page in the path."""
    _check_version(request)
    if not request.token:
        raise GraphFailure(missing_token())
    page = state.page_for_token(request.token)
    if page is None or (node_is_page and request.node not in ("me", page.id)):
        raise GraphFailure(invalid_token())
    return page


def _send_outcome(state: SimState, request: GraphRequest) -> JSONDict:
    page = _page_for_request(state, request, node_is_page=True)
    body = request.body if isinstance(request.body, dict) else {}
    if "sender_action" in body:
        return _sender_action_outcome(state, page, body)
    fault = state.take_fault(page.id)
    if fault is not None:
        raise GraphFailure(fault)
    _validate_message(body)
    psid = _known_recipient(state, page, body)
    return {"recipient_id": psid, "message_id": new_mid()}


def _sender_action_outcome(state: SimState, page: Page, body: JSONDict) -> JSONDict:
    action = body.get("sender_action")
    if "message" in body:
        raise GraphFailure(invalid_param("Cannot send both message and sender_action"))
    if action not in SENDER_ACTIONS:
        allowed = ", ".join(a.upper() for a in SENDER_ACTIONS)
        message = f'param sender_action must be one of {{{allowed}}} - got "{action}"'
        raise GraphFailure(invalid_param(message))
    return {"recipient_id": _known_recipient(state, page, body)}


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


def _recipient_id(body: Any) -> str | None:
    recipient = body.get("recipient") if isinstance(body, dict) else None
    psid = recipient.get("id") if isinstance(recipient, dict) else None
    return str(psid) if isinstance(psid, str | int) and psid != "" else None


def _recipient_psid(body: JSONDict) -> str:
    psid = _recipient_id(body)
    if psid is None:
        raise GraphFailure(invalid_param("The parameter recipient is required"))
    return psid


def _known_recipient(state: SimState, page: Page, body: JSONDict) -> str:
    psid = _recipient_psid(body)
    if state.customer(page.id, psid) is None:
        raise GraphFailure(invalid_param("No matching user found", error_subcode=2018001))
    return psid


def _node_outcome(
    state: SimState, request: GraphRequest, page: Page, fields: str | None
) -> JSONDict:
    known_page = page if request.node in ("me", page.id) else state.pages.get(request.node)
    if known_page is not None:
        return known_page.public()
    customer = state.customer(page.id, request.node)
    if customer is None:
        raise GraphFailure(_unknown_object(request.node))
    profile = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "profile_pic": f"{request.base_url}_sim/profile_pic/{customer.psid}",
    }
    return {**_select_fields(profile, fields), "id": customer.psid}


def _select_fields(profile: JSONDict, fields: str | None) -> JSONDict:
    wanted = [f.strip() for f in (fields or ",".join(PROFILE_FIELDS)).split(",") if f.strip()]
    unknown = [f for f in wanted if f not in (*PROFILE_FIELDS, "id")]
    if unknown:
        message = f"Tried accessing nonexisting field ({unknown[0]}) on node type (User)"
        raise GraphFailure(invalid_param(message))
    return {name: profile[name] for name in wanted if name in profile}


def _unknown_object(node: str) -> GraphError:
    message = (
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation."
    )
    return GraphError(message, code=100, error_subcode=33)
