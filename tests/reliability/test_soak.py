"""Soak: many signed deliveries while workers are SIGKILLed and Redis is restarted empty.

DESIGN invariants 2-4 end to end, on the real api and worker processes (see harness.py):
every acknowledged delivery is stored and processed exactly once, inbound messages land
once each, outbound statuses end at the highest one received (also for statuses that
arrive before their message has its wamid), nothing ends failed/dead and no job is left
running.

The default size is the issue's floor, 20,000 deliveries (~17,900 distinct), with four
worker SIGKILLs and one Redis restart: ~7 minutes on 2 cores, where the api acknowledges
~115 deliveries/s while the webhook worker processes ~50/s (bench/drain.py measures
both apart), and a Redis restart leaves the lost queue entries to the sweeper (60 s
staleness, every 30 s). `SOAK_DELIVERIES`,
`SOAK_WORKER_KILLS`, `SOAK_REDIS_RESTARTS`, `SOAK_SEED` change the run;
`python bench/soak.py --deliveries 200000 --kills 10` runs it with larger numbers.
"""

from __future__ import annotations

import os

from tests.reliability.harness import SoakConfig, run_soak


async def test_soak_survives_worker_kills_and_a_redis_restart() -> None:
    deliveries = int(os.environ.get("SOAK_DELIVERIES", "20000"))
    config = SoakConfig(
        deliveries=deliveries,
        drain_timeout=max(180.0, deliveries / 20),  # as bench/soak.py
        worker_kills=int(os.environ.get("SOAK_WORKER_KILLS", "4")),
        redis_restarts=int(os.environ.get("SOAK_REDIS_RESTARTS", "1")),
        seed=int(os.environ["SOAK_SEED"]) if os.environ.get("SOAK_SEED") else None,
    )
    result = await run_soak(config)
    print(result.summary())
    assert not result.failures, result.summary()
