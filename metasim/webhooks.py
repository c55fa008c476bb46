"""Messenger webhook deliveries: build the payload, serialise once, sign, POST, log.

The body is encoded the way Meta's servers encode it (non-ASCII as ``\\uXXXX`` and ``/``
as ``\\/``), so a receiver that re-serialises JSON before checking the signature fails
here just as it would against Meta.
"""

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

import httpx

from metasim.config import SimSettings
from metasim.errors import AdminError, JSONDict
from metasim.graph_service import new_mid
from metasim.state import Delivery, SimState, utc_now

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


@dataclass(frozen=True)
class PostOutcome:
    """How the target answered: its status, or why there was no answer."""

    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        """A delivery counts only when the target answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


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


async def post_webhook(
    url: str, body: bytes, headers: dict[str, str], timeout_s: float
) -> PostOutcome:
    """POST the signed body; transport failures become an outcome, never an exception."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return PostOutcome(status_code=None, error=_describe(exc))
    error = None if response.is_success else f"target answered HTTP {response.status_code}"
    return PostOutcome(status_code=response.status_code, error=error)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def deliver_message(
    state: SimState, settings: SimSettings, request: DeliveryRequest
) -> Delivery:
    """Deliver one customer message to the webhook URL and log the attempt."""
    async with state.lock:
        psid = _prepare_customer(state, request)
    mid = new_mid()
    body = encode_body(build_message_payload(request.page_id, psid, mid, request.text, now_ms()))
    url = request.url or settings.webhook_url
    headers = signature_headers(body, settings.app_secret)
    outcome = await post_webhook(url, body, headers, settings.webhook_timeout_seconds)
    async with state.lock:
        return _log_delivery(state, request, psid, mid, url, body, outcome)


def _prepare_customer(state: SimState, request: DeliveryRequest) -> str:
    if request.page_id not in state.pages:
        detail = f"page {request.page_id!r} is not registered; PUT /_sim/pages/{{page_id}} first"
        raise AdminError(404, "page_not_found", detail)
    psid = request.psid or new_psid()
    state.upsert_customer(request.page_id, psid, request.first_name, request.last_name)
    return psid


def _log_delivery(
    state: SimState,
    request: DeliveryRequest,
    psid: str,
    mid: str,
    url: str,
    body: bytes,
    outcome: PostOutcome,
) -> Delivery:
    delivery = Delivery(
        id=state.next_id(),
        page_id=request.page_id,
        psid=psid,
        mid=mid,
        url=url,
        body=body.decode("ascii"),
        delivered=outcome.delivered,
        status_code=outcome.status_code,
        error=outcome.error,
        sent_at=utc_now(),
    )
    state.deliveries.append(delivery)
    return delivery
