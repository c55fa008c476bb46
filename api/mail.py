"""Outgoing email over SMTP: stdlib `smtplib`, run in a thread so no event loop waits on a
mail server. Only jobs send mail (never a request), and nothing here logs an address, a
body or the SMTP URL (it holds the server's password).

`MAIL_SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS, required), `smtps://user:pass@host:465`
(TLS from the first byte), `smtp://host:1025?tls=none` (plain: a local test server only).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

from api.config import MailSettings


class MailError(Exception):
    """The mail could not be sent. The message is safe to log (no password, no body)."""


class Tls(StrEnum):
    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: Tls


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp[s]://[user[:password]@]host[:port][?tls=none]` → where and how to connect."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("MAIL_SMTP_URL must look like smtp://user:pass@host:587")
    plain = parse_qs(parts.query).get("tls", [""])[0].lower() == "none"
    if parts.scheme == "smtps":
        tls, default_port = Tls.IMPLICIT, 465
    else:
        tls, default_port = (Tls.NONE if plain else Tls.STARTTLS), 587
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise MailError("MAIL_SMTP_URL has an invalid port") from exc
    return SmtpServer(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def _one_line(value: str) -> str:
    """Header values come partly from users (a workspace's name): no line breaks."""
    return " ".join(value.split())


def build_message(settings: MailSettings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = mail.to
    message["Subject"] = _one_line(mail.subject)
    message["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2] or None)
    message.set_content(mail.text)
    return message


def _connect(server: SmtpServer, timeout: float, context: ssl.SSLContext) -> smtplib.SMTP:
    if server.tls is Tls.IMPLICIT:
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    return smtplib.SMTP(server.host, server.port, timeout=timeout)


def send_mail_sync(settings: MailSettings, mail: Mail) -> None:
    """Send one mail now (blocking). Raises `MailError` with a loggable reason."""
    server = parse_smtp_url(settings.smtp_url)
    message = build_message(settings, mail)
    context = ssl.create_default_context()
    try:
        with _connect(server, settings.timeout_seconds, context) as smtp:
            smtp.ehlo()
            if server.tls is Tls.STARTTLS:
                # Never fall back to plain text: the password (and the link) would travel in clear.
                if not smtp.has_extn("starttls"):
                    raise MailError("the SMTP server does not offer STARTTLS")
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.username is not None:
                smtp.login(server.username, server.password or "")
            smtp.send_message(message)
    except MailError:
        raise
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"the SMTP server answered {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not talk to the SMTP server ({type(exc).__name__})") from exc


async def send_mail(settings: MailSettings, mail: Mail) -> None:
    """Send one mail from a worker thread (the event loop keeps running)."""
    await asyncio.to_thread(send_mail_sync, settings, mail)
