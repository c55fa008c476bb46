"""Helpers for the event tests: check a captured delivery's signature, read its payload."""

import hashlib
import hmac
import json
from typing import Any

import httpx
import respx


def verified_payload(request: httpx.Request, secret: str) -> dict[str, Any]:
    """The JSON of a captured webhook POST, after checking both signatures over its bytes."""
    body = request.content
    sha256 = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    assert request.headers["X-Hub-Signature-256"] == f"sha256={sha256}"
    assert request.headers["X-Hub-Signature"] == f"sha1={sha1}"
    assert request.headers["Content-Type"] == "application/json"
    body.decode("ascii")  # Meta's encoding: ASCII only
    payload: dict[str, Any] = json.loads(body)
    return payload


def last_payload(route: respx.Route, secret: str) -> dict[str, Any]:
    """The verified payload of the last POST the route received."""
    request: httpx.Request = route.calls.last.request
    return verified_payload(request, secret)


def payloads(route: respx.Route, secret: str) -> list[dict[str, Any]]:
    """Every verified payload the route received, oldest first."""
    return [verified_payload(call.request, secret) for call in route.calls]


def only_messenger_event(payload: dict[str, Any], container: str = "messaging") -> dict[str, Any]:
    """The single event of a one-entry Messenger delivery."""
    assert payload["object"] == "page"
    [entry] = payload["entry"]
    [event] = entry[container]
    assert entry["time"] > 10**12
    event_: dict[str, Any] = event
    return event_


def only_value(payload: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    """The value of the single change of a one-entry WhatsApp delivery."""
    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    [change] = entry["changes"]
    assert change["field"] == field
    value: dict[str, Any] = change["value"]
    return value
