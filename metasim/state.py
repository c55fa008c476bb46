"""In-memory simulator state: the simulated world, recorded Graph calls, faults, deliveries.

Every mutation happens while holding ``SimState.lock``; the methods here are synchronous
so a caller can take the lock once around a whole read-check-record sequence.
"""

import asyncio
import hashlib
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from metasim.errors import GraphError, JSONDict
from metasim.world import (
    Business,
    Conversation,
    ConversationMessage,
    MediaAsset,
    MessageTemplate,
    MessengerAttachment,
    OAuthCode,
    OutboundWa,
    PhoneNumber,
    SimUser,
    TokenRecord,
    Waba,
    WaContact,
)

CallKind = Literal[
    "send",
    "node",
    "whatsapp_send",
    "oauth_dialog",
    "oauth_access_token",
    "debug_token",
    "me_accounts",
    "subscribed_apps",
    "businesses",
    "whatsapp_accounts",
    "phone_numbers",
    "conversations",
    "permissions",
    "register",
    "media",
    "media_download",
    "message_templates",
    "media_upload",
    "attachment_upload",
]
FaultEndpoint = Literal[
    "send",
    "whatsapp_send",
    "oauth_access_token",
    "debug_token",
    "me_accounts",
    "subscribed_apps",
    "businesses",
    "whatsapp_accounts",
    "phone_numbers",
    "conversations",
    "profile",
    "register",
    "media",
    "message_templates",
    "media_upload",
    "attachment_upload",
]
DeliveryKind = Literal["messenger", "whatsapp", "deauthorize", "data_deletion"]
SENT_KINDS = ("send", "whatsapp_send")

_FIRST_NAMES = ("Alex", "Sam", "Jordan", "Maria", "Priya", "Kenji", "Amara", "Lucas")
_LAST_NAMES = ("Rivera", "Nguyen", "Okafor", "Schmidt", "Haddad", "Kowalski", "Silva", "Tanaka")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def now_s() -> int:
    """Seconds since the epoch (token and code lifetimes use this clock)."""
    return int(time.time())


def default_name(psid: str) -> tuple[str, str]:
    """A stable made-up (first, last) name for a PSID, so reruns show the same people."""
    digest = int.from_bytes(hashlib.sha256(psid.encode()).digest()[:8], "big")
    first = _FIRST_NAMES[digest % len(_FIRST_NAMES)]
    last = _LAST_NAMES[(digest // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
    return first, last


def stable_digits(*parts: str, length: int = 15) -> str:
    """A stable numeric id derived from ``parts`` (never starting with 0)."""
    digest = int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest()[:12], "big")
    return str(10 ** (length - 1) + digest % (9 * 10 ** (length - 1)))


@dataclass
class Page:
    """A Facebook page; ``access_token`` is the one registered with ``PUT /_sim/pages``.

    Page tokens handed out by ``/me/accounts`` live in :attr:`SimState.tokens`; both kinds
    work for the Send API.
    """

    id: str
    name: str
    access_token: str | None
    category: str = "Business"
    registered_at: int = 0
    subscriptions: dict[str, list[str]] = field(default_factory=dict)  # app id -> fields

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

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass
class Fault:
    """A queued Graph error, answered instead of the next ``remaining`` matching calls.

    ``page_id`` narrows it to calls about one object: a page, a phone number, a WABA or a
    business, depending on the endpoint.
    """

    id: int
    endpoint: FaultEndpoint
    page_id: str | None
    error: GraphError
    remaining: int

    def matches(self, endpoint: str, target_ids: tuple[str, ...]) -> bool:
        """Whether this fault applies to a call of ``endpoint`` about one of ``target_ids``."""
        return (
            self.remaining > 0
            and self.endpoint == endpoint
            and (self.page_id is None or self.page_id in target_ids)
        )

    def to_json(self) -> JSONDict:
        """The fault as reported by ``/_sim/faults``."""
        return {
            "id": self.id,
            "endpoint": self.endpoint,
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
    query: dict[str, str] = field(default_factory=dict)
    phone_number_id: str | None = None
    # The uploaded file a send used (WhatsApp media id / Messenger attachment id): its id,
    # type, name, size and sha256.
    media: JSONDict | None = None

    def to_json(self) -> JSONDict:
        """The call as reported by ``/_sim/sent`` and ``/_sim/calls``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "version": self.version,
            "page_id": self.page_id,
            "phone_number_id": self.phone_number_id,
            "recipient_id": self.recipient_id,
            "query": self.query,
            "body": self.body,
            "token_in_query": self.token_in_query,
            "status_code": self.status_code,
            "response": self.response,
            "media": self.media,
            "received_at": self.received_at.isoformat(),
        }


@dataclass
class Delivery:
    """One POST the simulator made (a webhook or a signed request), with the exact body.

    ``refs`` are the kind's own ids: ``page_id``/``psid``/``mid`` for Messenger,
    ``phone_number_id``/``waba_id``/``wa_id``/``wamid`` for WhatsApp, ``user_id`` for
    signed requests. Event deliveries add ``event`` (their kind) and their scalar ids,
    automatic ones ``auto``, batches ``batch_id``/``copy``/``events``.
    """

    id: int
    kind: DeliveryKind
    refs: dict[str, str]
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
            "kind": self.kind,
            **self.refs,
            "url": self.url,
            "body": self.body,
            "delivered": self.delivered,
            "status_code": self.status_code,
            "error": self.error,
            "sent_at": self.sent_at.isoformat(),
        }


@dataclass
class AutoEvents:
    """What Meta sends on its own after a send (``POST /_sim/settings``); all on by default.

    After a Messenger send: the ``is_echo`` message, then ``delivery`` and ``read``
    receipts; after a WhatsApp send: statuses sent, delivered, read. Each one waits
    ``status_delay_ms`` before it is POSTed.
    """

    messenger_echoes: bool = True
    messenger_receipts: bool = True
    whatsapp_statuses: bool = True
    status_delay_ms: int = 200

    def to_json(self) -> JSONDict:
        """The settings as ``/_sim/settings`` shows them."""
        return {
            "messenger_echoes": self.messenger_echoes,
            "messenger_receipts": self.messenger_receipts,
            "whatsapp_statuses": self.whatsapp_statuses,
            "status_delay_ms": self.status_delay_ms,
        }


Seeder = Callable[["SimState"], None]


@dataclass
class SimState:
    """Everything the simulator remembers; :meth:`reset` empties it and re-seeds fixtures."""

    app_id: str = "100000000000001"
    seed: Seeder | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pages: dict[str, Page] = field(default_factory=dict)
    customers: dict[tuple[str, str], Customer] = field(default_factory=dict)
    calls: list[RecordedCall] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    users: dict[str, SimUser] = field(default_factory=dict)
    businesses: dict[str, Business] = field(default_factory=dict)
    wabas: dict[str, Waba] = field(default_factory=dict)
    numbers: dict[str, PhoneNumber] = field(default_factory=dict)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    codes: dict[str, OAuthCode] = field(default_factory=dict)
    denied_scopes: set[str] = field(default_factory=set)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    wa_contacts: dict[tuple[str, str], WaContact] = field(default_factory=dict)
    conversations_per_second: int | None = None
    conversation_calls: dict[str, deque[float]] = field(default_factory=dict)
    whatsapp_per_second: int | None = None
    whatsapp_pair_interval_ms: int | None = None
    whatsapp_pair_burst: int = 1
    wa_send_times: dict[str, deque[float]] = field(default_factory=dict)  # last second's
    wa_pair_due: dict[tuple[str, str], float] = field(default_factory=dict)  # next due time
    wa_peak_per_second: dict[str, int] = field(default_factory=dict)
    templates: dict[str, MessageTemplate] = field(default_factory=dict)
    media: dict[str, MediaAsset] = field(default_factory=dict)  # WhatsApp media ids
    cdn: dict[str, MediaAsset] = field(default_factory=dict)  # Messenger CDN assets
    # Reusable attachments pages uploaded (``/message_attachments``), by attachment id.
    messenger_attachments: dict[str, MessengerAttachment] = field(default_factory=dict)
    wa_outbound: dict[str, OutboundWa] = field(default_factory=dict)
    auto_events: AutoEvents = field(default_factory=AutoEvents)
    background: set["asyncio.Task[None]"] = field(default_factory=set)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        """A fresh id, unique across every kind of record."""
        return next(self._ids)

    def reset(self) -> None:
        """Forget everything, then load the fixtures again (when a seeder is set)."""
        for store in (
            self.pages,
            self.customers,
            self.users,
            self.businesses,
            self.wabas,
            self.numbers,
            self.tokens,
            self.codes,
            self.conversations,
            self.wa_contacts,
            self.conversation_calls,
            self.wa_send_times,
            self.wa_pair_due,
            self.wa_peak_per_second,
            self.templates,
            self.media,
            self.cdn,
            self.messenger_attachments,
            self.wa_outbound,
        ):
            store.clear()
        self.auto_events = AutoEvents()
        self.cancel_background()
        self.calls.clear()
        self.faults.clear()
        self.deliveries.clear()
        self.denied_scopes.clear()
        self.conversations_per_second = None
        self.whatsapp_per_second = None
        self.whatsapp_pair_interval_ms = None
        self.whatsapp_pair_burst = 1
        self._ids = itertools.count(1)
        if self.seed is not None:
            self.seed(self)

    def cancel_background(self) -> int:
        """Cancel automatic deliveries still waiting to be sent; how many there were."""
        pending = [task for task in self.background if not task.done()]
        for task in pending:
            task.cancel()
        self.background.clear()
        return len(pending)

    # Pages and customers ------------------------------------------------------------

    def upsert_page(self, page_id: str, name: str, access_token: str) -> Page:
        """Register a page or replace its name and registered token (keeping the rest)."""
        page = self.pages.get(page_id)
        if page is None:
            page = Page(id=page_id, name=name, access_token=access_token)
            self.pages[page_id] = page
        page.name, page.access_token, page.registered_at = name, access_token, now_s()
        return page

    def page_for_token(self, token: str) -> Page | None:
        """The page whose token this is (registered, or handed out by /me/accounts)."""
        registered = next((p for p in self.pages.values() if p.access_token == token), None)
        if registered is not None:
            return registered
        record = self.tokens.get(token)
        if record is not None and record.page_id is not None:
            return self.pages.get(record.page_id)
        return None

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

    def find_conversation(self, page_id: str, psid: str) -> Conversation | None:
        """The page's thread with this customer, if there is one."""
        return self.conversations.get("t_" + stable_digits(page_id, psid))

    def conversation_with(self, page_id: str, psid: str) -> Conversation:
        """The page's thread with this customer, created empty when new."""
        conversation_id = "t_" + stable_digits(page_id, psid)
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            conversation = Conversation(id=conversation_id, page_id=page_id, psid=psid)
            self.conversations[conversation_id] = conversation
        return conversation

    def add_conversation_message(
        self, page_id: str, psid: str, mid: str, text: str, *, from_page: bool
    ) -> None:
        """Append a message to the page's thread with this customer."""
        message = ConversationMessage(mid, utc_now(), from_page, text)
        self.conversation_with(page_id, psid).messages.append(message)

    def find_message(self, mid: str) -> tuple[Conversation, ConversationMessage] | None:
        """The conversation holding the message with this id, and the message."""
        for conversation in self.conversations.values():
            for message in conversation.messages:
                if message.id == mid:
                    return conversation, message
        return None

    # Faults -------------------------------------------------------------------------

    def add_fault(
        self,
        page_id: str | None,
        error: GraphError,
        count: int,
        endpoint: FaultEndpoint = "send",
    ) -> Fault:
        """Queue ``error`` for the next ``count`` calls of ``endpoint`` (about ``page_id``)."""
        fault = Fault(
            id=self.next_id(), endpoint=endpoint, page_id=page_id, error=error, remaining=count
        )
        self.faults.append(fault)
        return fault

    def take_fault(self, endpoint: FaultEndpoint, *target_ids: str) -> GraphError | None:
        """Consume one use of the oldest fault matching this call, if any."""
        fault = next((f for f in self.faults if f.matches(endpoint, target_ids)), None)
        if fault is None:
            return None
        fault.remaining -= 1
        if fault.remaining == 0:
            self.faults.remove(fault)
        return fault.error

    # Tokens -------------------------------------------------------------------------

    def token_owner(self, token: str) -> str | None:
        """What already uses this token string (for conflict checks), if anything."""
        page = next((p for p in self.pages.values() if p.access_token == token), None)
        if page is not None:
            return f"page {page.id}"
        number = next((n for n in self.numbers.values() if n.access_token == token), None)
        if number is not None:
            return f"phone number {number.id}"
        if token in self.tokens:
            return "an issued Graph token"
        return None
