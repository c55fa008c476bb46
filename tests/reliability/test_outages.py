"""Outages and hostile input on the real api and worker processes (DESIGN invariants 2-4).

One private stack (harness.Stack) for the module: its own PostgreSQL and Redis, stopped
and started here, never the machine's shared services.

- malformed bodies that pass the signature are acknowledged, kept and marked; the worker
  never crashes or loops on them; an oversized body is refused with 413;
- Redis stopped during ingestion: still 200, and once Redis is back the sweeper re-drives
  every stored delivery;
- PostgreSQL stopped during ingestion: 503 (never 500, never a hang), and once it is
  back every delivery that got a 200, before or after, is processed.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.reliability.harness import (
    MAX_BODY_BYTES,
    ChannelRef,
    InboundSpec,
    MetaClient,
    Progress,
    Stack,
    dedup_key,
    encode,
    inbound_bodies,
    inbound_messages,
    messenger_body,
    post_all,
    post_once,
    seed_channels,
    stored_events,
    wait_for_events,
    whatsapp_body,
)

ACK_DEADLINE = 10.0  # Meta wants an answer well within this
SWEEP_WAIT = 150.0  # the sweeper re-drives events older than 60 s, every 30 s


@dataclass
class Env:
    stack: Stack
    channels: list[ChannelRef]
    rng: random.Random

    def by_kind(self, kind: str) -> ChannelRef:
        return next(c for c in self.channels if c.kind == kind)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[Env]:
    async with Stack() as stack:
        channels = await seed_channels(stack.database_url, stack.encryption_key)
        yield Env(stack, channels, random.Random())


def _worker_crashes(stack: Stack, since: int = 0) -> list[str]:
    return [
        f"{c.name} exited with {c.returncode}:\n{c.log_tail}"
        for c in stack.crashes[since:]
        if c.name != "api"
    ]


def _malformed_bodies(
    env: Env,
) -> tuple[dict[str, bytes], dict[str, bytes], set[tuple[str, str]]]:
    """(not a JSON object: expect dead/failed; wrong or unknown shapes: any marked end;
    valid messages delivered beside malformed ones, which must land)."""
    page = env.by_kind("messenger")
    number = env.by_kind("whatsapp")
    now = int(time.time())
    not_objects = {
        "not JSON": b"this is not json {",
        "empty body": b"",
        "JSON array": b'[{"object":"page","entry":[]}]',
        "JSON string": b'"page"',
        "JSON null": b"null",
        "invalid UTF-8": b'{"object":"page","entry":[{"id":"\xff\xfe\xfa"}]}',
        "raw NUL bytes": b'{"object":"page",\x00"entry":[]}\x00\x00',
        "deeply nested arrays": b'{"object":"page","entry":'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}",
        "deeply nested objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    }
    text_with_nul = InboundSpec(page, "5551234", f"m_nul_{now}", now, "before\x00after")
    long_id = InboundSpec(page, "5551235", "m_" + "9" * 5000, now, "a very long mid")
    sibling_m = InboundSpec(page, "5551238", f"m_sibling_{now}", now, "I am fine")
    sibling_w = InboundSpec(number, "15550002", f"wamid.sibling{now}", now, "me too")
    big = json.loads(
        whatsapp_body(number, [InboundSpec(number, "15550001", f"wamid.big{now}", now, "big")])
    )
    big["entry"][0]["changes"][0]["value"]["padding"] = "x" * (4_900_000)
    shapes = {
        "empty object": b"{}",
        "object is a number": b'{"object":12,"entry":[]}',
        "unknown object": encode({"object": "instagram", "entry": [{"id": "1", "messaging": []}]}),
        "NUL in object name": encode({"object": "page\x00", "entry": []}),
        "entry not a list": encode({"object": "page", "entry": "nope"}),
        "messaging not a list": encode(
            {"object": "page", "entry": [{"id": {"x": 1}, "messaging": "nope"}]}
        ),
        "message fields of wrong types": encode(
            {
                "object": "page",
                "entry": [
                    {
                        "id": page.external_id,
                        "time": "soon",
                        "messaging": [
                            {"sender": "me", "message": {"mid": ["a"], "text": 5}},
                            {"sender": {"id": None}, "message": None},
                            {
                                "sender": {"id": "5551236"},
                                "recipient": {"id": page.external_id},
                                "timestamp": 10**30,
                                "message": {"mid": f"m_hugets_{now}", "text": {"t": 1}},
                            },
                        ],
                    }
                ],
            }
        ),
        "NUL in message text": messenger_body(page.external_id, [text_with_nul]),
        "5000-char message id": messenger_body(page.external_id, [long_id]),
        "whatsapp value null": encode(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"id": number.waba_id, "changes": [{"field": "messages", "value": None}]}
                ],
            }
        ),
        "whatsapp wrong types": encode(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": number.waba_id,
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "metadata": {"phone_number_id": number.external_id},
                                    "contacts": "x",
                                    "messages": [
                                        {"from": None, "id": 12, "type": {"x": 1}},
                                        {
                                            "from": "1555",
                                            "id": f"wamid.ts{now}",
                                            "type": "text",
                                            "timestamp": "99999999999999999999",
                                            "text": "not an object",
                                        },
                                    ],
                                    "statuses": [
                                        {"id": None, "status": "bogus"},
                                        {"id": "wamid.unknown", "status": "read", "timestamp": "x"},
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
        ),
        "status for a message nobody sent": encode(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": number.waba_id,
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {"phone_number_id": number.external_id},
                                    "statuses": [
                                        {
                                            "id": f"wamid.nobody{now}",
                                            "status": "delivered",
                                            "timestamp": str(now),
                                            "recipient_id": "1555",
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
        ),
        "valid message beside a malformed one (Messenger)": encode(
            {
                "object": "page",
                "entry": [
                    {
                        "id": page.external_id,
                        "time": now * 1000,
                        "messaging": [
                            {
                                "sender": "me",
                                "recipient": {"id": page.external_id},
                                "timestamp": now * 1000,
                                "message": {"mid": ["a"], "text": 5},
                            }
                        ],
                    },
                    json.loads(messenger_body(page.external_id, [sibling_m]))["entry"][0],
                ],
            }
        ),
        "valid message beside a malformed one (WhatsApp)": encode(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": number.waba_id,
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "metadata": {"phone_number_id": number.external_id},
                                    "contacts": [{"wa_id": 5, "profile": "x"}],
                                    "messages": [
                                        {
                                            "from": {"a": 1},
                                            "id": 12,
                                            "type": {"x": 1},
                                            "timestamp": [1],
                                            "text": "x",
                                        }
                                    ],
                                },
                            }
                        ],
                    },
                    json.loads(whatsapp_body(number, [sibling_w]))["entry"][0],
                ],
            }
        ),
        "page nobody connected": messenger_body(
            "123456789", [InboundSpec(page, "5551237", f"m_unrouted_{now}", now, "hello?")]
        ),
        "4.9 MB delivery": encode(big),
    }
    assert len(shapes["4.9 MB delivery"]) < MAX_BODY_BYTES
    siblings = {
        (page.external_id, sibling_m.message_id),
        (number.external_id, sibling_w.message_id),
    }
    return not_objects, shapes, siblings


async def test_malformed_bodies_are_kept_marked_and_never_crash_a_worker(env: Env) -> None:
    """Every problem is collected first, so one run reports all of them."""
    stack = env.stack
    crashes_before = len(stack.crashes)
    not_objects, shapes, siblings = _malformed_bodies(env)
    bodies = {**not_objects, **shapes}
    problems: list[str] = []
    client = MetaClient(stack.webhook_url, timeout=30)
    answers: dict[str, tuple[str, float]] = {}
    try:
        for name, body in bodies.items():
            answer, seconds, _ = await post_once(client, body)
            answers[name] = (answer, round(seconds, 2))
        oversized = b'{"object":"page","padding":"' + b"x" * MAX_BODY_BYTES + b'"}'
        too_big = await post_once(client, oversized)
        forged = encode({"object": "page", "entry": []})
        bad_signature = await post_once(client, forged, secret="not-the-app-secret")
    finally:
        await client.aclose()

    refused = {n: a for n, a in answers.items() if a[0] != "200" or a[1] > ACK_DEADLINE}
    if refused:
        problems.append(
            f"signed deliveries not acknowledged with 200 within {ACK_DEADLINE}s "
            f"(Meta would retry them for days, never stored): {refused}"
        )
    if too_big[0] != "413" or too_big[1] > ACK_DEADLINE:
        problems.append(f"a body over 5 MB answered {too_big[0]} in {too_big[1]:.1f}s, not 413")
    if bad_signature[0] != "401":
        problems.append(f"a bad signature answered {bad_signature[0]}, not 401")
    if await stored_events(stack.database_url, [dedup_key(oversized), dedup_key(forged)]):
        problems.append("the oversized or the forged delivery was stored")

    accepted = {name: dedup_key(bodies[name]) for name in bodies if name not in refused}
    done, _, counts = await wait_for_events(
        stack.database_url, accepted.values(), 60, done_states=("processed", "dead", "failed")
    )
    rows = await stored_events(stack.database_url, accepted.values())
    report = {
        name: (r["status"], r["attempts"], (r["last_error"] or r["result"] or "")[:100])
        for name, key in accepted.items()
        if (r := rows.get(key))
    }
    if not done:
        problems.append(f"acknowledged deliveries not marked within 60s: {counts}")
    wrong: dict[str, object] = {}
    for name, key in accepted.items():
        row = rows.get(key)
        if row is None:
            wrong[name] = "acknowledged but not stored"
        elif (
            (name in not_objects and row["status"] not in ("dead", "failed"))
            or row["status"] == "received"
            or (row["status"] == "processed" and not row["result"])
            or (row["status"] in ("dead", "failed") and not row["last_error"])
        ):
            wrong[name] = report[name]
    if wrong:
        problems.append(f"deliveries not kept and marked as expected: {wrong}")

    lost = siblings - await inbound_messages(stack.database_url)
    if lost:
        problems.append(
            "valid messages delivered in the same POST as a malformed event were not stored "
            f"(one bad item fails the whole delivery): {sorted(lost)}"
        )

    # No loop: nothing is retried faster than its backoff, and the worker stays up.
    await asyncio.sleep(5)
    later = await stored_events(stack.database_url, accepted.values())
    looping = {
        name: (rows[key]["attempts"], later[key]["attempts"])
        for name, key in accepted.items()
        if key in rows and later[key]["attempts"] > max(8, rows[key]["attempts"] + 2)
    }
    if looping:
        problems.append(f"deliveries retried in a loop (attempts before, after 5 s): {looping}")
    if crashed := _worker_crashes(stack, crashes_before):
        problems.append(f"a worker crashed: {crashed}")

    # The worker still does its job afterwards.
    valid, expected = inbound_bodies(env.channels, 4, env.rng, "aftermalformed")
    stats = await post_all(stack.webhook_url, valid, concurrency=4)
    ok, _, counts = await wait_for_events(stack.database_url, [dedup_key(b) for b in valid], 60)
    if (
        stats.answers != {"200": 4}
        or not ok
        or not expected <= await inbound_messages(stack.database_url)
    ):
        problems.append(f"valid deliveries afterwards: {dict(stats.answers)}, {counts}")
    print("malformed deliveries, end states:", json.dumps(report, indent=1, ensure_ascii=True))
    assert not problems, "\n".join(problems)


async def test_redis_outage_still_acknowledges_and_the_sweeper_recovers(env: Env) -> None:
    stack = env.stack
    crashes_before = len(stack.crashes)
    problems: list[str] = []
    bodies, expected = inbound_bodies(env.channels, 300, env.rng, "redisdown")
    progress = Progress(len(bodies))
    posting = asyncio.create_task(
        post_all(stack.webhook_url, bodies, concurrency=8, progress=progress, give_up_after=120)
    )
    while progress.done < len(bodies) // 4 and not progress.finished:
        await asyncio.sleep(0.01)
    await asyncio.to_thread(stack.kill_redis)
    killed = time.monotonic()
    killed_at = progress.done
    stats = await posting
    await asyncio.sleep(max(0.0, 3 - (time.monotonic() - killed)))
    down_for = time.monotonic() - killed
    await asyncio.to_thread(stack.start_redis)

    if stats.answers != {"200": len(bodies)}:
        problems.append(
            f"answers with Redis down (killed after {killed_at} posts): {dict(stats.answers)}"
        )
    if stats.slow:
        problems.append(f"acknowledgements slower than {ACK_DEADLINE}s: {stats.slow[:5]}")

    ok, seconds, counts = await wait_for_events(
        stack.database_url, [dedup_key(b) for b in bodies], SWEEP_WAIT, log=stack.log
    )
    if not ok:
        problems.append(f"not processed {SWEEP_WAIT:.0f}s after Redis came back: {counts}")
    if missing := expected - await inbound_messages(stack.database_url):
        problems.append(f"{len(missing)} acknowledged messages never landed")
    if not stack.workers_alive():
        problems.append("a worker is not running after Redis came back")
    restarted = _worker_crashes(stack, crashes_before)
    stack.log(
        f"Redis outage: {len(bodies) - killed_at} deliveries acknowledged with Redis down "
        f"({down_for:.0f}s), all processed {seconds:.0f}s after Redis came back: {ok}; "
        f"workers that exited on the outage and were restarted by the harness: "
        f"{[c.split(' ')[0] for c in restarted]}"
    )
    assert not problems, "\n".join(problems)


async def test_postgres_outage_answers_503_then_everything_acknowledged_is_processed(
    env: Env,
) -> None:
    stack = env.stack
    problems: list[str] = []
    bodies, expected = inbound_bodies(env.channels, 400, env.rng, "pgdown")
    progress = Progress(len(bodies))
    posting = asyncio.create_task(
        post_all(stack.webhook_url, bodies, concurrency=8, progress=progress, give_up_after=120)
    )
    while progress.done < len(bodies) // 4 and not progress.finished:
        await asyncio.sleep(0.01)
    await asyncio.to_thread(stack.pg.stop, "immediate")
    stopped_at = progress.done

    probes, _ = inbound_bodies(env.channels, 20, env.rng, "pgprobe")
    client = MetaClient(stack.webhook_url, timeout=30)
    probe_answers: list[tuple[str, float, bytes]] = []
    try:
        for probe in probes:
            probe_answers.append(await post_once(client, probe))
    finally:
        await client.aclose()
    redis_fine = await asyncio.to_thread(stack.redis.ping)
    await asyncio.sleep(3)
    await asyncio.to_thread(stack.pg.start)
    stats = await posting

    bad_probes = [
        (a, round(s, 2), p[:100]) for a, s, p in probe_answers if a != "503" or s > ACK_DEADLINE
    ]
    if bad_probes:
        problems.append(
            f"answers with PostgreSQL down (want 503 within {ACK_DEADLINE}s): {bad_probes}"
        )
    if not redis_fine:
        problems.append("Redis did not answer while PostgreSQL was down")
    unexpected = {k: v for k, v in stats.answers.items() if k not in ("200", "503")}
    if unexpected:
        problems.append(
            "answers other than 200/503 while PostgreSQL stopped and started again "
            f"(stopped after {stopped_at} posts): {dict(stats.answers)}"
        )
    if stats.slow:
        problems.append(f"answers slower than {ACK_DEADLINE}s: {stats.slow[:5]}")
    if stats.never_accepted:
        problems.append(
            f"never acknowledged after PostgreSQL came back: {stats.never_accepted[:3]}"
        )

    # Every delivery that got a 200 (all of them, after retries) is processed.
    ok, seconds, counts = await wait_for_events(
        stack.database_url, stats.accepted_keys, SWEEP_WAIT, log=stack.log
    )
    if not ok:
        problems.append(f"not processed {SWEEP_WAIT:.0f}s after PostgreSQL came back: {counts}")
    if missing := expected - await inbound_messages(stack.database_url):
        problems.append(f"{len(missing)} acknowledged messages never landed")
    if not stack.workers_alive():
        problems.append("a worker is not running after PostgreSQL came back")
    stack.log(
        f"PostgreSQL outage: answers {dict(stats.answers)}; all processed {seconds:.0f}s "
        f"after the last post: {ok}"
    )
    assert not problems, "\n".join(problems)
