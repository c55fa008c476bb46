"""Graph API errors: what they mean and what to do about them (meta-platform.md §1).

Decisions are made on `code` and `error_subcode`, never on the message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorAction(StrEnum):
    RETRY = "retry"  # transient: back off and try again
    REAUTH = "reauth"  # the token is dead: the channel needs re-authorisation
    PERMANENT = "permanent"  # this request will never succeed as it is


RETRYABLE_CODES = frozenset(
    {1, 2, 4, 17, 32, 341, 613, 130429, 131000, 131016, 131056, 131057, 80007}
)
RETRYABLE_CODES |= frozenset(range(80001, 80010))
REAUTH_CODES = frozenset({0, 102, 190})

# Readable reasons for the codes agents actually meet (code, subcode) -> text.
REASONS: dict[tuple[int, int | None], str] = {
    (10, 2018278): "Sent outside the 24-hour messaging window; the customer must write first.",
    (551, 1545041): "This person isn't available right now (messages off, blocked or deactivated).",
    (100, 2018001): "No matching user found for this recipient.",
    (190, None): "The channel's access token is invalid or expired; reconnect the channel.",
    (190, 463): "The channel's access token has expired; reconnect the channel.",
    (190, 460): "The token was invalidated by a password change; reconnect the channel.",
    (190, 458): "The app was removed from the account; reconnect the channel.",
    (368, None): "Temporarily blocked by Meta for a policy violation.",
    (4, None): "Meta's app rate limit was reached.",
    (32, None): "Meta's page rate limit was reached.",
    (613, None): "Meta's rate limit for this call was reached.",
    (131047, None): "More than 24 hours since the customer last wrote; send a template instead.",
    (131026, None): "The message could not be delivered to this WhatsApp user.",
    (130429, None): "The phone number's throughput limit was reached.",
    (131056, None): "Too many messages to this customer in a short time.",
    # Graph and Messenger codes (meta-platform.md §1)
    (2, None): "Meta's service is temporarily unavailable (or the person blocked the page).",
    (80007, None): "The WhatsApp Business Account's rate limit was reached.",
    (2, 2018344): "The page has not accepted Meta's terms for labels.",
    (2018108, None): "This person cannot be messaged by the page.",
    # WhatsApp Cloud API codes (meta-platform.md §1)
    (131000, None): "WhatsApp had an unknown error sending this message.",
    (131005, None): "WhatsApp denied access: the number's permissions are missing.",
    (131008, None): "A required parameter of the message is missing.",
    (131009, None): "A parameter of the message has an invalid value.",
    (131016, None): "WhatsApp is temporarily unavailable.",
    (131021, None): "The recipient is the business number itself.",
    (131030, None): "The recipient is not on the test number's allowed list.",
    (131031, None): "The WhatsApp Business Account is locked.",
    (131042, None): "There is a problem with the WhatsApp Business Account's payment method.",
    (131045, None): "The phone number is not registered with WhatsApp correctly.",
    (131048, None): "Sending is limited: too many recipients blocked or reported the number.",
    (131049, None): "Meta held this marketing message back to keep the customer's experience "
    "healthy; try again much later.",
    (131051, None): "WhatsApp does not support this message type.",
    (131053, None): "WhatsApp could not use the media of this message.",
    (131057, None): "The WhatsApp Business Account is in maintenance mode.",
    (130472, None): "The customer's number is part of a WhatsApp experiment; not delivered.",
    (132000, None): "The template's parameters do not match its variables.",
    (132001, None): "The template does not exist in this language or is not approved.",
    (132005, None): "The template's text is too long with these parameters.",
    (132007, None): "The template's content breaks WhatsApp's policy.",
    (132008, None): "A template parameter has the wrong format.",
    (132012, None): "A template parameter has the wrong format.",
    (132015, None): "The template is paused for low quality.",
    (132016, None): "The template has been disabled.",
    (133010, None): "The phone number is not registered with WhatsApp.",
    (135000, None): "WhatsApp refused the message (generic user error).",
    (470, None): "More than 24 hours since the customer last wrote; send a template instead.",
}


@dataclass(eq=False)  # not frozen: Python sets __traceback__ etc. on raised exceptions
class GraphError(Exception):
    """A failed Graph call, parsed from Meta's error envelope (or a network failure)."""

    http_status: int | None
    code: int | None
    subcode: int | None
    message: str
    fbtrace_id: str | None = None
    is_transient: bool = False

    @classmethod
    def from_response(cls, http_status: int, body: Any) -> GraphError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(http_status, None, None, f"Graph API answered HTTP {http_status}")
        details = (
            (error.get("error_data") or {}).get("details")
            if isinstance(error.get("error_data"), dict)
            else None
        )
        return cls(
            http_status=http_status,
            code=_int_or_none(error.get("code")),
            subcode=_int_or_none(error.get("error_subcode")),
            message=str(details or error.get("message") or "Graph API error"),
            fbtrace_id=error.get("fbtrace_id"),
            is_transient=bool(error.get("is_transient", False)),
        )

    @property
    def action(self) -> ErrorAction:
        if self.code in REAUTH_CODES:
            return ErrorAction.REAUTH
        if self.code is None:  # network failure or non-Meta answer
            is_server = self.http_status is None or self.http_status >= 500
            return ErrorAction.RETRY if is_server else ErrorAction.PERMANENT
        if self.code in RETRYABLE_CODES or self.is_transient:
            return ErrorAction.RETRY
        return ErrorAction.PERMANENT

    @property
    def error_code(self) -> str:
        """The stored, machine-readable code: "10/2018278", "190", "network"."""
        if self.code is None:
            return "network" if self.http_status is None else f"http_{self.http_status}"
        return f"{self.code}/{self.subcode}" if self.subcode else str(self.code)

    @property
    def reason(self) -> str:
        if self.code is not None:
            known = REASONS.get((self.code, self.subcode)) or REASONS.get((self.code, None))
            if known:
                return known
        return self.message

    def __str__(self) -> str:
        return f"Graph error {self.error_code}: {self.message}"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
