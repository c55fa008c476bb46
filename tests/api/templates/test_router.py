"""Templates for the picker: syncing from the WABA (every page), listing (approved by
default), previewing with parameters — always inside the caller's tenant."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import respx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import ChannelStatus, MessageTemplate
from tests.api.inbox.sending_data import (
    APPOINTMENT,
    ORDER_PARAMETERS,
    ORDER_UPDATE,
    add_template,
    whatsapp_setup,
)
from tests.event_payloads import deliver_and_process, wa_payload
from tests.helpers import create_account
from worker import tasks


def graph_template(name: str, language: str = "en_US", status: str = "APPROVED", **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": str(abs(hash((name, language))) % 10**15),
        "name": name,
        "language": language,
        "status": status,
        "category": "UTILITY",
        "components": ORDER_UPDATE,
        "parameter_format": "POSITIONAL",
        "quality_score": {"score": "GREEN", "date": 1790000000},
        **extra,
    }


def paged(waba_id: str, pages: list[list[dict[str, Any]]], graph: respx.MockRouter) -> respx.Route:
    """Graph's message_templates edge in pages: `paging.next` + `cursors.after` until the last."""
    answers = []
    for index, rows in enumerate(pages):
        body: dict[str, Any] = {"data": rows}
        if index < len(pages) - 1:
            body["paging"] = {
                "cursors": {"before": f"b{index}", "after": f"cursor-{index + 1}"},
                "next": f"https://graph.test/v25.0/{waba_id}/message_templates?after=cursor-{index + 1}",
            }
        answers.append(httpx.Response(200, json=body))
    route = graph.get(f"/{waba_id}/message_templates")
    route.side_effect = answers
    return route


async def stored(session: AsyncSession) -> dict[tuple[str, str], MessageTemplate]:
    rows = await session.execute(select(MessageTemplate).execution_options(populate_existing=True))
    return {(t.name, t.language): t for t in rows.scalars()}


async def test_sync_follows_every_page_and_stores_the_templates(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    assert channel.waba_id is not None
    route = paged(
        channel.waba_id,
        [
            [graph_template("a_first"), graph_template("b_second", "pt_BR")],
            [graph_template("c_third", status="PENDING")],
            [graph_template("d_fourth", status="REJECTED", rejected_reason="INVALID_FORMAT")],
        ],
        graph,
    )

    response = await client.post(
        f"/api/channels/{channel.id}/templates/sync", headers=account.headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"waba_id": channel.waba_id, "synced": 4, "deleted": 0}
    assert route.call_count == 3
    queries = [dict(call.request.url.params) for call in route.calls]
    assert [q.get("after") for q in queries] == [None, "cursor-1", "cursor-2"]
    assert "components" in queries[0]["fields"] and "parameter_format" in queries[0]["fields"]
    assert route.calls[0].request.headers["Authorization"] == "Bearer wa-system-user-token"
    templates = await stored(session)
    assert set(templates) == {("a_first", "en_US"), ("b_second", "pt_BR"), ("c_third", "en_US"), ("d_fourth", "en_US")}  # fmt: skip
    first = templates[("a_first", "en_US")]
    assert (first.status, first.category, first.parameter_format, first.quality_score) == (
        "APPROVED",
        "UTILITY",
        "POSITIONAL",
        "GREEN",
    )
    assert first.components == ORDER_UPDATE and first.synced_at is not None
    assert templates[("d_fourth", "en_US")].reason == "INVALID_FORMAT"


async def test_a_later_sync_updates_and_marks_what_meta_deleted(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    assert channel.waba_id is not None
    await add_template(session, channel, name="gone_now")
    await add_template(session, channel, name="kept", status="PENDING")
    paged(channel.waba_id, [[graph_template("kept", status="APPROVED")]], graph)

    response = await client.post(
        f"/api/channels/{channel.id}/templates/sync", headers=account.headers
    )

    assert response.json() == {"waba_id": channel.waba_id, "synced": 1, "deleted": 1}
    templates = await stored(session)
    assert templates[("kept", "en_US")].status == "APPROVED"
    assert templates[("gone_now", "en_US")].status == "DELETED"


async def test_a_dead_token_during_sync_flags_the_channel(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    graph.get(f"/{channel.waba_id}/message_templates").respond(
        400, json={"error": {"message": "expired", "code": 190, "error_subcode": 463}}
    )
    response = await client.post(
        f"/api/channels/{channel.id}/templates/sync", headers=account.headers
    )
    assert (response.status_code, response.json()["error"]) == (409, "needs_reauth")
    await session.refresh(channel)
    assert channel.status is ChannelStatus.NEEDS_REAUTH


async def test_the_sync_job_and_the_daily_cron(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter, redis: Any
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    assert channel.waba_id is not None
    paged(channel.waba_id, [[graph_template("a_first")], [graph_template("b_second")]], graph)

    assert await tasks.sync_all_templates({}) == "queued 1 template syncs"
    queued = [k.decode() for k in await redis.zrange("parley:queue", 0, -1)]
    assert queued == [f"templates:{account.tenant_id}:{channel.waba_id}"]

    result = await tasks.sync_templates({"job_try": 1}, str(account.tenant_id), channel.waba_id)
    assert result == "synced 2, deleted 0"
    assert set(await stored(session)) == {("a_first", "en_US"), ("b_second", "en_US")}
    other_waba = await tasks.sync_templates({"job_try": 1}, str(account.tenant_id), "999")
    assert other_waba == "no live number"


async def test_a_status_webhook_for_an_unknown_template_asks_for_a_sync(
    client: httpx.AsyncClient, session: AsyncSession, redis: Any
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    assert channel.waba_id is not None
    known = await add_template(session, channel, name="known", status="PENDING")
    update = {
        "event": "APPROVED",
        "message_template_id": 1,
        "message_template_language": "en_US",
        "message_template_category": "UTILITY",
        "reason": "NONE",
    }
    for name in ("known", "brand_new"):
        payload = wa_payload(
            channel.waba_id,
            ("message_template_status_update", {**update, "message_template_name": name}),
        )
        await deliver_and_process(client, session, payload)

    templates = await stored(session)
    assert templates[("known", "en_US")].status == "APPROVED"
    assert templates[("known", "en_US")].components == known.components
    assert templates[("brand_new", "en_US")].components == []
    queued = [k.decode() for k in await redis.zrange("parley:queue", 0, -1)]
    assert queued == [f"templates:{account.tenant_id}:{channel.waba_id}"]  # only for the new one


async def test_the_picker_lists_approved_templates_by_default(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    _, other_channel, _ = await whatsapp_setup(client, session, account=account)
    await add_template(session, channel, name="order_update")
    await add_template(session, channel, name="order_update", language="pt_BR")
    await add_template(session, channel, name="spring_sale", status="PENDING")
    await add_template(session, other_channel, name="other_waba")

    approved = await client.get(f"/api/templates?channel_id={channel.id}", headers=account.headers)
    everything = await client.get(
        f"/api/templates?channel_id={channel.id}&status=all", headers=account.headers
    )
    tenant_wide = await client.get("/api/templates", headers=account.headers)
    searched = await client.get("/api/templates?search=sale&status=ALL", headers=account.headers)

    def names(response: httpx.Response) -> list[tuple[str, str]]:
        assert response.status_code == 200, response.text
        return [(t["name"], t["language"]) for t in response.json()["items"]]

    assert names(approved) == [("order_update", "en_US"), ("order_update", "pt_BR")]
    assert names(everything) == [
        ("order_update", "en_US"),
        ("order_update", "pt_BR"),
        ("spring_sale", "en_US"),
    ]
    assert ("other_waba", "en_US") in names(tenant_wide)
    assert names(searched) == [("spring_sale", "en_US")]
    item = approved.json()["items"][0]
    assert item["parameters"] == {
        "format": "POSITIONAL",
        "header": {"format": "TEXT", "variables": ["1"]},
        "body": ["1", "2", "3"],
        "buttons": [
            {"index": 0, "type": "URL", "text": "Track order", "needs_value": True, "accepts_value": True},
            {"index": 1, "type": "QUICK_REPLY", "text": "Talk to us", "needs_value": False, "accepts_value": True},
        ],
    }  # fmt: skip


async def test_the_list_pages_with_a_cursor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    for name in ("a", "b", "c", "d", "e"):
        await add_template(session, channel, name=name)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = f"&cursor={cursor}" if cursor else ""
        page = (await client.get(f"/api/templates?limit=2{query}", headers=account.headers)).json()
        seen += [t["name"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["a", "b", "c", "d", "e"]


async def test_preview_fills_in_the_parameters_and_reports_problems(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    appointment = await add_template(
        session, channel, name="appointment", components=APPOINTMENT, parameter_format="NAMED"
    )
    url = f"/api/templates/{template.id}/preview"

    good = await client.post(url, json=ORDER_PARAMETERS, headers=account.headers)
    bad = await client.post(url, json={"body": ["Ana"]}, headers=account.headers)
    no_media = await client.post(
        f"/api/templates/{appointment.id}/preview",
        json={"body": {"first_name": "Ana", "date": "Friday"}},
        headers=account.headers,
    )

    assert good.status_code == 200
    assert good.json()["valid"] is True and good.json()["problems"] == []
    assert (
        good.json()["preview"]["body"]
        == "Hi Ana, your order #4412 is on its way and arrives tomorrow."
    )
    assert bad.json()["valid"] is False
    assert {p["field"] for p in bad.json()["problems"]} == {"header", "body", "buttons.0"}
    assert (
        bad.json()["preview"]["body"] == "Hi Ana, your order {{2}} is on its way and arrives {{3}}."
    )
    assert no_media.json()["problems"] == [
        {"field": "header", "message": "The header is an image: give its link or media_id."}
    ]
    assert no_media.json()["preview"]["header"] == "[Image]"


async def test_another_tenants_templates_and_channels_are_404(
    client: httpx.AsyncClient, session: AsyncSession, graph: respx.MockRouter
) -> None:
    account, channel, _ = await whatsapp_setup(client, session)
    template = await add_template(session, channel)
    intruder = await create_account(client, tenant_name="Intruder Inc")
    sync = graph.get(f"/{channel.waba_id}/message_templates").respond(200, json={"data": []})

    responses = [
        await client.get(f"/api/templates/{template.id}", headers=intruder.headers),
        await client.post(
            f"/api/templates/{template.id}/preview", json={}, headers=intruder.headers
        ),
        await client.get(f"/api/templates?channel_id={channel.id}", headers=intruder.headers),
        await client.post(f"/api/channels/{channel.id}/templates/sync", headers=intruder.headers),
        await client.get(f"/api/templates/{uuid.uuid4()}", headers=account.headers),
    ]
    assert [r.status_code for r in responses] == [404] * 5
    listing = await client.get("/api/templates?status=all", headers=intruder.headers)
    assert listing.json()["items"] == []
    assert sync.call_count == 0


async def test_sync_is_for_live_whatsapp_numbers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.api.inbox.sending_data import messenger_setup

    account, page, _ = await messenger_setup(client, session)
    response = await client.post(f"/api/channels/{page.id}/templates/sync", headers=account.headers)
    assert (response.status_code, response.json()["error"]) == (400, "not_whatsapp")
