"""Sending one delivery: claim it, POST the signed body, record the outcome.

One attempt is three steps, each its own short unit of work or none:

1. Claim (locked, SKIP LOCKED): only a pending delivery whose time has come is sent; its
   `next_attempt_at` moves a lease ahead, so the sweeper leaves it alone while it is in
   flight. A disabled endpoint's delivery is marked failed instead ("endpoint disabled").
2. POST the stored payload's exact bytes, signed (`Parley-Signature`), with
   `OUTGOING_WEBHOOKS_TIMEOUT_SECONDS` for the whole attempt, no redirects followed, to the
   address the SSRF guard checked (api.outgoing.addresses). Only the first 2 KB of the
   answer are read.
3. Record: 2xx is `succeeded`; anything else, a timeout or a connection error schedules the
   next attempt after 30 s, 2 min, 10 min, 1 h, 6 h, 12 h, 24 h (±10 % jitter) until
   `OUTGOING_WEBHOOKS_MAX_ATTEMPTS`, then `failed`.

Deliveries are at least once: a receiver de-duplicates on the body's `id` (the event id,
the same for every attempt and every re-send) or the `Parley-Delivery` header.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import httpx

from api.config import OutgoingWebhookSettings, get_settings
from api.crypto import DecryptionError, SecretBox, get_secret_box
from api.db import unit_of_work
from api.models import WebhookDelivery, WebhookDeliveryStatus
from api.outgoing import addresses, store
from api.outgoing.catalog import request_body
from api.outgoing.jobs import enqueue_delivery
from api.outgoing.signing import open_secret, signature_header

logger = logging.getLogger(__name__)

USER_AGENT = "Parley-Webhooks/1"
BACKOFF_SECONDS = (30, 120, 600, 3600, 6 * 3600, 12 * 3600, 24 * 3600)
JITTER = 0.1
# Longer than an attempt can take; the sweeper re-drives a claim older than this.
LEASE = timedelta(seconds=90)
# A job may run a moment before the time it was deferred to (clocks of two machines).
EARLY_TOLERANCE = timedelta(seconds=2)
MAX_RESPONSE_BYTES = 2048
MAX_ERROR_CHARS = 500
ENDPOINT_DISABLED = "endpoint disabled"


def backoff(failed_attempts: int) -> timedelta:
    """How long to wait after the `failed_attempts`-th failed attempt."""
    base = BACKOFF_SECONDS[min(max(failed_attempts, 1), len(BACKOFF_SECONDS)) - 1]
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))  # noqa: S311


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    response_body: str | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class Outcome:
    summary: str
    retry_in: float | None = None  # seconds until the next attempt, when there is one


@dataclass(frozen=True, slots=True)
class Request:
    delivery_id: uuid.UUID
    url: str
    secret: str
    event_type: str
    body: bytes


@lru_cache
def get_http_client() -> httpx.AsyncClient:
    # No connection reuse: a connection is made to one checked address for one endpoint's
    # host name (TLS name), and must not carry another endpoint's request.
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


async def deliver(
    delivery_id: uuid.UUID, *, box: SecretBox | None = None, http: httpx.AsyncClient | None = None
) -> Outcome:
    """Make one attempt at a delivery, if it is due (the arq job `outgoing.deliver`)."""
    settings = get_settings().outgoing_webhooks
    claimed = await _claim(delivery_id, box or get_secret_box())
    if isinstance(claimed, Outcome):
        return claimed
    if isinstance(claimed, Attempt):
        return await _record(delivery_id, claimed, settings)
    attempt = await send(claimed, settings, http or get_http_client())
    return await _record(delivery_id, attempt, settings)


async def _claim(delivery_id: uuid.UUID, box: SecretBox) -> Request | Attempt | Outcome:
    now = datetime.now(UTC)
    async with unit_of_work() as session:
        claimed = await store.lock_due(session, delivery_id)
        if claimed is None:
            return Outcome("missing or busy")
        delivery, endpoint = claimed.delivery, claimed.endpoint
        if delivery.status is not WebhookDeliveryStatus.PENDING:
            return Outcome(f"already {delivery.status.value}")
        if (
            delivery.next_attempt_at is not None
            and delivery.next_attempt_at > now + EARLY_TOLERANCE
        ):
            return Outcome("not due")
        if not endpoint.enabled:
            delivery.status = WebhookDeliveryStatus.FAILED
            delivery.error = ENDPOINT_DISABLED
            delivery.next_attempt_at = None
            return Outcome(ENDPOINT_DISABLED)
        delivery.next_attempt_at = now + LEASE
        try:
            secret = open_secret(
                box, endpoint.id, endpoint.secret_key_id, endpoint.secret_ciphertext
            )
        except DecryptionError:
            logger.error("webhook endpoint %s: its secret does not decrypt", endpoint.id)
            return Attempt(None, None, "the endpoint's signing secret could not be read", 0)
        return Request(
            delivery_id=delivery.id,
            url=endpoint.url,
            secret=secret,
            event_type=delivery.event_type,
            body=request_body(delivery.payload),
        )


async def send(
    request: Request, settings: OutgoingWebhookSettings, http: httpx.AsyncClient
) -> Attempt:
    """POST one signed delivery; never raises for the receiver's or the network's faults."""
    started = time.monotonic()

    def attempt(status: int | None, body: str | None, error: str | None) -> Attempt:
        elapsed = int((time.monotonic() - started) * 1000)
        return Attempt(status, body, error[:MAX_ERROR_CHARS] if error else None, elapsed)

    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Parley-Event": request.event_type,
        "Parley-Delivery": str(request.delivery_id),
        "Parley-Signature": signature_header(request.secret, request.body),
    }
    timeout = settings.timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            url, extensions = await _target(request.url, settings, headers)
            async with http.stream(
                "POST",
                url,
                content=request.body,
                headers=headers,
                extensions=extensions,
                timeout=timeout,
            ) as response:
                head = await _read_head(response)
    except addresses.UnsafeDestination as exc:
        return attempt(None, None, f"refused: {exc.detail}")
    except httpx.InvalidURL as exc:
        return attempt(None, None, f"refused: the URL is not valid ({exc})")
    except (TimeoutError, httpx.TimeoutException):
        return attempt(None, None, f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return attempt(None, None, _describe(exc))
    status = response.status_code
    if 200 <= status < 300:
        return attempt(status, head, None)
    if 300 <= status < 400:
        return attempt(status, head, f"HTTP {status}: redirects are not followed")
    return attempt(status, head, f"HTTP {status}")


async def _target(
    url: str, settings: OutgoingWebhookSettings, headers: dict[str, str]
) -> tuple[httpx.URL, dict[str, str]]:
    """The URL to connect to: the endpoint's own, or, when private addresses are refused,
    the checked address itself, with the host name kept for the Host header and TLS."""
    destination = addresses.parse(url, settings)
    target = httpx.URL(url)
    if settings.allow_private:
        return target, {}
    address = (await addresses.public_addresses(destination))[0]
    headers["Host"] = target.netloc.decode("ascii")
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    return target.copy_with(host=address), extensions


async def _read_head(response: httpx.Response) -> str:
    received = bytearray()
    async for chunk in response.aiter_bytes():
        received += chunk
        if len(received) >= MAX_RESPONSE_BYTES:
            break
    # PostgreSQL text cannot hold NUL.
    text = bytes(received[:MAX_RESPONSE_BYTES]).decode("utf-8", errors="replace")
    return text.replace("\x00", "")


def _describe(exc: httpx.HTTPError) -> str:
    kinds: dict[type[httpx.HTTPError], str] = {
        httpx.ConnectError: "connection failed",
        httpx.RemoteProtocolError: "the receiver broke the HTTP protocol",
        httpx.ReadError: "reading the answer failed",
        httpx.WriteError: "sending the request failed",
    }
    kind = kinds.get(type(exc), type(exc).__name__)
    detail = str(exc)
    return f"{kind}: {detail}" if detail else kind


async def _record(
    delivery_id: uuid.UUID, attempt: Attempt, settings: OutgoingWebhookSettings
) -> Outcome:
    now = datetime.now(UTC)
    async with unit_of_work() as session:
        delivery = await store.get_delivery(session, delivery_id)
        if delivery is None:  # the endpoint was deleted meanwhile
            return Outcome("missing")
        return _apply(delivery, attempt, now, settings)


def _apply(
    delivery: WebhookDelivery,
    attempt: Attempt,
    now: datetime,
    settings: OutgoingWebhookSettings,
) -> Outcome:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = attempt.status_code
    delivery.response_body = attempt.response_body
    delivery.error = attempt.error
    delivery.duration_ms = attempt.duration_ms
    delivery.next_attempt_at = None
    if attempt.succeeded:
        delivery.status = WebhookDeliveryStatus.SUCCEEDED
        return Outcome("succeeded")
    if delivery.status is not WebhookDeliveryStatus.PENDING:  # given up meanwhile (disabled)
        return Outcome(delivery.status.value)
    if delivery.attempts >= settings.max_attempts:
        delivery.status = WebhookDeliveryStatus.FAILED
        return Outcome(f"failed after {delivery.attempts} attempts")
    wait = backoff(delivery.attempts)
    delivery.next_attempt_at = now + wait
    return Outcome(f"attempt {delivery.attempts} failed", retry_in=wait.total_seconds())


# -- re-drive and retention (crons) --

SWEEP_GRACE = timedelta(seconds=30)
SWEEP_PAGE = 1000
SWEEP_MAX = 100_000


async def requeue_due() -> int:
    """Enqueue again every pending delivery whose attempt is overdue (its job was lost with
    Redis, or its worker died mid-attempt: the claim's lease ran out). A delivery whose job
    is still queued keeps it: the job id collapses the duplicate."""
    before, after, total = datetime.now(UTC) - SWEEP_GRACE, None, 0
    while total < SWEEP_MAX:
        async with unit_of_work() as session:
            due = await store.due_deliveries(session, before, after=after, limit=SWEEP_PAGE)
        for _, delivery_id in due:
            await enqueue_delivery(delivery_id)
        total += len(due)
        if len(due) < SWEEP_PAGE:
            break
        after = due[-1]
    return total


async def prune_old() -> int:
    days = get_settings().outgoing_webhooks.retention_days
    async with unit_of_work() as session:
        return await store.prune(session, datetime.now(UTC) - timedelta(days=days))
