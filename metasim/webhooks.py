"""Webhook deliveries (Messenger and WhatsApp) and signed-request callbacks.

Build the payload, serialise once, sign, POST, log.

The body is encoded the way Meta's servers encode it (non-ASCII as ``\\uXXXX`` and ``/``
as ``\\/``), so a receiver that re-serialises JSON before checking the signature fails
here just as it would against Meta.
"""

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlencode

import httpx

from metasim.config import SimSettings
from metasim.errors import AdminError, JSONDict
from metasim.graph_service import new_mid
from metasim.signed_request import build_signed_request
from metasim.state import Delivery, DeliveryKind, SimState, default_name, now_s, utc_now
from metasim.tokens import revoke_user
from metasim.whatsapp import new_wamid
from metasim.world import PhoneNumber, WaContact

USER_AGENT = "facebookexternalua"


@dataclass(frozen=True)
class DeliveryRequest:
    """What to deliver: one text message from a customer (new or known) to a page."""

    page_id: str
    text: str
    psid: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    url: str | None = None
    ago_seconds: int = 0  # written this long ago (a late delivery), for the window rules


@dataclass(frozen=True)
class WhatsAppDeliveryRequest:
    """What to deliver: one WhatsApp text from a user (new or known) to a business number."""

    phone_number_id: str
    text: str
    wa_id: str | None = None
    name: str | None = None
    url: str | None = None
    ago_seconds: int = 0


@dataclass(frozen=True)
class PostOutcome:
    """How the target answered: its status (and body), or why there was no answer."""

    status_code: int | None
    error: str | None
    text: str | None = None

    @property
    def delivered(self) -> bool:
        """A delivery counts only when the target answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


def new_wa_id() -> str:
    """A random US-looking WhatsApp id (country code + number, digits only)."""
    return "1555" + str(secrets.randbelow(10**7)).zfill(7)


def new_psid() -> str:
    """A random 16-digit page-scoped id (never starting with 0)."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def now_ms() -> int:
    """Milliseconds since the epoch, the unit of Messenger ``time``/``timestamp``."""
    return time.time_ns() // 1_000_000


def build_message_payload(page_id: str, psid: str, mid: str, text: str, at_ms: int) -> JSONDict:
    """A Messenger ``object: page`` webhook body carrying one inbound text message."""
    event = {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": at_ms,
        "message": {"mid": mid, "text": text},
    }
    return {"object": "page", "entry": [{"id": page_id, "time": at_ms, "messaging": [event]}]}


def build_whatsapp_payload(
    number: PhoneNumber, wa_id: str, name: str, wamid: str, text: str, at_s: int
) -> JSONDict:
    """A ``whatsapp_business_account`` webhook body carrying one inbound text message."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": number.webhook_display_number,
            "phone_number_id": number.id,
        },
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [
            {
                "from": wa_id,
                "id": wamid,
                "timestamp": str(at_s),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": number.waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def encode_body(payload: JSONDict) -> bytes:
    """Serialise like Meta does: compact, ASCII-only, forward slashes escaped."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    # "/" only ever appears inside JSON strings, where "\/" is a valid escape.
    return text.replace("/", "\\/").encode("ascii")


def signature_headers(body: bytes, app_secret: str) -> dict[str, str]:
    """The headers Meta sends with a delivery, signing exactly ``body``."""
    key = app_secret.encode()
    sha256 = hmac.new(key, body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(key, body, hashlib.sha1).hexdigest()
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hub-Signature-256": f"sha256={sha256}",
        "X-Hub-Signature": f"sha1={sha1}",
    }


_client: httpx.AsyncClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def webhook_client() -> httpx.AsyncClient:
    """The one HTTP client every delivery goes through (its connections kept alive), for
    the running event loop. Like a fresh client per POST, it never sends cookies back (the
    jar refuses them all) and does not cap how many deliveries are in flight at once."""
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    if _client is None or _client.is_closed or _client_loop is not loop:
        _client = httpx.AsyncClient(
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
        )
        _client_loop = loop
    return _client


async def close_webhook_client() -> None:
    """Close the shared client (the app's shutdown); the next delivery opens a new one."""
    global _client, _client_loop
    client, _client, _client_loop = _client, None, None
    if client is not None:
        await client.aclose()


async def post_webhook(
    url: str, body: bytes, headers: dict[str, str], timeout_s: float
) -> PostOutcome:
    """POST the signed body; transport failures become an outcome, never an exception."""
    try:
        client = webhook_client()
        response = await client.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return PostOutcome(status_code=None, error=_describe(exc))
    error = None if response.is_success else f"target answered HTTP {response.status_code}"
    return PostOutcome(status_code=response.status_code, error=error, text=response.text)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def deliver_message(
    state: SimState, settings: SimSettings, request: DeliveryRequest
) -> Delivery:
    """Deliver one customer message to the webhook URL and log the attempt.

    The message also joins the page's conversation (Conversations API), delivered or not.
    """
    mid = new_mid()
    async with state.lock:
        psid = _prepare_customer(state, request, mid)
    body = encode_body(
        build_message_payload(
            request.page_id, psid, mid, request.text, now_ms() - request.ago_seconds * 1000
        )
    )
    url = request.url or settings.webhook_url
    headers = signature_headers(body, settings.app_secret)
    outcome = await post_webhook(url, body, headers, settings.webhook_timeout_seconds)
    refs = {"page_id": request.page_id, "psid": psid, "mid": mid}
    async with state.lock:
        return log_delivery(state, "messenger", refs, url, body, outcome)


def _prepare_customer(state: SimState, request: DeliveryRequest, mid: str) -> str:
    if request.page_id not in state.pages:
        detail = f"page {request.page_id!r} is not registered; PUT /_sim/pages/{{page_id}} first"
        raise AdminError(404, "page_not_found", detail)
    psid = request.psid or new_psid()
    state.upsert_customer(request.page_id, psid, request.first_name, request.last_name)
    state.add_conversation_message(request.page_id, psid, mid, request.text, from_page=False)
    return psid


async def deliver_whatsapp_message(
    state: SimState, settings: SimSettings, request: WhatsAppDeliveryRequest
) -> Delivery:
    """Deliver one WhatsApp user's text to the webhook URL and log the attempt."""
    wamid = new_wamid()
    async with state.lock:
        number, contact = _prepare_wa_contact(state, request, wamid)
    payload = build_whatsapp_payload(
        number, contact.wa_id, contact.name, wamid, request.text, now_s() - request.ago_seconds
    )
    body = encode_body(payload)
    url = request.url or settings.webhook_url
    headers = signature_headers(body, settings.app_secret)
    outcome = await post_webhook(url, body, headers, settings.webhook_timeout_seconds)
    refs = {
        "phone_number_id": number.id,
        "waba_id": number.waba_id,
        "wa_id": contact.wa_id,
        "wamid": wamid,
    }
    async with state.lock:
        return log_delivery(state, "whatsapp", refs, url, body, outcome)


def _prepare_wa_contact(
    state: SimState, request: WhatsAppDeliveryRequest, wamid: str
) -> tuple[PhoneNumber, WaContact]:
    number = state.numbers.get(request.phone_number_id)
    if number is None:
        detail = (
            f"phone number {request.phone_number_id!r} is not registered; "
            "PUT /_sim/whatsapp/numbers/{phone_number_id} first"
        )
        raise AdminError(404, "number_not_found", detail)
    wa_id = request.wa_id or new_wa_id()
    key = (number.id, wa_id)
    contact = state.wa_contacts.get(key)
    if contact is None:
        contact = WaContact(number.id, wa_id, request.name or " ".join(default_name(wa_id)))
        state.wa_contacts[key] = contact
    elif request.name:
        contact.name = request.name
    contact.inbound_wamids.add(wamid)
    return number, contact


@dataclass(frozen=True)
class SignedRequestOutcome:
    """A signed-request callback: what was sent and how the target answered."""

    signed_request: str
    outcome: PostOutcome


async def post_signed_request(
    state: SimState, settings: SimSettings, user_id: str, kind: DeliveryKind, url: str
) -> SignedRequestOutcome:
    """POST ``signed_request=...`` (form-encoded) to a deauthorize/data-deletion callback.

    A deauthorize first revokes every token the user gave this app, as removing the app
    does on Facebook.
    """
    signed = build_signed_request(settings.app_secret, user_id, now_s())
    if kind == "deauthorize":
        async with state.lock:
            revoke_user(state, user_id, settings.app_id)
    body = urlencode({"signed_request": signed}).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
    outcome = await post_webhook(url, body, headers, settings.webhook_timeout_seconds)
    async with state.lock:
        log_delivery(state, kind, {"user_id": user_id}, url, body, outcome)
    return SignedRequestOutcome(signed, outcome)


async def post_signed(
    state: SimState,
    settings: SimSettings,
    kind: DeliveryKind,
    refs: dict[str, str],
    url: str,
    body: bytes,
) -> Delivery:
    """Sign ``body`` (already encoded), POST it to ``url`` and log the attempt."""
    headers = signature_headers(body, settings.app_secret)
    outcome = await post_webhook(url, body, headers, settings.webhook_timeout_seconds)
    async with state.lock:
        return log_delivery(state, kind, refs, url, body, outcome)


def log_delivery(
    state: SimState,
    kind: DeliveryKind,
    refs: dict[str, str],
    url: str,
    body: bytes,
    outcome: PostOutcome,
) -> Delivery:
    """Append one delivery attempt to the deliveries log."""
    delivery = Delivery(
        id=state.next_id(),
        kind=kind,
        refs=refs,
        url=url,
        body=body.decode("ascii"),
        delivered=outcome.delivered,
        status_code=outcome.status_code,
        error=outcome.error,
        sent_at=utc_now(),
    )
    state.deliveries.append(delivery)
    return delivery
