"""In-memory simulator state: pages, customers, recorded Graph calls, faults, deliveries.

Every mutation happens while holding ``SimState.lock``; the methods here are synchronous
so a caller can take the lock once around a whole read-check-record sequence.
"""

import asyncio
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from metasim.errors import GraphError, JSONDict

CallKind = Literal["send", "node"]

_FIRST_NAMES = ("Alex", "Sam", "Jordan", "Maria", "Priya", "Kenji", "Amara", "Lucas")
_LAST_NAMES = ("Rivera", "Nguyen", "Okafor", "Schmidt", "Haddad", "Kowalski", "Silva", "Tanaka")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def default_name(psid: str) -> tuple[str, str]:
    """A stable made-up (first, last) name for a PSID, so reruns show the same people."""
    digest = int.from_bytes(hashlib.sha256(psid.encode()).digest()[:8], "big")
    first = _FIRST_NAMES[digest % len(_FIRST_NAMES)]
    last = _LAST_NAMES[(digest // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
    return first, last


@dataclass
class Page:
    """A Facebook page the simulator knows, with the one page token that works for it."""

    id: str
    name: str
    access_token: str

    def public(self) -> JSONDict:
        """The page without its token (tokens are never echoed back)."""
        return {"id": self.id, "name": self.name}


@dataclass
class Customer:
    """A person who wrote to a page; PSIDs are page-scoped, so the key is (page, psid)."""

    page_id: str
    psid: str
    first_name: str
    last_name: str


@dataclass
class Fault:
    """A queued Graph error, answered instead of the next ``remaining`` matching sends."""

    id: int
    page_id: str | None
    error: GraphError
    remaining: int

    def matches(self, page_id: str) -> bool:
        """Whether this fault applies to a send from ``page_id``."""
        return self.remaining > 0 and self.page_id in (None, page_id)

    def to_json(self) -> JSONDict:
        """The fault as reported by ``/_sim/faults``."""
        return {
            "id": self.id,
            "page_id": self.page_id,
            "code": self.error.code,
            "error_subcode": self.error.error_subcode,
            "message": self.error.message,
            "type": self.error.type,
            "http_status": self.error.http_status,
            "is_transient": self.error.is_transient,
            "remaining": self.remaining,
        }


@dataclass
class RecordedCall:
    """One Graph API call as received, including the answer the simulator gave."""

    id: int
    kind: CallKind
    method: str
    path: str
    version: str
    page_id: str | None
    recipient_id: str | None
    body: Any
    token_in_query: bool
    status_code: int
    response: JSONDict
    received_at: datetime

    def to_json(self) -> JSONDict:
        """The call as reported by ``/_sim/sent`` and ``/_sim/calls``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "version": self.version,
            "page_id": self.page_id,
            "recipient_id": self.recipient_id,
            "body": self.body,
            "token_in_query": self.token_in_query,
            "status_code": self.status_code,
            "response": self.response,
            "received_at": self.received_at.isoformat(),
        }


@dataclass
class Delivery:
    """One webhook POST the simulator made, with the exact body it signed."""

    id: int
    page_id: str
    psid: str
    mid: str
    url: str
    body: str
    delivered: bool
    status_code: int | None
    error: str | None
    sent_at: datetime

    def to_json(self) -> JSONDict:
        """The delivery as reported by ``/_sim/deliveries``."""
        return {
            "id": self.id,
            "page_id": self.page_id,
            "psid": self.psid,
            "mid": self.mid,
            "url": self.url,
            "body": self.body,
            "delivered": self.delivered,
            "status_code": self.status_code,
            "error": self.error,
            "sent_at": self.sent_at.isoformat(),
        }


@dataclass
class SimState:
    """Everything the simulator remembers; reset with :meth:`reset`."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pages: dict[str, Page] = field(default_factory=dict)
    customers: dict[tuple[str, str], Customer] = field(default_factory=dict)
    calls: list[RecordedCall] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        """A fresh id, unique across every kind of record."""
        return next(self._ids)

    def reset(self) -> None:
        """Forget everything: pages, customers, calls, faults and deliveries."""
        self.pages.clear()
        self.customers.clear()
        self.calls.clear()
        self.faults.clear()
        self.deliveries.clear()
        self._ids = itertools.count(1)

    def upsert_page(self, page_id: str, name: str, access_token: str) -> Page:
        """Register a page or replace its name and token."""
        page = Page(id=page_id, name=name, access_token=access_token)
        self.pages[page_id] = page
        return page

    def page_for_token(self, token: str) -> Page | None:
        """The page whose token this is, if any."""
        return next((p for p in self.pages.values() if p.access_token == token), None)

    def customer(self, page_id: str, psid: str) -> Customer | None:
        """The customer with this PSID on this page, if they ever wrote to it."""
        return self.customers.get((page_id, psid))

    def upsert_customer(
        self, page_id: str, psid: str, first_name: str | None, last_name: str | None
    ) -> Customer:
        """Create the customer (default names from the PSID) or rename the given parts."""
        existing = self.customer(page_id, psid)
        first, last = (existing.first_name, existing.last_name) if existing else default_name(psid)
        customer = Customer(page_id, psid, first_name or first, last_name or last)
        self.customers[(page_id, psid)] = customer
        return customer

    def add_fault(self, page_id: str | None, error: GraphError, count: int) -> Fault:
        """Queue ``error`` for the next ``count`` sends (from ``page_id``, or any page)."""
        fault = Fault(id=self.next_id(), page_id=page_id, error=error, remaining=count)
        self.faults.append(fault)
        return fault

    def take_fault(self, page_id: str) -> GraphError | None:
        """Consume one use of the oldest fault matching this page, if any."""
        fault = next((f for f in self.faults if f.matches(page_id)), None)
        if fault is None:
            return None
        fault.remaining -= 1
        if fault.remaining == 0:
            self.faults.remove(fault)
        return fault.error
