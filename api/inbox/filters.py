"""What the conversation list can be narrowed to, and the rules for what agents type in:
search text (turned into a PostgreSQL tsquery) and labels (normalised)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.models import ConversationStatus
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT

# "Expiring soon": the conversation's current messaging window closes within this.
EXPIRING_WITHIN = timedelta(hours=2)

MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 8
# Shorter terms match whole words only: a one- or two-letter prefix would match half the
# dictionary and make the index scan slow for nothing.
MIN_PREFIX_LENGTH = 3
_PUNCTUATION = ".,;:!?¿¡\"'()[]{}«»“”\u2018\u2019"

MAX_LABELS = 20
MAX_LABEL_LENGTH = 32
_LABEL_SPACES = re.compile(r"\s+")
_LABEL = re.compile(r"^[\w-]+$")


class Folder(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


class WindowFilter(StrEnum):
    """The messaging window as `api.inbox.policy.window_for` computes it; `expiring` is an
    open or HUMAN_AGENT window that closes within `EXPIRING_WITHIN`."""

    OPEN = "open"
    EXPIRING = "expiring"
    HUMAN_AGENT = "human_agent"
    CLOSED = "closed"


def search_query(text: str) -> str:
    """The tsquery (in to_tsquery syntax, config 'simple') for what an agent typed: every
    term must match; plain words of 3+ characters also as a prefix ("refun" finds
    "refunded"). Quoted operands go through the same parser as the indexed text, so
    "john@example.com" or "A-123" match the way they were indexed."""
    stripped = (term.strip(_PUNCTUATION) for term in text.lower().split())
    terms = list(dict.fromkeys(term for term in stripped if term))[:MAX_QUERY_TERMS]
    operands = []
    for term in terms:
        quoted = "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
        prefix = term.isalnum() and len(term) >= MIN_PREFIX_LENGTH
        operands.append(quoted + (":*" if prefix else ""))
    return " & ".join(operands)


def normalize_label(value: str) -> str:
    """`"  VIP  Customer "` → `"vip-customer"`: lower case, spaces become dashes."""
    label = _LABEL_SPACES.sub("-", value.strip()).lower()
    if not label:
        raise ValueError("a label must not be empty")
    if len(label) > MAX_LABEL_LENGTH:
        raise ValueError(f"a label has at most {MAX_LABEL_LENGTH} characters")
    if not _LABEL.match(label):
        raise ValueError(f"{value!r}: use letters, digits, '-' and '_' only")
    return label


def normalize_labels(values: list[str]) -> list[str]:
    labels = list(dict.fromkeys(normalize_label(v) for v in values))
    if len(labels) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} labels per conversation")
    return labels


class ConversationQuery(BaseModel):
    """The query string of `GET /api/inbox/conversations`."""

    model_config = ConfigDict(extra="ignore")

    folder: Folder = Field(Folder.ALL, description="mine: assigned to me; unassigned; all")
    channel_id: uuid.UUID | None = None
    status: list[ConversationStatus] = Field(
        default_factory=list, description="Repeat for several; none means every status."
    )
    assignee_id: uuid.UUID | None = None
    label: str | None = None
    unread: bool | None = Field(None, description="true: unread only; false: read only")
    window: WindowFilter | None = None
    q: str | None = Field(
        None,
        max_length=MAX_QUERY_LENGTH,
        description="Full-text search over message text and notes; every word must match.",
    )
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalize_label(value)

    @field_validator("q")
    @classmethod
    def _q(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not any(ch.isalnum() for ch in value):
            raise ValueError("search for at least one letter or digit")
        return value.strip()
