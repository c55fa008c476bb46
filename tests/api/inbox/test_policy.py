"""Meta's messaging rules as one decision, over the matrix of channel, time since the
customer's last message, author (a person or an automation), and tag or template status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.inbox.policy import HUMAN_AGENT, Refusal, SendIntent, decide, window_for
from api.models import ChannelKind

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MESSENGER, WHATSAPP = ChannelKind.MESSENGER, ChannelKind.WHATSAPP
NEVER = None
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def ago(age: timedelta | None) -> datetime | None:
    return None if age is None else NOW - age


def text(*, human: bool = True, tag: str | None = None) -> SendIntent:
    return SendIntent(type="text", human_written=human, tag=tag)


def template(status: str = "APPROVED", *, human: bool = True) -> SendIntent:
    return SendIntent(type="template", human_written=human, template_status=status)


# (channel, time since the customer last wrote, intent) -> (allowed, messaging_type, tag, reason)
MATRIX = [
    # Messenger, free-form text
    (MESSENGER, HOUR, text(), (True, "RESPONSE", None, None)),
    (MESSENGER, HOUR, text(human=False), (True, "RESPONSE", None, None)),
    (MESSENGER, 23 * HOUR, text(), (True, "RESPONSE", None, None)),
    (MESSENGER, 25 * HOUR, text(), (True, "MESSAGE_TAG", HUMAN_AGENT, None)),
    (MESSENGER, 25 * HOUR, text(human=False), (False, None, None, Refusal.HUMAN_AGENT_ONLY)),
    (MESSENGER, 6 * DAY, text(), (True, "MESSAGE_TAG", HUMAN_AGENT, None)),
    (MESSENGER, 6 * DAY, text(tag=HUMAN_AGENT), (True, "MESSAGE_TAG", HUMAN_AGENT, None)),
    (MESSENGER, 8 * DAY, text(), (False, None, None, Refusal.HUMAN_AGENT_WINDOW_EXPIRED)),
    (MESSENGER, 8 * DAY, text(tag=HUMAN_AGENT), (False, None, None, Refusal.HUMAN_AGENT_WINDOW_EXPIRED)),
    (MESSENGER, 8 * DAY, text(human=False), (False, None, None, Refusal.HUMAN_AGENT_WINDOW_EXPIRED)),
    (MESSENGER, NEVER, text(), (False, None, None, Refusal.WINDOW_CLOSED)),
    # Messenger, tags: HUMAN_AGENT asked for inside the window is honoured, for people only
    (MESSENGER, HOUR, text(tag=HUMAN_AGENT), (True, "MESSAGE_TAG", HUMAN_AGENT, None)),
    (MESSENGER, HOUR, text(human=False, tag=HUMAN_AGENT), (False, None, None, Refusal.HUMAN_AGENT_ONLY)),
    (MESSENGER, HOUR, text(tag="CONFIRMED_EVENT_UPDATE"), (False, None, None, Refusal.TAG_NOT_ALLOWED)),
    (MESSENGER, 2 * DAY, text(tag="POST_PURCHASE_UPDATE"), (False, None, None, Refusal.TAG_NOT_ALLOWED)),
    (MESSENGER, 2 * DAY, text(tag="ACCOUNT_UPDATE"), (False, None, None, Refusal.TAG_NOT_ALLOWED)),
    (MESSENGER, HOUR, text(tag="SHIPPING_UPDATE"), (False, None, None, Refusal.TAG_NOT_ALLOWED)),
    (MESSENGER, HOUR, text(tag="MADE_UP"), (False, None, None, Refusal.TAG_NOT_ALLOWED)),
    # Messenger has no WhatsApp templates
    (MESSENGER, HOUR, template(), (False, None, None, Refusal.TEMPLATE_NOT_SUPPORTED)),
    # WhatsApp, free-form text
    (WHATSAPP, HOUR, text(), (True, None, None, None)),
    (WHATSAPP, HOUR, text(human=False), (True, None, None, None)),
    (WHATSAPP, 23 * HOUR, text(), (True, None, None, None)),
    (WHATSAPP, 25 * HOUR, text(), (False, None, None, Refusal.TEMPLATE_REQUIRED)),
    (WHATSAPP, 3 * DAY, text(), (False, None, None, Refusal.TEMPLATE_REQUIRED)),
    (WHATSAPP, NEVER, text(), (False, None, None, Refusal.TEMPLATE_REQUIRED)),
    (WHATSAPP, HOUR, text(tag=HUMAN_AGENT), (False, None, None, Refusal.TAG_NOT_ALLOWED)),
    # WhatsApp templates: any time when approved, never otherwise
    (WHATSAPP, HOUR, template(), (True, None, None, None)),
    (WHATSAPP, 25 * HOUR, template(), (True, None, None, None)),
    (WHATSAPP, NEVER, template(), (True, None, None, None)),
    (WHATSAPP, NEVER, template(human=False), (True, None, None, None)),
    (WHATSAPP, 25 * HOUR, template("PENDING"), (False, None, None, Refusal.TEMPLATE_NOT_APPROVED)),
    (WHATSAPP, HOUR, template("REJECTED"), (False, None, None, Refusal.TEMPLATE_NOT_APPROVED)),
    (WHATSAPP, HOUR, template("PAUSED"), (False, None, None, Refusal.TEMPLATE_NOT_APPROVED)),
    (WHATSAPP, HOUR, template("DISABLED"), (False, None, None, Refusal.TEMPLATE_NOT_APPROVED)),
    (WHATSAPP, HOUR, template("DELETED"), (False, None, None, Refusal.TEMPLATE_NOT_APPROVED)),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "age", "intent", "expected"), MATRIX)
def test_the_policy_matrix(
    kind: ChannelKind,
    age: timedelta | None,
    intent: SendIntent,
    expected: tuple[bool, str | None, str | None, Refusal | None],
) -> None:
    decision = decide(kind, ago(age), NOW, intent)
    assert (decision.allowed, decision.messaging_type, decision.tag, decision.reason) == expected
    assert (decision.detail is None) is decision.allowed  # a refusal always says why


@pytest.mark.parametrize(
    ("kind", "age", "state", "expires_in"),
    [
        (MESSENGER, HOUR, "open", 23 * HOUR),
        (MESSENGER, 2 * DAY, "human_agent", 5 * DAY),
        (MESSENGER, 8 * DAY, "closed", None),
        (WHATSAPP, HOUR, "open", 23 * HOUR),
        (WHATSAPP, 2 * DAY, "closed", None),
        (WHATSAPP, NEVER, "closed", None),
    ],
)
def test_the_window_the_ui_shows(
    kind: ChannelKind,
    age: timedelta | None,
    state: str,
    expires_in: timedelta | None,
) -> None:
    window = window_for(kind, ago(age), NOW)
    assert window.state == state
    assert window.expires_at == (None if expires_in is None else NOW + expires_in)


def test_the_window_edges_are_exact() -> None:
    """At exactly 24 h the standard window has closed; at exactly 7 days so has HUMAN_AGENT."""
    at_24h = decide(MESSENGER, NOW - 24 * HOUR, NOW, text())
    at_7d = decide(MESSENGER, NOW - 7 * DAY, NOW, text())
    assert (at_24h.messaging_type, at_24h.tag) == ("MESSAGE_TAG", HUMAN_AGENT)
    assert at_7d.reason is Refusal.HUMAN_AGENT_WINDOW_EXPIRED
    assert decide(WHATSAPP, NOW - 24 * HOUR, NOW, text()).reason is Refusal.TEMPLATE_REQUIRED
