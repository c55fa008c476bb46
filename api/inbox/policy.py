"""Meta's messaging rules, decided in one place for every send path (DESIGN invariant 6).

Messenger: free-form within 24 h of the customer's last message; after that a person may
still answer with the HUMAN_AGENT tag until 7 days; then nothing until the customer
writes again. WhatsApp: free-form within 24 h, otherwise approved templates only (which
may also start a conversation). Parley sends one message tag only, HUMAN_AGENT: the
others are retired or reserved for non-human notifications an inbox does not send.

The same decision runs when a send is requested (a refusal is a 4xx whose `error` is the
reason) and again when a worker claims the message (the window may have closed while it
waited; the message then fails with the reason as its error code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from api.models import ChannelKind

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)

HUMAN_AGENT = "HUMAN_AGENT"
# Tags Meta retired (2020) or is retiring; never sent, refused with a clear reason.
RETIRED_TAGS = frozenset(
    {
        "CONFIRMED_EVENT_UPDATE",
        "POST_PURCHASE_UPDATE",
        "ACCOUNT_UPDATE",
        "CUSTOMER_FEEDBACK",
        "BUSINESS_PRODUCTIVITY",
        "COMMUNITY_ALERT",
        "CONFIRMED_EVENT_REMINDER",
        "NON_PROMOTIONAL_SUBSCRIPTION",
        "PAIRING_UPDATE",
        "APPLICATION_UPDATE",
        "PAYMENT_UPDATE",
        "PERSONAL_FINANCE_UPDATE",
        "SHIPPING_UPDATE",
        "RESERVATION_UPDATE",
        "ISSUE_RESOLUTION",
        "APPOINTMENT_UPDATE",
        "GAME_EVENT",
        "TRANSPORTATION_UPDATE",
        "FEATURE_FUNCTIONALITY_UPDATE",
        "TICKET_UPDATE",
    }
)


class WindowState(StrEnum):
    OPEN = "open"
    HUMAN_AGENT = "human_agent"
    CLOSED = "closed"


class Refusal(StrEnum):
    """Machine-readable reasons a send is refused (the `error` of the 4xx, and the
    `error.code` of a message that failed when claimed)."""

    WINDOW_CLOSED = "window_closed"  # Messenger: never wrote; reactions: no 24 h window
    HUMAN_AGENT_ONLY = "human_agent_only"  # Messenger 24 h to 7 d: automations may not send
    HUMAN_AGENT_WINDOW_EXPIRED = "human_agent_window_expired"  # Messenger: over 7 days
    TEMPLATE_REQUIRED = "template_required"  # WhatsApp: outside 24 h only templates
    TAG_NOT_ALLOWED = "tag_not_allowed"  # a retired / unknown tag, or a tag on WhatsApp
    TEMPLATE_NOT_SUPPORTED = "template_not_supported"  # templates are WhatsApp's
    TEMPLATE_NOT_APPROVED = "template_not_approved"  # pending, paused, rejected...


# Refusals about the request itself (422) rather than the conversation's state (409).
INVALID_REQUEST = frozenset({Refusal.TAG_NOT_ALLOWED, Refusal.TEMPLATE_NOT_SUPPORTED})


@dataclass(frozen=True, slots=True)
class Window:
    state: WindowState
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class SendIntent:
    """What is to be sent, as far as the rules care."""

    type: Literal["text", "template"]
    human_written: bool
    tag: str | None = None  # asked for explicitly (only HUMAN_AGENT is ever allowed)
    template_status: str | None = None  # for templates: the template's status now


@dataclass(frozen=True, slots=True)
class SendDecision:
    allowed: bool
    messaging_type: str | None = None  # Messenger: RESPONSE | MESSAGE_TAG
    tag: str | None = None
    reason: Refusal | None = None
    detail: str | None = None


def window_for(kind: ChannelKind, last_inbound_at: datetime | None, now: datetime) -> Window:
    if last_inbound_at is None:
        return Window(WindowState.CLOSED, None)
    if now < last_inbound_at + STANDARD_WINDOW:
        return Window(WindowState.OPEN, last_inbound_at + STANDARD_WINDOW)
    if kind is ChannelKind.MESSENGER and now < last_inbound_at + HUMAN_AGENT_WINDOW:
        return Window(WindowState.HUMAN_AGENT, last_inbound_at + HUMAN_AGENT_WINDOW)
    return Window(WindowState.CLOSED, None)


def refuse(reason: Refusal, detail: str) -> SendDecision:
    return SendDecision(False, reason=reason, detail=detail)


def decide(
    kind: ChannelKind, last_inbound_at: datetime | None, now: datetime, intent: SendIntent
) -> SendDecision:
    """May this message go out now, and how must it be labelled?"""
    if intent.tag is not None:
        problem = _tag_problem(kind, intent.tag, intent.human_written)
        if problem is not None:
            return problem
    if intent.type == "template":
        return _template(kind, intent)
    window = window_for(kind, last_inbound_at, now)
    if kind is ChannelKind.WHATSAPP:
        return _whatsapp_free_form(window, last_inbound_at)
    return _messenger_free_form(window, last_inbound_at, intent)


def decide_reaction(
    kind: ChannelKind, last_inbound_at: datetime | None, now: datetime
) -> SendDecision:
    """May the business react (or take its reaction back) now? Only inside the 24-hour
    window: on WhatsApp a reaction is a message like any free-form one; on Messenger it is
    a sender action, which carries no message tag, so HUMAN_AGENT cannot stretch the
    window for it [unverified: Meta documents no window rule for sender actions]."""
    if window_for(kind, last_inbound_at, now).state is WindowState.OPEN:
        return SendDecision(True)
    if last_inbound_at is None:
        detail = "The customer has not written yet; reactions go in the 24-hour window."
    else:
        detail = "Over 24 hours since the customer wrote: reactions are not allowed any more."
    return refuse(Refusal.WINDOW_CLOSED, detail)


def _tag_problem(kind: ChannelKind, tag: str, human_written: bool) -> SendDecision | None:
    if kind is ChannelKind.WHATSAPP:
        return refuse(Refusal.TAG_NOT_ALLOWED, "WhatsApp has no message tags; use a template.")
    if tag == HUMAN_AGENT:
        if human_written:
            return None
        return refuse(
            Refusal.HUMAN_AGENT_ONLY, "The HUMAN_AGENT tag is only for replies a person wrote."
        )
    if tag.upper() in RETIRED_TAGS:
        return refuse(
            Refusal.TAG_NOT_ALLOWED,
            f"The {tag.upper()} tag is retired by Meta; Parley only sends HUMAN_AGENT replies.",
        )
    return refuse(Refusal.TAG_NOT_ALLOWED, f"Unknown message tag {tag!r}; only HUMAN_AGENT.")


def _template(kind: ChannelKind, intent: SendIntent) -> SendDecision:
    if kind is not ChannelKind.WHATSAPP:
        return refuse(Refusal.TEMPLATE_NOT_SUPPORTED, "Templates are sent on WhatsApp only.")
    if (intent.template_status or "").upper() != "APPROVED":
        status = (intent.template_status or "unknown").lower()
        return refuse(
            Refusal.TEMPLATE_NOT_APPROVED,
            f"This template is {status}; only approved templates can be sent.",
        )
    # Approved templates may be sent at any time, inside the window or not.
    return SendDecision(True)


def _whatsapp_free_form(window: Window, last_inbound_at: datetime | None) -> SendDecision:
    if window.state is WindowState.OPEN:
        return SendDecision(True)
    if last_inbound_at is None:
        detail = "The customer has not written yet: start the conversation with a template."
    else:
        detail = "Over 24 hours since the customer wrote: WhatsApp allows only approved templates."
    return refuse(Refusal.TEMPLATE_REQUIRED, detail)


def _messenger_free_form(
    window: Window, last_inbound_at: datetime | None, intent: SendIntent
) -> SendDecision:
    tagged = SendDecision(True, messaging_type="MESSAGE_TAG", tag=HUMAN_AGENT)
    if window.state is WindowState.OPEN:
        if intent.tag == HUMAN_AGENT:
            return tagged
        return SendDecision(True, messaging_type="RESPONSE")
    if window.state is WindowState.HUMAN_AGENT:
        if intent.human_written:
            return tagged  # a person is answering: HUMAN_AGENT applies (asked for or not)
        return refuse(
            Refusal.HUMAN_AGENT_ONLY,
            "Over 24 hours since the customer wrote: only a person may reply "
            "(HUMAN_AGENT), not an automation.",
        )
    if last_inbound_at is None:
        return refuse(
            Refusal.WINDOW_CLOSED,
            "The customer has not written yet; wait for them to message the page.",
        )
    return refuse(
        Refusal.HUMAN_AGENT_WINDOW_EXPIRED,
        "Over 7 days since the customer last wrote: Messenger allows no reply until they "
        "write again.",
    )
