"""The whole stack for browser tests: `scripts/dev.py` (what `make dev` runs) on its own
ports, database and Redis index, driven by Playwright through Debian's Chromium."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, async_playwright
from redis import Redis

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = ROOT / "test-results"
E2E_DB = "parley_e2e"
E2E_REDIS = "redis://127.0.0.1:6379/14"


@dataclass(frozen=True)
class Stack:
    web: str
    metasim: str
    page_id: str
    email: str
    password: str


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the stack exited early (code {process.returncode}); see {ARTIFACTS}/stack.log"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local URL
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


async def _recreate_database() -> None:
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{E2E_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{E2E_DB}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    asyncio.run(_recreate_database())
    Redis.from_url(E2E_REDIS).flushdb()
    ports = {
        "WEB": 18400,
        "API": 18401,
        "REALTIME": 18402,
        "METASIM": 18410,
        "WORKER": 18411,
        "WEBHOOK_WORKER": 18412,
    }
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{E2E_DB}",
        "REDIS_URL": E2E_REDIS,
        "META_APP_SECRET": "e2e-app-secret",
        "LOG_LEVEL": "WARNING",
        "PARLEY_WEB_HMR": "0",
        "PARLEY_S3_PORT": "18433",
        "PARLEY_DATA_DIR": str(ARTIFACTS / "stack-data"),
        # Every browser signs in from 127.0.0.1, often as the same demo user: the sign-in,
        # sign-up and invitation limits (per IP / per email) are sized for many real clients.
        "SECURITY_LOGIN_IP_BURST": "500",
        "SECURITY_LOGIN_EMAIL_BURST": "200",
        "SECURITY_REGISTER_IP_BURST": "100",
        "SECURITY_INVITATION_IP_BURST": "200",
        **{f"PARLEY_{name}_PORT": str(port) for name, port in ports.items()},
    }
    env["META_GRAPH_BASE_URL"] = f"http://127.0.0.1:{ports['METASIM']}"
    env["META_OAUTH_DIALOG_URL"] = f"http://localhost:{ports['METASIM']}"
    env["PUBLIC_BASE_URL"] = f"http://localhost:{ports['WEB']}"
    env["METASIM_WEBHOOK_URL"] = f"http://127.0.0.1:{ports['API']}/api/webhooks/meta"
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "stack.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "scripts/dev.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_http(f"http://127.0.0.1:{ports['API']}/api/healthz", process, 120)
        _wait_http(f"http://127.0.0.1:{ports['WEB']}/", process, 120)
        _wait_for_seed(process)
        yield Stack(
            web=f"http://localhost:{ports['WEB']}",
            metasim=f"http://127.0.0.1:{ports['METASIM']}",
            page_id=env.get("DEMO_PAGE_ID", "104000000000001"),
            email="demo@parley.dev",
            password="parley-demo",
        )
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _wait_for_seed(process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if b"Parley is running" in (ARTIFACTS / "stack.log").read_bytes():
            return
        if process.poll() is not None:
            raise RuntimeError("the stack exited before it was ready")
        time.sleep(0.3)
    raise TimeoutError("the stack did not report ready")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()
