"""Garbage-collector settings for the long-running servers (api, realtime).

Python's default first-generation threshold (700 allocations) makes a busy server run
full collections every few seconds, each walking every live object: the gateway holding
5,000 sockets paused up to 0.9 s (bench/fanout.py: p99 of one event to 1,000 sockets
939 ms), and in the api, whose requests allocate thousands of ORM rows, about one request
in a hundred waited for one (bench/inbox.py: rare-word search p99 156-169 ms, p95 21 ms;
39 ms with these settings). Reference counting frees almost everything at once anyway;
the collector is only for cycles. So young objects are collected less often, and what
exists once the server has started (modules, the app, pools) is frozen out of every
collection.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Call once the server has started (its lifespan's startup)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
