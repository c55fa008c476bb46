"""Scale-out proof: two api, two realtime and two of each worker, one minute of steady
traffic, and every event processed once and delivered to every socket.

Customers write through metasim (signed deliveries, spread over both apis), agents reply
through both apis (the workers send them to metasim, which answers with its echoes,
receipts and statuses), and three agents' sockets on each gateway watch. Then:

- every customer message is stored exactly once, every webhook delivery metasim made is
  stored once and processed (none left received or failed);
- every reply reached Meta exactly once (one Graph send per message) and was read;
- every socket got every tenant event once, in one gap-free `seq` order, the same on all
  six; each customer message and reply as one `message:new`;
- each api, gateway and worker process did part of the work (their /metrics).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from api.events import seq_key
from tests.event_payloads import (
    customer_message,
    new_mid,
    new_wamid,
    page_payload,
    wa_contact,
    wa_message,
    wa_payload,
    wa_value,
)
from tests.helpers import signed
from tests.processes import Running, wait_until
from tests.scaleout.conftest import (
    APP_SECRET,
    DEMO_PAGE_ID,
    DEMO_WA_DISPLAY,
    DEMO_WA_NUMBER_ID,
    DEMO_WABA_ID,
    REDIS_URL,
    Cluster,
    login,
)

pytestmark = pytest.mark.scaleout

DURATION_SECONDS = 60.0
MESSAGES_PER_SECOND = 20.0  # customers' messages, half Messenger, half WhatsApp
REPLIES_PER_SECOND = 3.0
CUSTOMERS = 40  # per channel
SOCKETS_PER_GATEWAY = 3
IN_FLIGHT = 200  # requests waiting for an answer at once, at most
DRAIN_SECONDS = 150
TEST_SECONDS = 420  # the hard limit of everything after start-up
UNNUMBERED = ("session:ready", "resync:required")  # they carry the current number, not theirs
FINAL_STATUS = "read"


# --- sockets ------------------------------------------------------------------------------


@dataclass
class Socket:
    gateway: str
    sio: socketio.AsyncClient = field(
        default_factory=lambda: socketio.AsyncClient(reconnection=False)
    )
    events: list[tuple[str, Any]] = field(default_factory=list)
    disconnects: int = 0

    async def connect(self, url: str, token: str) -> None:
        self.sio.on("*", self._record)
        self.sio.on("disconnect", self._disconnected)
        await self.sio.connect(
            url, auth={"token": token}, transports=["websocket"], wait_timeout=15
        )
        deadline = time.monotonic() + 15
        while not self.named("session:ready"):
            assert time.monotonic() < deadline, f"no session:ready from {self.gateway}"
            await asyncio.sleep(0.05)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    async def _disconnected(self, *_: Any) -> None:
        self.disconnects += 1

    def named(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    @property
    def ready_seq(self) -> int:
        return int(self.named("session:ready")[0]["seq"])

    def tenant_events(self) -> list[tuple[str, int, str]]:
        """(event, seq, what it is about) of every numbered event, in arrival order
        (live-only events such as presence carry no number)."""
        return [
            (event, int(data["seq"]), _about(event, data))
            for event, data in self.events
            if event not in UNNUMBERED and isinstance(data, dict) and "seq" in data
        ]

    def last_seq(self) -> int:
        numbered = self.tenant_events()
        return numbered[-1][1] if numbered else self.ready_seq


def _about(event: str, data: dict[str, Any]) -> str:
    if event.startswith("message:"):
        message = data["message"]
        return f"{message['id']}:{message['status']}"
    for key in ("conversation", "channel"):
        if isinstance(data.get(key), dict):
            return str(data[key].get("id"))
    return ""


# --- load ---------------------------------------------------------------------------------


@dataclass
class Load:
    inbound: dict[str, str] = field(default_factory=dict)  # mid / wamid -> api
    posted: int = 0  # deliveries the test posted itself (metasim's are in its log)
    replies: dict[str, str] = field(default_factory=dict)  # our message id -> api
    latencies: list[float] = field(default_factory=list)  # webhook POST -> 200, seconds
    problems: list[str] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0


async def steady(
    rate: float, seconds: float, action: Callable[[int], Coroutine[Any, Any, None]]
) -> int:
    """Start `action(n)` at `rate` per second for `seconds` (not waiting for the previous
    one: the arrival rate stays steady however slowly answers come); then wait for all."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Task[None]] = []
    while (due := start + len(tasks) / rate) < start + seconds:
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(action(len(tasks))))
    await asyncio.gather(*tasks)
    return len(tasks)


def psid(customer: int) -> str:
    return f"7300000000{customer:04d}"


def wa_id(customer: int) -> str:
    return f"1555300{customer:04d}"


class Driver:
    """Plays Meta's webhooks and the agents. Customers first write once through metasim
    (so Meta knows them and the agents may answer); the minute of load is then posted
    signed straight to the apis, as Meta would, while metasim answers the replies' sends
    and sends their echoes, receipts and statuses."""

    def __init__(self, cluster: Cluster, token: str, watcher: Socket) -> None:
        self.cluster = cluster
        self.token = token
        self.watcher = watcher  # its message:new events tell which conversations exist
        self.load = Load()
        self.limit = asyncio.Semaphore(IN_FLIGHT)
        self.http = httpx.AsyncClient(timeout=60)

    def _api(self, n: int) -> Running:
        """Every (channel, api) combination in turn: n even Messenger, odd WhatsApp."""
        return self.cluster.apis[(n // 2) % len(self.cluster.apis)]

    async def introduce(self, n: int) -> None:
        """Customer n // 2 writes for the first time, through metasim."""
        api, customer = self._api(n), n // 2
        target = {"text": f"hello from {customer}", "url": f"{api.url}/api/webhooks/meta"}
        if n % 2 == 0:
            path, id_key = "/_sim/messenger/deliver", "mid"
            body = {"page_id": DEMO_PAGE_ID, "psid": psid(customer), "first_name": "Customer",
                    "last_name": str(customer), **target}  # fmt: skip
        else:
            path, id_key = "/_sim/whatsapp/deliver", "wamid"
            body = {"phone_number_id": DEMO_WA_NUMBER_ID, "wa_id": wa_id(customer),
                    "name": f"Customer {customer}", **target}  # fmt: skip
        async with self.limit:
            response = await self.http.post(f"{self.cluster.metasim.url}{path}", json=body)
        result = response.json()
        if response.status_code != 200 or not result.get("delivered"):
            self.load.problems.append(f"introduction {n} to {api.name}: {response.text[:300]}")
            return
        self.load.inbound[result[id_key]] = api.name

    async def customer_writes(self, n: int) -> None:
        """A signed delivery of one customer message, to api-1 or api-2."""
        api, customer = self._api(n), (n // 2) % CUSTOMERS
        text = f"scale-out message {n}"
        if n % 2 == 0:
            meta_id = new_mid()
            payload = page_payload(
                DEMO_PAGE_ID, customer_message(DEMO_PAGE_ID, psid(customer), mid=meta_id, text=text)
            )
        else:
            meta_id = new_wamid()
            value = wa_value(
                DEMO_WA_NUMBER_ID,
                display_phone_number=DEMO_WA_DISPLAY,
                contacts=[wa_contact(wa_id(customer), f"Customer {customer}")],
                messages=[wa_message(wa_id(customer), "text", {"body": text}, wamid=meta_id)],
            )
            payload = wa_payload(DEMO_WABA_ID, ("messages", value))
        body, headers = signed(payload, APP_SECRET)
        async with self.limit:
            sent = time.monotonic()
            response = await self.http.post(
                f"{api.url}/api/webhooks/meta", content=body, headers=headers
            )
            self.load.latencies.append(time.monotonic() - sent)
        self.load.posted += 1
        if response.status_code != 200:
            self.load.problems.append(f"delivery {n} to {api.name}: {response.status_code}")
            return
        self.load.inbound[meta_id] = api.name

    async def agent_replies(self, n: int) -> None:
        """An agent answers a conversation with a customer message, through api-1 or api-2."""
        conversations = self._conversations()
        conversation = conversations[n % len(conversations)]
        api = self.cluster.apis[n % len(self.cluster.apis)]
        async with self.limit:
            response = await self.http.post(
                f"{api.url}/api/inbox/conversations/{conversation}/messages",
                json={"text": f"scale-out reply {n}"},
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
        if response.status_code != 202:
            self.load.problems.append(
                f"reply {n} via {api.name}: {response.status_code} {response.text[:300]}"
            )
            return
        self.load.replies[response.json()["id"]] = api.name

    def _conversations(self) -> list[str]:
        seen = dict.fromkeys(
            event["message"]["conversation_id"]
            for event in self.watcher.named("message:new")
            if event["message"]["direction"] == "inbound"
        )
        return list(seen)

    async def run(self) -> Load:
        await asyncio.gather(*(self.introduce(n) for n in range(2 * CUSTOMERS)))
        await wait_until(
            lambda: len(self._conversations()) == 2 * CUSTOMERS, "every customer's conversation", 60
        )
        self.load.started = time.monotonic()
        await asyncio.gather(
            steady(MESSAGES_PER_SECOND, DURATION_SECONDS, self.customer_writes),
            steady(REPLIES_PER_SECOND, DURATION_SECONDS, self.agent_replies),
        )
        self.load.finished = time.monotonic()
        return self.load

    async def close(self) -> None:
        await self.http.aclose()


# --- what the system holds afterwards -------------------------------------------------------


@dataclass
class Outcome:
    inbound: Counter[str]  # stored customer messages by Meta id
    outbound: dict[str, tuple[str, str | None]]  # reply id -> (status, Meta id)
    webhook_events: Counter[str]  # by status
    tenant_seq: int
    deliveries: list[dict[str, Any]]  # every POST metasim made
    sent: list[dict[str, Any]]  # every Graph send metasim received


async def _database(
    cluster: Cluster,
) -> tuple[Counter[str], dict[str, tuple[str, str | None]], Counter[str], str]:
    connection = await asyncpg.connect(cluster.database_url)
    try:
        inbound = Counter(
            {row["external_id"]: row["n"] for row in await connection.fetch(
                "SELECT external_id, count(*) AS n FROM messages WHERE direction = 'inbound'"
                " GROUP BY external_id"
            )}
        )  # fmt: skip
        outbound = {
            str(row["id"]): (row["status"], row["external_id"])
            for row in await connection.fetch(
                "SELECT id, status::text AS status, external_id FROM messages"
                " WHERE direction = 'outbound'"
            )
        }
        statuses = Counter(
            {row["status"]: row["n"] for row in await connection.fetch(
                "SELECT status::text AS status, count(*) AS n FROM webhook_events GROUP BY 1"
            )}
        )  # fmt: skip
        tenant = str(await connection.fetchval("SELECT id FROM tenants LIMIT 1"))
    finally:
        await connection.close()
    return inbound, outbound, statuses, tenant


async def outcome(cluster: Cluster) -> Outcome:
    inbound, outbound, statuses, tenant = await _database(cluster)
    redis = Redis.from_url(REDIS_URL)
    try:
        seq = int(await redis.get(seq_key(tenant)) or 0)
    finally:
        await redis.aclose()
    async with httpx.AsyncClient(base_url=cluster.metasim.url, timeout=30) as sim:
        deliveries = (await sim.get("/_sim/deliveries")).json()["items"]
        sent = (await sim.get("/_sim/sent")).json()["items"]
    return Outcome(inbound, outbound, statuses, seq, deliveries, sent)


async def drained(cluster: Cluster, load: Load, sockets: list[Socket]) -> bool:
    """Nothing left to happen: metasim idle, every delivery processed, every reply read,
    every socket at the tenant's last number."""
    async with httpx.AsyncClient(base_url=cluster.metasim.url, timeout=30) as sim:
        if not (await sim.post("/_sim/wait-idle", params={"timeout": "2"})).json()["idle"]:
            return False
    now = await outcome(cluster)
    if set(now.webhook_events) - {"processed"} or sum(now.webhook_events.values()) < (
        len(now.deliveries) + load.posted
    ):
        return False
    if any(now.outbound.get(reply, ("missing",))[0] != FINAL_STATUS for reply in load.replies):
        return False
    return all(socket.last_seq() == now.tenant_seq for socket in sockets)


def _sent_id(call: dict[str, Any]) -> str | None:
    response = call.get("response") or {}
    if "message_id" in response:
        return str(response["message_id"])
    messages = response.get("messages") or []
    return str(messages[0]["id"]) if messages else None


# --- per-process work, from each process's /metrics -----------------------------------------


async def _metric(url: str, name: str, **labels: str) -> float:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(url)
    response.raise_for_status()
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


async def work_per_process(cluster: Cluster) -> dict[str, float]:
    """What each process did, by its own count."""
    work: dict[str, float] = {}
    for api in cluster.apis:
        work[api.name] = await _metric(
            f"{api.url}/metrics", "parley_webhook_deliveries_total", result="accepted"
        )
    for gateway in cluster.gateways:
        work[gateway.name] = await _metric(
            f"{gateway.url}/metrics",
            "parley_socket_events_total",
            event="message:new",
            direction="sent",
        )
    functions = {"worker": "inbox.send_message", "webhook-worker": "webhooks.process_event"}
    for worker in cluster.workers:
        work[worker.name] = await _metric(
            f"{cluster.worker_url(worker)}/metrics",
            "parley_job_duration_seconds_count",
            function=functions[worker.name.rsplit("-", 1)[0]],
            result="ok",
        )
    return work


# --- the test -------------------------------------------------------------------------------


async def test_every_event_is_processed_once_and_reaches_every_socket(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    began = time.monotonic()
    async with asyncio.timeout(TEST_SECONDS):
        token = await login(cluster.apis[0])
        sockets = [
            Socket(gateway.name) for gateway in cluster.gateways for _ in range(SOCKETS_PER_GATEWAY)
        ]
        gateway_urls = {gateway.name: gateway.url for gateway in cluster.gateways}
        for socket in sockets:
            await socket.connect(gateway_urls[socket.gateway], token)
        driver = Driver(cluster, token, sockets[0])
        try:
            load = await driver.run()
            deadline = time.monotonic() + DRAIN_SECONDS
            while not await drained(cluster, load, sockets):
                assert time.monotonic() < deadline, _stuck(
                    cluster, load, sockets, await outcome(cluster)
                )
                await asyncio.sleep(1)
            drained_at = time.monotonic()
            await asyncio.sleep(1)  # room for a late duplicate to show up
            result = await outcome(cluster)
            work = await work_per_process(cluster)
            dropped = [socket.gateway for socket in sockets if socket.disconnects]
        finally:
            await driver.close()
            for socket in sockets:
                await socket.sio.disconnect()

    with capsys.disabled():
        _report(load, result, sockets, work, drained_at - load.finished, time.monotonic() - began)
    assert not dropped, f"sockets disconnected during the test: {dropped}"
    _check(cluster, load, result, sockets, work)


def _check(
    cluster: Cluster, load: Load, result: Outcome, sockets: list[Socket], work: dict[str, float]
) -> None:
    assert not load.problems, load.problems[:10]
    assert len(load.inbound) == 2 * CUSTOMERS + round(DURATION_SECONDS * MESSAGES_PER_SECOND)

    # Every customer message stored exactly once, nothing else stored as inbound.
    assert result.inbound == Counter(dict.fromkeys(load.inbound, 1))
    # Every delivery (the test's, metasim's to introduce customers and its follow-ups)
    # acknowledged, stored once and processed.
    assert all(d["delivered"] for d in result.deliveries), [
        d for d in result.deliveries if not d["delivered"]
    ][:3]
    assert result.webhook_events == Counter({"processed": len(result.deliveries) + load.posted})
    by_api = Counter(load.inbound.values())
    assert set(by_api) == {api.name for api in cluster.apis}, by_api

    # Every reply sent to Meta exactly once, and read by the customer.
    assert load.replies and set(Counter(load.replies.values())) == {
        api.name for api in cluster.apis
    }
    assert set(result.outbound) == set(load.replies)
    assert {status for status, _ in result.outbound.values()} == {FINAL_STATUS}
    meta_ids = [meta_id for _, meta_id in result.outbound.values()]
    assert len(set(meta_ids)) == len(meta_ids) and None not in meta_ids
    assert all(call["status_code"] == 200 for call in result.sent), [
        c for c in result.sent if c["status_code"] != 200
    ][:3]
    assert Counter(_sent_id(call) for call in result.sent) == Counter(dict.fromkeys(meta_ids, 1))

    # Every socket: every tenant event once, gap-free, the same sequence everywhere.
    sequences = set()
    for socket in sockets:
        numbered = socket.tenant_events()
        seqs = [seq for _, seq, _ in numbered]
        assert seqs == list(range(socket.ready_seq + 1, result.tenant_seq + 1)), socket.gateway
        sequences.add(tuple(numbered))
        new = Counter(
            (
                data["message"]["external_id"]
                if data["message"]["direction"] == "inbound"
                else data["message"]["id"]
            )
            for data in socket.named("message:new")
        )
        assert new == Counter(dict.fromkeys([*load.inbound, *load.replies], 1)), socket.gateway
        updates = Counter(
            _about("message:updated", data) for data in socket.named("message:updated")
        )
        assert max(updates.values(), default=1) == 1, updates.most_common(3)
        finals = {
            data["message"]["id"]
            for data in socket.named("message:updated")
            if data["message"]["status"] == FINAL_STATUS
        }
        assert set(load.replies) <= finals, socket.gateway
    assert len(sequences) == 1

    # Each process did its share.
    idle = [name for name, count in work.items() if count <= 0]
    assert not idle, work


def _stuck(cluster: Cluster, load: Load, sockets: list[Socket], now: Outcome) -> str:
    pending = Counter(now.outbound.get(reply, ("missing",))[0] for reply in load.replies)
    return (
        f"not drained within {DRAIN_SECONDS}s: webhook events {dict(now.webhook_events)} of "
        f"{len(now.deliveries) + load.posted} deliveries; replies by status {dict(pending)}; tenant seq "
        f"{now.tenant_seq}, sockets at {[s.last_seq() for s in sockets]}\n"
        f"sockets (gateway, ready seq, numbered events, disconnects, other events): "
        f"{[_socket_summary(s) for s in sockets]}\n{cluster.logs()}"
    )


def _socket_summary(socket: Socket) -> tuple[str, int, int, int, dict[str, int]]:
    others = Counter(
        event
        for event, data in socket.events
        if not isinstance(data, dict) or "seq" not in data or event in UNNUMBERED
    )
    return (
        socket.gateway,
        socket.ready_seq,
        len(socket.tenant_events()),
        socket.disconnects,
        dict(others),
    )


def _report(
    load: Load,
    result: Outcome,
    sockets: list[Socket],
    work: dict[str, float],
    drain: float,
    total: float,
) -> None:
    seconds = load.finished - load.started
    latencies = sorted(load.latencies)
    p50, p99 = (latencies[min(len(latencies) - 1, int(q * len(latencies)))] for q in (0.5, 0.99))
    print(
        f"\n[scaleout] {load.posted} customer messages posted in {seconds:.1f}s "
        f"({load.posted / seconds:.1f}/s; answered p50 {p50 * 1000:.0f} ms, p99 "
        f"{p99 * 1000:.0f} ms) after {2 * CUSTOMERS} introductions, + {len(load.replies)} "
        f"replies ({len(load.replies) / seconds:.1f}/s); "
        f"{len(result.deliveries) + load.posted} webhook deliveries stored and processed; "
        f"{len(result.sent)} Graph sends; drained {drain:.1f}s after the load; test {total:.1f}s"
    )
    print(
        "[scaleout] events per socket: "
        + ", ".join(f"{s.gateway}={len(s.tenant_events())}" for s in sockets)
    )
    print("[scaleout] work per process: " + ", ".join(f"{k}={v:.0f}" for k, v in work.items()))
