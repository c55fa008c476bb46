"""A minimal Socket.IO v5 client (Engine.IO v4, websocket transport only) for benchmarks
that hold thousands of sockets from one process.

python-socketio's AsyncClient costs several tasks, an aiohttp session and a few hundred KB
per socket; this is one `asyncio.Protocol` per socket that speaks just enough of RFC 6455
(client handshake, masked frames out, unmasked frames in, fragments, ping/pong, close) and
of the two protocols on top: the Engine.IO open packet, pings answered with pongs, the
namespace CONNECT with an `auth` object, its ack or refusal, EVENT packets (no acks, no
binary attachments) and DISCONNECT.

Every text message is stamped with `time.monotonic_ns()` when its bytes arrive (before any
parsing), so a subclass's `on_event` can measure delivery latency without counting its own
decoding; CLOCK_MONOTONIC is the same clock in every process of the machine.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from typing import Any, cast

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


class Refused(Exception):
    """The server refused the namespace CONNECT (`44{"message": ...}`) or the handshake."""


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if not n:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame (clients must mask)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + _mask(payload, key)


class Socket(asyncio.Protocol):
    """One Socket.IO client socket on the default namespace. `connected` resolves with the
    CONNECT ack's payload (`{"sid": ...}`) or fails with `Refused`/`ConnectionError`;
    `closed` resolves when the TCP connection is gone. Override `on_event`."""

    def __init__(self, host: str, port: int, auth: dict[str, Any], path: str = "/socket.io/"):
        loop = asyncio.get_running_loop()
        self.host, self.port, self.auth, self.path = host, port, auth, path
        self.connected: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.eio_sid: str | None = None
        self.disconnected_by_server = False  # a SIO DISCONNECT, an EIO close or a WS close
        self._key = base64.b64encode(os.urandom(16))
        self._upgraded = False
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._closing = False

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.transport.write(
            f"GET {self.path}?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        at = time.monotonic_ns()
        self._buffer += data
        if not self._upgraded and not self._handshake():
            return
        self._frames(at)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    # -- sending ---------------------------------------------------------------------------

    def send_text(self, text: str) -> None:
        if self.transport is not None and not self._closing:
            self.transport.write(frame(TEXT, text.encode()))

    def emit(self, event: str, data: Any = None) -> None:
        """A client EVENT without an ack."""
        args = [event] if data is None else [event, data]
        self.send_text("42" + json.dumps(args, separators=(",", ":")))

    async def aclose(self, within: float = 5.0) -> None:
        """Leave the namespace (the server runs its disconnect handler at once), close the
        WebSocket, and wait for the server to close the TCP connection."""
        if self.transport is not None and not self._closing:
            self.send_text("41")
            self.transport.write(frame(CLOSE, (1000).to_bytes(2, "big")))
            self._closing = True
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), within)
        except TimeoutError:
            if self.transport is not None:
                self.transport.close()
            await self.closed

    # -- receiving -------------------------------------------------------------------------

    def _handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        expected = base64.b64encode(hashlib.sha1(self._key + WS_GUID).digest()).decode()  # noqa: S324 - RFC 6455
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:])
        }
        if " 101 " not in head[0] + " " or headers.get("sec-websocket-accept") != expected:
            self._fail(Refused(f"websocket handshake refused: {head[0]}"))
            return False
        self._upgraded = True
        return True

    def _frames(self, at: int) -> None:
        buf, pos, size = self._buffer, 0, len(self._buffer)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n, header = b1 & 0x7F, 2
            if n == 126:
                if size - pos < 4:
                    break
                n, header = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                if size - pos < 10:
                    break
                n, header = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            key = b""
            if b1 & 0x80:  # servers must not mask, but unmask if one does
                if size - pos < header + 4:
                    break
                key = bytes(buf[pos + header : pos + header + 4])
                header += 4
            if size - pos < header + n:
                break
            payload = bytes(buf[pos + header : pos + header + n])
            pos += header + n
            if key:
                payload = _mask(payload, key)
            self._frame(b0 & 0x0F, bool(b0 & 0x80), payload, at)
        del buf[:pos]

    def _frame(self, opcode: int, fin: bool, payload: bytes, at: int) -> None:
        if opcode in (TEXT, BINARY, CONTINUATION):
            if opcode != CONTINUATION:
                self._fragments = []
            self._fragments.append(payload)
            if fin:
                message = b"".join(self._fragments)
                self._fragments = []
                self._engineio(message.decode(), at)
        elif opcode == PING:
            if self.transport is not None:
                self.transport.write(frame(PONG, payload))
        elif opcode == CLOSE:
            self.disconnected_by_server = not self._closing
            if self.transport is not None:
                if not self._closing:
                    self.transport.write(frame(CLOSE, payload[:2]))
                    self._closing = True
                self.transport.close()

    def _engineio(self, message: str, at: int) -> None:
        kind = message[:1]
        if kind == "4":  # MESSAGE: a Socket.IO packet
            self._socketio(message[1:], at)
        elif kind == "2":  # PING -> PONG
            self.send_text("3" + message[1:])
        elif kind == "0":  # OPEN: now connect to the namespace
            self.eio_sid = json.loads(message[1:]).get("sid")
            self.send_text("40" + json.dumps(self.auth, separators=(",", ":")))
        elif kind == "1":  # CLOSE
            self.disconnected_by_server = True
            if self.transport is not None:
                self.transport.close()

    def _socketio(self, packet: str, at: int) -> None:
        kind = packet[:1]
        if kind == "2":  # EVENT: 2[<name>, ...] (namespace "/" and no ack id here)
            body = packet[1:]
            if body.startswith('["'):
                name = body[2 : body.index('"', 2)]
                self.on_event(name, body, at)
        elif kind == "0":  # CONNECT ack
            if not self.connected.done():
                self.connected.set_result(json.loads(packet[1:] or "{}"))
        elif kind == "4":  # CONNECT_ERROR
            detail = json.loads(packet[1:] or "{}")
            self._fail(Refused(str(detail.get("message", detail))))
        elif kind == "1":  # DISCONNECT from the server
            self.disconnected_by_server = True
            if self.transport is not None:
                self.transport.close()

    def _fail(self, exc: Exception) -> None:
        if not self.connected.done():
            self.connected.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def on_event(self, name: str, body: str, at: int) -> None:
        """An EVENT: `body` is its JSON array `[name, *args]` (not yet decoded), `at` the
        `time.monotonic_ns()` its bytes arrived."""


async def connect(socket: Socket, within: float = 10.0) -> Socket:
    """Open `socket` (TCP, WebSocket upgrade, Engine.IO open, namespace CONNECT) and wait
    for the server's CONNECT ack."""
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(loop.create_connection(lambda: socket, socket.host, socket.port), within)
    try:
        await asyncio.wait_for(asyncio.shield(socket.connected), within)
    except BaseException:
        if socket.transport is not None:
            socket.transport.close()
        raise
    return socket
