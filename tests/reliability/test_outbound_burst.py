"""A burst of 1,000 sends to one WhatsApp number, through the real processes (issue 5).

The api, the workers and metasim each run as their own process (see harness.py). metasim
holds the number to Meta's throughput limit (`130429` above the configured messages per
second, measured over any 1-second window) and records every send. Parley's outbound
queue must pace itself to the same configured rate: 1,000 business-initiated template
conversations are started over the REST API as fast as the api takes them, then the
send worker drains them. Every message must end `sent` (or `failed` with a reason), and
metasim must never have seen more than the rate in any second nor answered `130429`.

Two runs: the issue's 1,000 sends at Meta's default 80/s (`OUTBOUND_BURST`,
`OUTBOUND_RATE` change them; on 2 busy cores the worker itself may be slower than 80/s),
and 300 at 20/s, well below what the worker can do, so only its pacing holds the limit.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import asyncpg
import httpx
import pytest

from tests.reliability.harness import Stack, owner_email, seed_channels

BURST = int(os.environ.get("OUTBOUND_BURST", "1000"))
RATE = int(os.environ.get("OUTBOUND_RATE", "80"))  # Meta's default per number
PASSWORD = "reliability-owner-password"
POSTS_IN_FLIGHT = 16


async def _final_statuses(database_url: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT status::text AS status, error_code, error_reason, external_id, sent_at "
            "FROM messages WHERE direction = 'outbound'"
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def _wait_all_final(database_url: str, count: int, within: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while True:
        rows = await _final_statuses(database_url)
        done = [r for r in rows if r["status"] in ("sent", "failed")]
        if len(done) >= count or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.5)


@pytest.mark.parametrize(
    ("burst", "rate"), [(BURST, RATE), (300, 20)], ids=["default-rate", "paced-below-capacity"]
)
async def test_a_burst_of_sends_to_one_number_never_exceeds_the_rate_at_metasim(
    burst: int, rate: int
) -> None:
    async with Stack(extra_env={"OUTBOUND_WHATSAPP_PER_SECOND": str(rate)}) as stack:
        stack.start_metasim()
        channels = await seed_channels(
            stack.database_url, stack.encryption_key, tenants=1, owner_password=PASSWORD
        )
        number = next(c for c in channels if c.kind == "whatsapp")

        async with httpx.AsyncClient(base_url=stack.metasim_url, timeout=10) as sim:
            registered = await sim.put(
                f"/_sim/whatsapp/numbers/{number.external_id}",
                json={
                    "waba_id": number.waba_id,
                    "display_phone_number": "+1 555-010-0001",
                    "verified_name": "Burst Co",
                    "access_token": "wa-token-1",  # what seed_channels sealed
                },
            )
            assert registered.status_code == 200, registered.text
            limits = await sim.post("/_sim/limits", json={"whatsapp_per_second": rate})
            assert limits.status_code == 200, limits.text
            # Statuses would only add webhook traffic; this measures the send path.
            await sim.post("/_sim/settings", json={"whatsapp_statuses": False})

            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as api:
                login = await api.post(
                    "/api/auth/login", json={"email": owner_email(1), "password": PASSWORD}
                )
                assert login.status_code == 200, login.text
                api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

                synced = await api.post(f"/api/channels/{number.id}/templates/sync")
                assert synced.status_code == 200, synced.text
                listed = await api.get(
                    "/api/templates",
                    params={"channel_id": str(number.id), "search": "hello_world"},
                )
                assert listed.status_code == 200, listed.text
                template_id = next(
                    t["id"] for t in listed.json()["items"] if t["name"] == "hello_world"
                )

                slots = asyncio.Semaphore(POSTS_IN_FLIGHT)

                async def start(i: int) -> int:
                    async with slots:
                        response = await api.post(
                            "/api/inbox/conversations",
                            json={
                                "channel_id": str(number.id),
                                "phone": f"+1 555 {300 + i // 10000:03d} {i % 10000:04d}",
                                "template": {"template_id": template_id},
                            },
                        )
                    return response.status_code

                # The whole burst is queued before a worker runs, so the send worker
                # meets 1,000 due jobs at once: only its pacing keeps metasim's limit.
                await asyncio.to_thread(stack.stop_workers)
                posting = time.monotonic()
                codes = await asyncio.gather(*(start(i) for i in range(burst)))
                posted_in = time.monotonic() - posting
                assert codes == [202] * burst, sorted(set(codes))
                await asyncio.to_thread(stack.start_workers)
                draining = time.monotonic()

                # At rate/s the drain takes burst/rate seconds; allow for a slow machine.
                rows = await _wait_all_final(
                    stack.database_url, burst, within=60 + 4 * burst / rate
                )
                drained_in = time.monotonic() - draining

            sent_log = (
                await sim.get("/_sim/sent", params={"phone_number_id": number.external_id})
            ).json()["items"]
            peak = (await sim.get("/_sim/limits")).json()["whatsapp_peak_per_second"]

    statuses = [r["status"] for r in rows]
    print(
        f"{burst} sends to one number at {rate}/s: queued in {posted_in:.1f}s, drained "
        f"in {drained_in:.1f}s ({burst / drained_in:.1f}/s); metasim peak "
        f"{peak.get(number.external_id)}/s; statuses "
        f"{ {s: statuses.count(s) for s in set(statuses)} }"
    )
    assert len(rows) == burst
    unfinished = [r for r in rows if r["status"] not in ("sent", "failed")]
    assert not unfinished, f"{len(unfinished)} messages not sent or failed: {unfinished[:3]}"
    failed_without_reason = [
        r for r in rows if r["status"] == "failed" and not (r["error_code"] and r["error_reason"])
    ]
    assert not failed_without_reason, failed_without_reason[:3]
    assert all(r["external_id"] for r in rows if r["status"] == "sent")
    # Measured at metasim: never above the rate in any 1-second window, never refused.
    assert peak[number.external_id] <= rate
    answers = [s["status_code"] for s in sent_log]
    assert len(answers) == statuses.count("sent")
    assert 429 not in answers and all(code == 200 for code in answers), set(answers)
    assert statuses.count("sent") == burst
