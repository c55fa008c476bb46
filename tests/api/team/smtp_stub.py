"""A tiny SMTP server for tests (plain text, optional AUTH PLAIN): it records every mail
and can leave STARTTLS out or refuse messages, enough for smtplib's client side."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpStub:
    reject_data: bool = False
    mails: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> SmtpStub:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(f"{line}\r\n".encode())

        say("220 stub ready")
        sender = ""
        recipients: list[str] = []
        try:
            while line := (await reader.readline()).decode().rstrip("\r\n"):
                verb, _, argument = line.partition(" ")
                verb = verb.upper()
                if verb in ("EHLO", "HELO"):
                    say("250-stub")
                    say("250 AUTH PLAIN")
                elif verb == "AUTH":
                    _, _, encoded = argument.partition(" ")
                    _, user, password = base64.b64decode(encoded).decode().split("\0")
                    self.logins.append((user, password))
                    say("235 ok")
                elif verb == "MAIL":
                    sender, recipients = argument.split(":", 1)[1].strip("<> "), []
                    say("250 ok")
                elif verb == "RCPT":
                    recipients.append(argument.split(":", 1)[1].strip("<> "))
                    say("250 ok")
                elif verb == "DATA":
                    say("354 go on")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    if self.reject_data:
                        say("554 refused")
                    else:
                        raw = data[: -len(b"\r\n.\r\n")].replace(b"\r\n..", b"\r\n.")
                        parsed = message_from_bytes(raw, policy=policy.default)
                        assert isinstance(parsed, EmailMessage)
                        self.mails.append(Received(sender, recipients, parsed))
                        say("250 queued")
                elif verb == "QUIT":
                    say("221 bye")
                    await writer.drain()
                    break
                else:
                    say("502 not here")
                await writer.drain()
        finally:
            writer.close()
