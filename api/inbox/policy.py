"""Meta's messaging rules, decided in one place for every send path (DESIGN invariant 6).

Messenger: free-form within 24 h of the customer's last message; after that a person may
still answer with the HUMAN_AGENT tag until 7 days; then nothing. WhatsApp: free-form
within 24 h, otherwise approved templates only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from api.models import ChannelKind

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class WindowState(StrEnum):
    OPEN = "open"
    HUMAN_AGENT = "human_agent"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Window:
    state: WindowState
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class SendDecision:
    allowed: bool
    messaging_type: str | None = None
    tag: str | None = None
    reason: str | None = None  # machine-readable refusal: window_closed, ...
    detail: str | None = None


def window_for(kind: ChannelKind, last_inbound_at: datetime | None, now: datetime) -> Window:
    if last_inbound_at is None:
        return Window(WindowState.CLOSED, None)
    if now < last_inbound_at + STANDARD_WINDOW:
        return Window(WindowState.OPEN, last_inbound_at + STANDARD_WINDOW)
    if kind is ChannelKind.MESSENGER and now < last_inbound_at + HUMAN_AGENT_WINDOW:
        return Window(WindowState.HUMAN_AGENT, last_inbound_at + HUMAN_AGENT_WINDOW)
    return Window(WindowState.CLOSED, None)


def decide_free_form(
    kind: ChannelKind, last_inbound_at: datetime | None, now: datetime, *, human_written: bool
) -> SendDecision:
    """May a free-form message go out now, and how must it be labelled?"""
    window = window_for(kind, last_inbound_at, now)
    if window.state is WindowState.OPEN:
        return SendDecision(True, messaging_type="RESPONSE")
    if window.state is WindowState.HUMAN_AGENT:
        if human_written:
            return SendDecision(True, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
        return SendDecision(
            False,
            reason="human_agent_only",
            detail="Over 24 hours since the customer wrote: only a person may reply (HUMAN_AGENT), "
            "not an automation.",
        )
    if kind is ChannelKind.WHATSAPP:
        return SendDecision(
            False,
            reason="template_required",
            detail="Over 24 hours since the customer wrote: WhatsApp allows only approved templates.",
        )
    if last_inbound_at is None:
        return SendDecision(
            False,
            reason="window_closed",
            detail="The customer has not written yet; wait for them to message the page.",
        )
    return SendDecision(
        False,
        reason="human_agent_window_expired",
        detail="Over 7 days since the customer last wrote: Messenger allows no reply until they write again.",
    )
