"""The WhatsApp Cloud API send endpoint: ``POST /{phone-number-id}/messages``.

A number may only write free-form to a ``wa_id`` that wrote to it first (otherwise
131026, as Meta answers for an undeliverable recipient); an approved template may go to
any number (business-initiated). A ``context`` quotes a message (a reply); a
``reaction`` is a message too (an empty emoji removes it). Mark-as-read needs a wamid the
number received. Opt-in limits (``POST /_sim/limits``): throughput per number (130429)
and the pair rate per recipient (131056); the peak sends in any second are measured
either way.
"""

import secrets
import string
import time
from collections import deque
from typing import Any

from metasim import outbound_media, templates
from metasim.accounts import reachable_number
from metasim.errors import GraphError, GraphFailure, JSONDict, wa_error
from metasim.graph_common import CallNotes, GraphRequest, apply_fault
from metasim.state import SimState
from metasim.tokens import Principal, require_scope
from metasim.world import PhoneNumber

MAX_TEXT_LENGTH = 4096
MIN_WA_ID, MAX_WA_ID = 7, 15  # digits of an international number
MESSAGING = "whatsapp_business_messaging"
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
MESSAGE_TYPES = (
    "text",
    *MEDIA_TYPES,
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
)
_WAMID_ALPHABET = string.ascii_letters + string.digits


def new_wamid() -> str:
    """A message id shaped like WhatsApp's (``wamid.`` + base64-looking characters)."""
    return "wamid.HBgL" + "".join(secrets.choice(_WAMID_ALPHABET) for _ in range(48))


def param_error(details: str) -> GraphError:
    """An invalid-parameter (``#100``) error with WhatsApp's ``error_data``."""
    return wa_error(100, "Invalid parameter", details)


def normalise_wa_id(to: str) -> str:
    """``+1 (555) 010-0001`` → ``15550100001`` (what ``contacts[].wa_id`` holds)."""
    return "".join(ch for ch in to if ch not in "+ -()")


def send(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """Handle a send or a mark-as-read for the number in the path."""
    number = reachable_number(state, principal, request.node, "POST")
    notes.phone_number_id = number.id
    body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
    if body.get("status") == "read":
        return _mark_read(state, principal, number, body)
    apply_fault(state, "whatsapp_send", number.id, number.waba_id)
    require_scope(principal, MESSAGING)
    _check_product(body)
    to = body.get("to")
    if not isinstance(to, str | int) or isinstance(to, bool) or str(to).strip() == "":
        raise GraphFailure(wa_error(100, "The parameter to is required.", "to is required"))
    wa_id = normalise_wa_id(str(to))
    if not wa_id.isdigit():
        raise GraphFailure(param_error(f"Invalid phone number: {to}"))
    if body.get("recipient_type", "individual") != "individual":
        raise GraphFailure(param_error("recipient_type must be individual"))
    message_type = body.get("type", "text")
    content = body.get(message_type) if isinstance(message_type, str) else None
    _validate_content(message_type, content)
    if message_type in MEDIA_TYPES and isinstance(content, dict):
        notes.media = outbound_media.whatsapp_media_ref(state, number, message_type, content)
    _validate_context(body.get("context"))
    if message_type == "template":
        templates.check_send(state, number, content if isinstance(content, dict) else {})
        if not MIN_WA_ID <= len(wa_id) <= MAX_WA_ID:
            raise GraphFailure(wa_error(131026, "Message Undeliverable.", "Message Undeliverable."))
    elif (number.id, wa_id) not in state.wa_contacts:
        raise GraphFailure(wa_error(131026, "Message Undeliverable.", "Message Undeliverable."))
    _check_rates(state, number.id, wa_id)
    message: JSONDict = {"id": new_wamid()}
    if message_type == "template":
        message["message_status"] = "accepted"
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": str(to), "wa_id": wa_id}],
        "messages": [message],
    }


def _check_rates(state: SimState, number_id: str, wa_id: str) -> None:
    """Throughput per number and pair rate per recipient; record an accepted send."""
    now = time.monotonic()
    window = state.wa_send_times.setdefault(number_id, deque())
    while window and now - window[0] >= 1.0:
        window.popleft()
    limit = state.whatsapp_per_second
    if limit and len(window) >= limit:
        details = "Cloud API message throughput has been reached."
        raise GraphFailure(wa_error(130429, "Rate limit hit", details))
    # The pair rate as Meta describes it: one per interval, a burst borrowing ahead.
    interval = (state.whatsapp_pair_interval_ms or 0) / 1000
    due = max(state.wa_pair_due.get((number_id, wa_id), now), now)
    if interval and now < due - interval * (state.whatsapp_pair_burst - 1):
        details = (
            "Message failed to send because there were too many messages sent from this "
            "phone number to the same phone number in a short period of time."
        )
        raise GraphFailure(
            wa_error(131056, "(Business Account, Consumer Account) pair rate limit hit", details)
        )
    window.append(now)
    state.wa_pair_due[(number_id, wa_id)] = due + interval
    state.wa_peak_per_second[number_id] = max(
        state.wa_peak_per_second.get(number_id, 0), len(window)
    )


def _mark_read(
    state: SimState, principal: Principal, number: PhoneNumber, body: dict[str, Any]
) -> JSONDict:
    """``{"status": "read", "message_id": wamid}``: the wamid must be one this number got."""
    require_scope(principal, MESSAGING)
    _check_product(body)
    message_id = body.get("message_id")
    received = any(
        message_id in contact.inbound_wamids
        for contact in state.wa_contacts.values()
        if contact.phone_number_id == number.id
    )
    if not received:
        raise GraphFailure(wa_error(131009, "Parameter value is not valid", "Invalid message_id"))
    return {"success": True}


def _validate_context(context: Any) -> None:
    """``context: {"message_id": wamid}`` quotes a message (a reply to it)."""
    if context is None:
        return
    message_id = context.get("message_id") if isinstance(context, dict) else None
    if not isinstance(message_id, str) or not message_id:
        raise GraphFailure(param_error("The parameter context['message_id'] is required."))


def _check_product(body: dict[str, Any]) -> None:
    if body.get("messaging_product") != "whatsapp":
        details = "The parameter messaging_product is required and must be whatsapp."
        raise GraphFailure(wa_error(100, "The parameter messaging_product is required.", details))


def _validate_content(message_type: Any, content: Any) -> None:
    if message_type not in MESSAGE_TYPES:
        allowed = ", ".join(MESSAGE_TYPES)
        raise GraphFailure(param_error(f"type must be one of {{{allowed}}} - got {message_type}"))
    if message_type == "text":
        text = content.get("body") if isinstance(content, dict) else None
        if not isinstance(text, str) or not text.strip():
            details = "The parameter text['body'] is required."
            raise GraphFailure(wa_error(100, details, details))
        if len(text) > MAX_TEXT_LENGTH:
            raise GraphFailure(
                param_error(f"text['body'] must be at most {MAX_TEXT_LENGTH} characters")
            )
        return
    if not isinstance(content, dict | list):
        raise GraphFailure(param_error(f"The parameter {message_type} is required."))
    missing = _missing_part(message_type, content)
    if missing:
        raise GraphFailure(param_error(f"The parameter {message_type}['{missing}'] is required."))


def _missing_part(message_type: str, content: dict[str, Any] | list[Any]) -> str | None:
    if isinstance(content, list):
        return None if message_type == "contacts" and content else "0"
    if message_type in MEDIA_TYPES:
        return None if content.get("id") or content.get("link") else "id"
    required = {
        "location": ("latitude", "longitude"),
        "interactive": ("type", "action"),
        "template": ("name", "language"),
        "reaction": ("message_id", "emoji"),  # an empty emoji removes the reaction
    }.get(message_type, ())
    return next((key for key in required if key not in content), None)
