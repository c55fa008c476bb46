"""Where an endpoint may point (SSRF guard): https:// only (unless
OUTGOING_WEBHOOKS_ALLOW_HTTP), no credentials in the URL, and never a host that resolves to
a private, loopback, link-local or otherwise non-public address (unless
OUTGOING_WEBHOOKS_ALLOW_PRIVATE). Checked when an endpoint is saved and again before every
delivery; a delivery then connects to the very address that was checked, so a DNS answer
that changes in between (rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx

from api.config import OutgoingWebhookSettings
from api.errors import AppError


class UnsafeDestination(AppError):
    """The URL is not one Parley will send to (422 when saving; a failed attempt later)."""

    status_code = 422
    code = "invalid_url"


@dataclass(frozen=True, slots=True)
class Destination:
    url: str
    scheme: str
    host: str  # as written (a name or an IP literal, without brackets)
    port: int


def parse(url: str, settings: OutgoingWebhookSettings) -> Destination:
    """Check the URL's form; raises `UnsafeDestination` with a reason a person can act on."""
    if any(ord(char) < 0x21 or char == "\x7f" for char in url):
        raise UnsafeDestination("The URL must not contain spaces or control characters.")
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
        httpx.URL(url)  # what deliveries will use must accept it too
    except (ValueError, httpx.InvalidURL) as exc:
        raise UnsafeDestination(f"The URL is not valid ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeDestination("The URL must look like https://example.com/webhooks.")
    if scheme == "http" and not settings.allow_http:
        raise UnsafeDestination(
            "The URL must use https:// (deliveries carry your customers' messages).",
            code="insecure_url",
        )
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination(
            "The URL must not contain a user name or password; check the Parley-Signature "
            "header to authenticate deliveries instead.",
            code="credentials_in_url",
        )
    default_port = 443 if scheme == "https" else 80
    return Destination(url=url, scheme=scheme, host=parts.hostname, port=port or default_port)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses (an IP literal is its own answer). Tests replace this."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def public_addresses(destination: Destination) -> list[str]:
    """The host's addresses, all of them public; raises `UnsafeDestination` otherwise."""
    try:
        ipaddress.ip_address(destination.host)
        addresses = [destination.host]
    except ValueError:
        try:
            addresses = await resolve(destination.host, destination.port)
        except OSError as exc:
            raise UnsafeDestination(
                f"The host {destination.host} could not be resolved.", code="unresolvable_host"
            ) from exc
    private = [address for address in addresses if not is_public(address)]
    if private or not addresses:
        raise UnsafeDestination(
            f"The host {destination.host} resolves to a private or local address "
            f"({', '.join(private) or 'none'}); endpoints must be reachable on the internet.",
            code="private_address",
        )
    return addresses


async def check(url: str, settings: OutgoingWebhookSettings) -> Destination:
    """Everything `parse` checks, plus the addresses unless private ones are allowed."""
    destination = parse(url, settings)
    if not settings.allow_private:
        await public_addresses(destination)
    return destination
