from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import WebhookEvent, WebhookEventStatus
from api.webhooks.service import dedup_key
from tests.helpers import messenger_text_payload, signed

URL = "/api/webhooks/meta"


async def _stored(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(WebhookEvent))).scalar_one())


async def _queued_jobs(redis: object) -> list[str]:
    from api.jobs import WEBHOOK_QUEUE_NAME

    return [key.decode() for key in await redis.zrange(WEBHOOK_QUEUE_NAME, 0, -1)]  # type: ignore[attr-defined]


async def test_challenge_is_echoed_with_the_right_verify_token(client: httpx.AsyncClient) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "test-verify-token",
        "hub.challenge": "1158201444",
    }
    response = await client.get(URL, params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
async def test_challenge_is_refused_otherwise(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(URL, params=params)
    assert response.status_code == 403
    assert response.json()["error"] == "verification_failed"


async def test_signed_delivery_is_stored_and_enqueued(
    client: httpx.AsyncClient, session: AsyncSession, redis: object
) -> None:
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200
    event = (await session.execute(select(WebhookEvent))).scalar_one()
    assert event.raw_body == body
    assert event.status is WebhookEventStatus.RECEIVED
    assert event.object == "page"
    assert await _queued_jobs(redis) == [f"webhook:{event.id}"]


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "missing header", "not sha256"])
async def test_bad_signatures_are_401_and_store_nothing(
    client: httpx.AsyncClient, session: AsyncSession, redis: object, case: str
) -> None:
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    if case == "tampered body":
        body = body.replace(b"hi", b"ho")
    elif case == "wrong secret":
        body, headers = signed(
            messenger_text_payload("1001", "2001", "hi"), secret="not-the-secret"
        )
    elif case == "missing header":
        headers.pop("X-Hub-Signature-256")
    else:
        headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].replace("sha256=", "sha1=")
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert await _stored(session) == 0
    assert await _queued_jobs(redis) == []


async def test_signature_is_checked_over_raw_bytes_not_reserialised_json(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Meta escapes non-ASCII and slashes; re-encoding would change the bytes and the HMAC.
    body = b'{"object":"page","entry":[{"id":"1","messaging":[{"message":{"text":"caf\\u00e9 \\/ ok"}}]}]}'
    _, headers = signed(body)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200
    assert (await session.execute(select(WebhookEvent.raw_body))).scalar_one() == body


async def test_the_same_delivery_twice_is_stored_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    for _ in range(2):
        assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    assert await _stored(session) == 1
    stored_key = (await session.execute(select(WebhookEvent.dedup_key))).scalar_one()
    assert stored_key == dedup_key(body)


async def test_malformed_json_with_a_valid_signature_is_kept(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body, headers = signed(b"{not json")
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200
    assert await _stored(session) == 1


async def test_redis_down_still_acknowledges_and_keeps_the_row(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arq.connections import ArqRedis

    dead = ArqRedis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr("api.jobs.get_redis", lambda: dead)
    body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200
    event = (await session.execute(select(WebhookEvent))).scalar_one()
    assert event.status is WebhookEventStatus.RECEIVED  # the sweeper will re-drive it


async def test_database_down_is_503_so_meta_retries(
    monkeypatch: pytest.MonkeyPatch, redis: object
) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from api import db as api_db
    from api.main import create_app

    dead_engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    monkeypatch.setattr(api_db, "get_sessionmaker", lambda: async_sessionmaker(dead_engine))
    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        body, headers = signed(messenger_text_payload("1001", "2001", "hi"))
        response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 503
    assert response.json()["error"] == "database_unavailable"
    await dead_engine.dispose()


async def test_oversized_payload_is_413(client: httpx.AsyncClient, session: AsyncSession) -> None:
    payload = {"object": "page", "entry": [], "pad": "x" * (5 * 1024 * 1024)}
    body, headers = signed(json.dumps(payload).encode())
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 413
    assert await _stored(session) == 0


async def test_the_route_itself_answers_like_the_lane(session: AsyncSession, redis: object) -> None:
    """`create_app` answers deliveries in `api.webhooks.lane`, ahead of the router; the
    route the schema documents does the same work when an app is built without it."""
    from fastapi import FastAPI

    from api.errors import install_error_handlers
    from api.webhooks.router import router

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router, prefix="/api")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as bare:
        body, headers = signed(messenger_text_payload("1001", "2001", "via the router"))
        assert (await bare.post(URL, content=body, headers=headers)).json() == {
            "status": "received"
        }
        headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
        refused = await bare.post(URL, content=body + b" ", headers=headers)
        assert refused.status_code == 401
    event = (await session.execute(select(WebhookEvent))).scalar_one()
    assert event.raw_body == body
    assert await _queued_jobs(redis) == [f"webhook:{event.id}"]


async def test_the_lane_leaves_other_methods_and_paths_to_the_router(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.put(URL, content=b"{}")).status_code == 405
    assert (await client.post(URL + "/", content=b"{}")).status_code in (307, 404, 405)
    assert (await client.get("/api/webhooks/events")).status_code == 401
