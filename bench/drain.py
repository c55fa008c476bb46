"""Webhook processing throughput: post a backlog with the workers stopped, then time the
drain.

    .venv/bin/python bench/drain.py --deliveries 5000 [--profile out.svg]

Starts the same private PostgreSQL + Redis + api + workers as the soak
(tests/reliability/harness.py), stops the workers, posts the soak's mix of deliveries
(inbound messages, batches, WhatsApp statuses, 10% duplicates) at fixed concurrency, then
starts the workers and measures how fast the webhook worker turns the backlog into
messages. Ingest and processing are measured apart, so each figure is one process's
work. `--profile` records the webhook worker with py-spy (if installed) while it drains.
Appends one line to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.soak import RESULTS, append_result, code_version  # noqa: E402
from bench.stack import cpu_seconds, machine_busy  # noqa: E402
from tests.reliability.harness import (  # noqa: E402
    Stack,
    build_soak_plan,
    create_outbound_messages,
    describe_machine,
    percentile,
    post_all,
    seed_channels,
    utc_now,
    wait_for_events,
)


def postgres_cpu(stack: Stack) -> float:
    """CPU of the private PostgreSQL cluster: its postmaster and every backend it forked
    (the machine's own PostgreSQL is not counted)."""
    postmaster = stack.pg.postmaster_pid()
    if postmaster is None:
        return 0.0
    total = cpu_seconds(postmaster)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == postmaster:
                total += cpu_seconds(int(entry.name))
    return total


def cpu_snapshot(stack: Stack) -> dict[str, float]:
    snapshot = {w.name: cpu_seconds(w.process.pid) for w in stack.workers if w.process}
    if stack.api is not None and stack.api.process is not None:
        snapshot["api"] = cpu_seconds(stack.api.process.pid)
    snapshot["postgres"] = postgres_cpu(stack)
    snapshot["machine"] = machine_busy()[0]
    return snapshot


def cpu_per_delivery(before: dict[str, float], after: dict[str, float], n: int) -> str:
    return ", ".join(
        f"{name.removesuffix('Settings')} {(after[name] - before.get(name, 0.0)) * 1000 / n:.1f}"
        for name in after
    )


async def run(deliveries: int, concurrency: int, profile: str | None, seed: int) -> str:
    rng = random.Random(seed)  # noqa: S311 - a replayable workload, not crypto
    async with Stack(log=print) as stack:
        await asyncio.to_thread(stack.kill_workers)
        channels = await seed_channels(stack.database_url, stack.encryption_key)
        plan = build_soak_plan(deliveries, channels, rng, late_share=0.0)
        await create_outbound_messages(stack.database_url, plan.outbound)
        cpu_posting = cpu_snapshot(stack)
        stats = await post_all(stack.webhook_url, plan.bodies, concurrency=concurrency)
        posting_cpu = cpu_per_delivery(cpu_posting, cpu_snapshot(stack), len(plan.bodies))
        acks = stats.accepted / max(stats.seconds, 0.001)
        p50, p99 = (percentile(stats.latencies, q) * 1000 for q in (0.5, 0.99))
        print(f"posted {stats.accepted} in {stats.seconds:.1f}s: {acks:.0f}/s")
        started = time.monotonic()
        await asyncio.to_thread(stack.start_workers)
        cpu_draining = cpu_snapshot(stack)
        spy = None
        if profile:
            spy = _profile(stack, profile)
        drained, _, counts = await wait_for_events(stack.database_url, None, 1800, log=print)
        seconds = time.monotonic() - started
        draining_cpu = cpu_per_delivery(cpu_draining, cpu_snapshot(stack), plan.unique)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        rate = plan.unique / seconds
        print(f"drained {plan.unique} distinct deliveries in {seconds:.1f}s: {rate:.0f}/s {counts}")
        print(f"CPU ms per delivery: posting [{posting_cpu}], draining [{draining_cpu}]")
        return (
            f"drain {deliveries} deliveries ({plan.unique} distinct), concurrency {concurrency} · "
            f"posting with workers stopped {acks:.0f} acks/s (p50 {p50:.0f} ms, p99 {p99:.0f} ms)"
            f", CPU ms per delivery [{posting_cpu}]"
            f" · processing {rate:.0f} deliveries/s ({seconds:.1f}s incl. worker start),"
            f" CPU ms per delivery [{draining_cpu}]"
            + ("" if drained else f" · NOT DRAINED {counts}")
        )


def _profile(stack: Stack, out: str) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy")
    worker = next((w for w in stack.workers if "Webhook" in w.name), None)
    if spy is None or worker is None or worker.process is None:
        print("py-spy not found (pip install py-spy): not profiling")
        return None
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [spy, "record", "-o", out, "--pid", str(worker.process.pid), "--rate", "200"]
        + (["--format", "raw"] if out.endswith(".txt") else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--profile",
        help="py-spy profile of the webhook worker: flame graph (.svg) or stacks (.txt)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    line = asyncio.run(run(args.deliveries, args.concurrency, args.profile, args.seed))
    append_result(f"- {utc_now()} · `{code_version()}` · {describe_machine()} · {line}")
    print(f"appended to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
