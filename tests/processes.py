"""Real Parley processes for the lifecycle and scale-out tests.

Processes start only with the production commands (`scripts/processes.py`), so these tests
exercise what the images and `make dev` run. Each runs in its own session, its output in
a log file; a signal reaches exactly it, and `stop()` never leaves it behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

from scripts.processes import command

ROOT = Path(__file__).resolve().parents[1]
# The tests that start processes take their ports from here (see each test's own block).
PORTS = range(18500, 18600)


def free_port(ports: range) -> int:
    """A port of `ports` that nothing listens on now."""
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, port: int = 0) -> AsyncIterator[str]:
    """Serves `app` from this event loop on 127.0.0.1 (`port`, or any free one); its base URL."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()  # a server that could not start says why
                await asyncio.sleep(0.01)
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            await task


def accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Running:
    """One process started with `command(name)`, its output in `log`."""

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        log_dir: Path,
        *,
        process: str | None = None,
        port: int | None = None,
    ) -> None:
        self.name = name  # e.g. "api-2"
        self.port = port
        self.argv = command(process or name, python=sys.executable, port=port)
        self.env = dict(env)
        self.log = log_dir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Running:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - the production command
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.popen is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    async def wait(self, within: float) -> int:
        """The exit code once the process has exited (`TimeoutError` after `within` s)."""
        deadline = time.monotonic() + within
        while self.alive():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} still running after {within:.0f}s")
            await asyncio.sleep(0.05)
        assert self.popen is not None
        return self.popen.wait()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, then SIGKILL if it is still there after `timeout` seconds."""
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(10)

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 30) -> str:
        return f"--- {self.name} ({self.log})\n" + "\n".join(self.output().splitlines()[-lines:])


async def wait_until(
    check: Callable[[], object], what: str, within: float, *processes: Running
) -> None:
    """Poll `check` (sync or async) until it is truthy; fail early if a process died."""
    deadline = time.monotonic() + within
    while True:
        for process in processes:
            if not process.alive():
                raise AssertionError(f"{process.name} exited early\n{process.tail()}")
        with contextlib.suppress(Exception):
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
        if time.monotonic() > deadline:
            logs = "\n".join(process.tail() for process in processes)
            raise AssertionError(f"{what}: not within {within:.0f}s\n{logs}")
        await asyncio.sleep(0.1)


async def http_ok(url: str) -> bool:
    async with httpx.AsyncClient(timeout=2) as http:
        return (await http.get(url)).status_code == 200
