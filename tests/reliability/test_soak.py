"""Soak: many signed deliveries while workers are SIGKILLed and Redis is restarted empty.

DESIGN invariants 2-4 end to end, on the real api and worker processes (see harness.py):
every acknowledged delivery is stored and processed exactly once, inbound messages land
once each, outbound statuses end at the highest one received (also for statuses that
arrive before their message has its wamid), nothing ends failed/dead and no job is left
running.

The default size (2,000 deliveries) keeps the module within ~4 minutes on 2 cores: the
webhook worker processes ~25-40 deliveries/s there, and a Redis restart leaves the lost
queue entries to the sweeper (60 s staleness, every 30 s). `SOAK_DELIVERIES`,
`SOAK_WORKER_KILLS`, `SOAK_REDIS_RESTARTS`, `SOAK_SEED` change the run;
`python bench/soak.py --deliveries 200000 --kills 10` runs it with larger numbers.
"""

from __future__ import annotations

import os

from tests.reliability.harness import SoakConfig, run_soak


async def test_soak_survives_worker_kills_and_a_redis_restart() -> None:
    config = SoakConfig(
        deliveries=int(os.environ.get("SOAK_DELIVERIES", "2000")),
        worker_kills=int(os.environ.get("SOAK_WORKER_KILLS", "3")),
        redis_restarts=int(os.environ.get("SOAK_REDIS_RESTARTS", "1")),
        seed=int(os.environ["SOAK_SEED"]) if os.environ.get("SOAK_SEED") else None,
    )
    result = await run_soak(config)
    print(result.summary())
    assert not result.failures, result.summary()
