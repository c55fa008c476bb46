"""Soak by hand: the reliability soak test with larger numbers.

    .venv/bin/python bench/soak.py --deliveries 200000 --kills 10

Starts a private PostgreSQL and Redis (never the machine's shared ones), migrates and
seeds them, runs the real api and every worker process, posts signed deliveries like Meta
(retrying anything but 200) while SIGKILLing the workers and restarting Redis, waits for
the drain and checks DESIGN invariants 2-4 (see tests/reliability/harness.py). Prints
throughput, drain time and the checks, and appends one line to bench/RESULTS.md.
Exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.harness import (  # noqa: E402
    SoakConfig,
    SoakResult,
    describe_machine,
    percentile,
    run_soak,
    utc_now,
)

RESULTS = ROOT / "bench" / "RESULTS.md"
HEADER = """# Bench results

One line per run of a benchmark (`python bench/<name>.py`), appended by the script: when,
code version, machine, workload, then what was measured. Compare runs on the same machine only.

"""


def code_version() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # "-dirty": the code differs from the commit (results appended to RESULTS.md do not count).
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md")
    return commit + ("-dirty" if changed else "")


def result_line(result: SoakResult) -> str:
    config, stats = result.config, result.stats
    checks = (
        "all checks passed"
        if not result.failures
        else f"{len(result.failures)} checks FAILED: {result.failures[0][:200]}"
    )
    return (
        f"- {utc_now()} · `{code_version()}` · {describe_machine()} · "
        f"soak {config.deliveries} deliveries ({result.unique} distinct, "
        f"{config.duplicate_ratio:.0%} re-posted), {config.worker_kills} worker SIGKILLs, "
        f"{config.redis_restarts} Redis restarts, concurrency {config.concurrency}, "
        f"fsync {'on' if config.fsync else 'off'}, seed {result.seed} · "
        f"posting {stats.accepted / max(stats.seconds, 0.001):.0f} acks/s "
        f"(p50 {percentile(stats.latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(stats.latencies, 0.99) * 1000:.0f} ms) · "
        f"drain {result.drain_seconds:.0f}s after the last post · "
        f"{result.unique / max(stats.seconds + result.drain_seconds, 0.001):.0f} "
        f"deliveries/s processed end to end · {checks}\n"
    )


def append_result(line: str, results: Path = RESULTS) -> None:
    """One line per run, under the file's header."""
    if not results.exists():
        results.write_text(HEADER)
    with results.open("a") as out:
        out.write(line if line.endswith("\n") else line + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20_000, help="POSTs, duplicates included")
    parser.add_argument("--kills", type=int, default=3, help="times every worker is SIGKILLed")
    parser.add_argument("--redis-restarts", type=int, default=1, help="Redis kill + empty restart")
    parser.add_argument("--concurrency", type=int, default=32, help="deliveries in flight")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=None,
        help="seconds to wait for processing after the last post (default: max(180, N/20))",
    )
    parser.add_argument("--seed", type=int, default=None, help="replay a run's workload")
    parser.add_argument("--duplicates", type=float, default=0.10, help="share re-posted as is")
    parser.add_argument("--no-fsync", action="store_true", help="PostgreSQL with fsync=off")
    parser.add_argument("--results", type=Path, default=RESULTS, help="file to append to")
    args = parser.parse_args()
    config = SoakConfig(
        deliveries=args.deliveries,
        worker_kills=args.kills,
        redis_restarts=args.redis_restarts,
        concurrency=args.concurrency,
        drain_timeout=args.drain_timeout or max(180.0, args.deliveries / 20),
        seed=args.seed,
        duplicate_ratio=args.duplicates,
        fsync=not args.no_fsync,
    )
    result = asyncio.run(run_soak(config))
    print(result.summary(), flush=True)
    append_result(result_line(result), args.results)
    print(f"appended to {args.results}")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
