"""GET /api/reports/overview: traffic per channel and day in the tenant's time zone, failures
by reason, webhook deliveries by state, tokens expiring soon; scoped to the tenant, owners
and admins only, with readable refusals for bad periods and zones."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import create_access_token
from api.config import get_settings
from api.models import (
    Channel,
    ChannelStatus,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    Role,
    User,
    WebhookEvent,
    WebhookEventRoute,
    WebhookEventStatus,
)
from tests.event_payloads import (
    create_whatsapp_channel,
    deliver,
    numeric_id,
    process,
    wa_contact,
    wa_error,
    wa_message,
    wa_messages,
    wa_status,
)
from tests.helpers import Account, create_account, create_messenger_channel

OVERVIEW = "/api/reports/overview"
PERIOD = {"from": "2026-10-01", "to": "2026-10-07"}

IN, OUT, NOTE = MessageDirection.INBOUND, MessageDirection.OUTBOUND, MessageDirection.NOTE
S = MessageStatus


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An instant in October 2026 (UTC)."""
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


class Workspace:
    """A tenant with a Messenger page and a WhatsApp number, and a way to add traffic."""

    def __init__(self, session: AsyncSession, account: Account, page: Channel, wa: Channel):
        self.session = session
        self.account = account
        self.page = page
        self.wa = wa
        self._threads: dict[uuid.UUID, Conversation] = {}

    @classmethod
    async def create(cls, client: httpx.AsyncClient, session: AsyncSession, name: str) -> Workspace:
        account = await create_account(client, tenant_name=name)
        page = await create_messenger_channel(session, account.tenant_id)
        wa = await create_whatsapp_channel(session, account.tenant_id)
        return cls(session, account, page, wa)

    async def thread(self, channel: Channel) -> Conversation:
        if channel.id not in self._threads:
            contact = Contact(
                tenant_id=channel.tenant_id, channel_id=channel.id, external_id=numeric_id()
            )
            self.session.add(contact)
            await self.session.flush()
            conversation = Conversation(
                tenant_id=channel.tenant_id, channel_id=channel.id, contact_id=contact.id
            )
            self.session.add(conversation)
            await self.session.flush()
            self._threads[channel.id] = conversation
        return self._threads[channel.id]

    async def message(
        self,
        channel: Channel,
        direction: MessageDirection,
        status: MessageStatus,
        when: datetime,
        *,
        count: int = 1,
        code: str | None = None,
        reason: str | None = None,
        failed_at: datetime | None = None,
    ) -> None:
        conversation = await self.thread(channel)
        for _ in range(count):
            self.session.add(
                Message(
                    tenant_id=channel.tenant_id,
                    conversation_id=conversation.id,
                    channel_id=channel.id,
                    direction=direction,
                    status=status,
                    sort_at=when,
                    error_code=code,
                    error_reason=reason,
                    status_at=failed_at,
                )
            )
        await self.session.commit()

    async def event(
        self,
        status: WebhookEventStatus,
        received_at: datetime,
        *,
        keys: list[str],
        routes: tuple[Channel, ...] = (),
    ) -> WebhookEvent:
        """A stored delivery naming `keys`, routed to `routes` (a worker's doing)."""
        event = WebhookEvent(
            dedup_key=f"test:{uuid.uuid4()}",
            object="page",
            channel_keys=keys,
            raw_body=json.dumps({"object": "page"}).encode(),
            status=status,
            received_at=received_at,
        )
        self.session.add(event)
        await self.session.flush()
        for channel in routes:
            self.session.add(
                WebhookEventRoute(
                    event_id=event.id, channel_id=channel.id, tenant_id=channel.tenant_id
                )
            )
        await self.session.commit()
        return event


@pytest.fixture
async def acme(client: httpx.AsyncClient, session: AsyncSession) -> Workspace:
    return await Workspace.create(client, session, "Acme")


@pytest.fixture
async def other(client: httpx.AsyncClient, session: AsyncSession) -> Workspace:
    """Another tenant, whose traffic no report of Acme's may show."""
    return await Workspace.create(client, session, "Other")


async def overview(
    client: httpx.AsyncClient,
    who: Account | dict[str, str],
    params: dict[str, str] | None = None,
    *,
    status: int = 200,
) -> dict[str, Any]:
    headers = who.headers if isinstance(who, Account) else who
    response = await client.get(OVERVIEW, params=params, headers=headers)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def day_rows(body: dict[str, Any]) -> list[tuple[str, str, int, int, int, int, int]]:
    return [
        (
            d["date"],
            d["channel_id"],
            d["inbound"],
            d["outbound"],
            d["delivered"],
            d["read"],
            d["failed"],
        )
        for d in body["days"]
    ]


def totals_of(body: dict[str, Any], channel: Channel) -> dict[str, Any]:
    return next(t for t in body["channels"] if t["channel_id"] == str(channel.id))


async def member(session: AsyncSession, account: Account, role: Role) -> dict[str, str]:
    user = User(
        tenant_id=account.tenant_id,
        email=f"{role.value}-{uuid.uuid4().hex[:6]}@example.com",
        name=role.value,
        password_hash="unused",
        role=role,
    )
    session.add(user)
    await session.commit()
    token = create_access_token(
        get_settings().auth, user_id=user.id, tenant_id=account.tenant_id, role=role
    )
    return {"Authorization": f"Bearer {token}"}


# --- traffic ------------------------------------------------------------------------------


async def test_counts_messages_per_channel_and_day_for_the_tenant_only(
    client: httpx.AsyncClient, acme: Workspace, other: Workspace
) -> None:
    page, wa = acme.page, acme.wa
    await acme.message(page, IN, S.RECEIVED, at(2, 9), count=3)
    await acme.message(page, OUT, S.DELIVERED, at(2, 10), count=2)
    await acme.message(page, OUT, S.READ, at(2, 11))
    await acme.message(page, OUT, S.FAILED, at(2, 12), code="551", reason="Not available")
    await acme.message(page, OUT, S.SENT, at(2, 13))
    await acme.message(page, NOTE, S.RECEIVED, at(2, 14))  # a private note is not traffic
    await acme.message(wa, IN, S.RECEIVED, at(2, 15))
    await acme.message(wa, IN, S.RECEIVED, at(5, 8), count=2)
    await acme.message(wa, OUT, S.READ, at(5, 9), count=2)
    await acme.message(wa, OUT, S.QUEUED, at(5, 10))
    # Outside the period, on either side.
    await acme.message(page, IN, S.RECEIVED, at(1, 0) - timedelta(seconds=1))
    await acme.message(page, IN, S.RECEIVED, at(8, 0))
    # Another tenant, same days.
    await other.message(other.page, IN, S.RECEIVED, at(2, 9), count=5)
    await other.message(other.wa, OUT, S.FAILED, at(5, 9), code="131047", reason="Re-engage")

    body = await overview(client, acme.account, PERIOD)

    assert (body["from"], body["to"], body["tz"], body["channel_id"]) == (
        "2026-10-01",
        "2026-10-07",
        "UTC",
        None,
    )
    assert sorted(day_rows(body)) == sorted(
        [
            ("2026-10-02", str(page.id), 3, 5, 3, 1, 1),
            ("2026-10-02", str(wa.id), 1, 0, 0, 0, 0),
            ("2026-10-05", str(wa.id), 2, 3, 2, 2, 0),
        ]
    )
    assert [d["date"] for d in body["days"]] == ["2026-10-02", "2026-10-02", "2026-10-05"]
    page_totals = totals_of(body, page)
    assert page_totals | {"name": "", "kind": "", "status": ""} == {
        "channel_id": str(page.id),
        "name": "",
        "kind": "",
        "status": "",
        "inbound": 3,
        "outbound": 5,
        "delivered": 3,
        "read": 1,
        "failed": 1,
        "delivery_rate": 0.6,
        "read_rate": 0.2,
    }
    assert (page_totals["name"], page_totals["kind"], page_totals["status"]) == (
        "Acme Support",
        "messenger",
        "active",
    )
    wa_totals = totals_of(body, wa)
    assert (wa_totals["inbound"], wa_totals["outbound"], wa_totals["delivery_rate"]) == (
        3,
        3,
        round(2 / 3, 4),
    )
    assert sorted(t["channel_id"] for t in body["channels"]) == sorted([str(page.id), str(wa.id)])
    text = json.dumps(body)
    assert str(other.page.id) not in text and "131047" not in text


async def test_a_channel_without_replies_has_no_rates_and_a_quiet_channel_still_shows(
    client: httpx.AsyncClient, acme: Workspace
) -> None:
    await acme.message(acme.page, IN, S.RECEIVED, at(3))

    body = await overview(client, acme.account, PERIOD)

    page = totals_of(body, acme.page)
    assert (page["inbound"], page["outbound"], page["delivery_rate"], page["read_rate"]) == (
        1,
        0,
        None,
        None,
    )
    quiet = totals_of(body, acme.wa)
    assert (quiet["inbound"], quiet["outbound"], quiet["delivery_rate"]) == (0, 0, None)


async def test_a_disconnected_channel_is_listed_only_when_it_had_traffic(
    client: httpx.AsyncClient, session: AsyncSession, acme: Workspace
) -> None:
    old = await create_messenger_channel(session, acme.account.tenant_id)
    gone = await create_messenger_channel(session, acme.account.tenant_id)
    for channel in (old, gone):
        channel.status = ChannelStatus.DISCONNECTED
    await session.commit()
    await acme.message(old, IN, S.RECEIVED, at(4))

    body = await overview(client, acme.account, PERIOD)

    listed = [t["channel_id"] for t in body["channels"]]
    assert str(old.id) in listed and str(gone.id) not in listed
    assert totals_of(body, old)["status"] == "disconnected"


async def test_the_time_zone_decides_which_day_a_message_falls_on(
    client: httpx.AsyncClient, acme: Workspace
) -> None:
    # 23:30 UTC on the 3rd is 08:30 on the 4th in Tokyo and 16:30 on the 3rd in Los Angeles.
    await acme.message(acme.page, IN, S.RECEIVED, at(3, 23, 30))
    # 02:00 UTC on the 1st is still September 30th in Los Angeles: outside the period there.
    await acme.message(acme.page, IN, S.RECEIVED, at(1, 2))

    utc = await overview(client, acme.account, PERIOD)
    tokyo = await overview(client, acme.account, {**PERIOD, "tz": "Asia/Tokyo"})
    la = await overview(client, acme.account, {**PERIOD, "tz": "America/Los_Angeles"})

    assert [(d["date"], d["inbound"]) for d in utc["days"]] == [
        ("2026-10-01", 1),
        ("2026-10-03", 1),
    ]
    assert [(d["date"], d["inbound"]) for d in tokyo["days"]] == [
        ("2026-10-01", 1),
        ("2026-10-04", 1),
    ]
    assert [(d["date"], d["inbound"]) for d in la["days"]] == [("2026-10-03", 1)]
    assert la["tz"] == "America/Los_Angeles"


# --- failures -----------------------------------------------------------------------------


async def test_failures_are_grouped_by_channel_and_code_with_the_latest_reason(
    client: httpx.AsyncClient, acme: Workspace, other: Workspace
) -> None:
    wa, page = acme.wa, acme.page
    # The latest failure (by when it failed: status_at) names the group's reason.
    await acme.message(
        wa, OUT, S.FAILED, at(3), code="131047", reason="Re-engagement message", failed_at=at(3, 13)
    )
    await acme.message(
        wa, OUT, S.FAILED, at(2), code="131047", reason="More than 24 hours", failed_at=at(2, 13)
    )
    await acme.message(
        wa, OUT, S.FAILED, at(1), code="131047", reason="Message expired", failed_at=at(1, 13)
    )
    await acme.message(wa, OUT, S.FAILED, at(4), code="131026", reason="Undeliverable")
    await acme.message(page, OUT, S.FAILED, at(4), code="131047", reason="Window closed")
    await acme.message(page, OUT, S.FAILED, at(5), count=2)  # no code from anyone
    await acme.message(wa, OUT, S.FAILED, at(9), code="131047", reason="Outside the period")
    await other.message(other.wa, OUT, S.FAILED, at(2), code="131047", reason="Theirs")

    body = await overview(client, acme.account, PERIOD)

    failures = [(f["channel_id"], f["code"], f["reason"], f["count"]) for f in body["failures"]]
    assert failures[0] == (str(wa.id), "131047", "Re-engagement message", 3)
    assert sorted(failures[1:], key=str) == sorted(
        [
            (str(page.id), None, None, 2),
            (str(wa.id), "131026", "Undeliverable", 1),
            (str(page.id), "131047", "Window closed", 1),
        ],
        key=str,
    )
    assert body["failures"][0]["last_at"] == "2026-10-03T13:00:00Z"
    assert "Theirs" not in json.dumps(body)


async def test_a_failed_status_from_meta_shows_up_with_its_code_and_details(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(client)
    wa = await create_whatsapp_channel(session, account.tenant_id)
    customer = "15550109999"
    assert (
        await process(
            await deliver(
                client,
                session,
                wa_messages(
                    wa,
                    wa_message(customer, "text", {"body": "hi"}),
                    contacts=[wa_contact(customer)],
                ),
            )
        )
        == "processed"
    )
    conversation = (
        await session.execute(select(Conversation.id).where(Conversation.channel_id == wa.id))
    ).scalar_one()
    wamid = f"wamid.{uuid.uuid4().hex}"
    session.add(
        Message(
            tenant_id=account.tenant_id,
            conversation_id=conversation,
            channel_id=wa.id,
            direction=OUT,
            status=S.SENT,
            external_id=wamid,
            sort_at=datetime.now(UTC),
        )
    )
    await session.commit()
    failed = wa_status(
        wamid,
        "failed",
        customer,
        errors=[wa_error(131026, "Message undeliverable", "Not on WhatsApp")],
    )
    assert await process(await deliver(client, session, wa_messages(wa, statuses=[failed]))) == (
        "processed"
    )

    body = await overview(client, account)

    [failure] = body["failures"]
    assert (failure["channel_id"], failure["code"], failure["reason"], failure["count"]) == (
        str(wa.id),
        "131026",
        "Not on WhatsApp",
        1,
    )
    totals = totals_of(body, wa)
    assert (totals["inbound"], totals["outbound"], totals["failed"]) == (1, 1, 1)
    assert body["webhook_events"]["processed"] == 2


# --- webhook deliveries -------------------------------------------------------------------


async def test_webhook_deliveries_for_the_tenants_channels_by_state(
    client: httpx.AsyncClient, acme: Workspace, other: Workspace
) -> None:
    page, wa = acme.page, acme.wa
    page_key, wa_key = page.external_id, wa.external_id
    for _ in range(3):
        await acme.event(WebhookEventStatus.PROCESSED, at(2), keys=[page_key], routes=(page,))
    # A WABA-level delivery routed to both of the tenant's channels counts once.
    assert wa.waba_id is not None
    await acme.event(WebhookEventStatus.PROCESSED, at(2), keys=[wa.waba_id], routes=(page, wa))
    await acme.event(WebhookEventStatus.FAILED, at(3), keys=[wa_key], routes=(wa,))
    await acme.event(WebhookEventStatus.DEAD, at(4), keys=[wa_key], routes=(wa,))
    # Waiting for a worker: not routed yet, found by the ids in the body.
    await acme.event(WebhookEventStatus.RECEIVED, at(5), keys=[page_key])
    await acme.event(WebhookEventStatus.RECEIVED, at(5), keys=[wa.waba_id, wa_key])
    # A replay waiting again (routed before) counts once, as pending.
    await acme.event(WebhookEventStatus.RECEIVED, at(5), keys=[page_key], routes=(page,))
    # Outside the period, and another tenant's.
    await acme.event(WebhookEventStatus.PROCESSED, at(9), keys=[page_key], routes=(page,))
    await acme.event(
        WebhookEventStatus.DEAD, at(1, 0) - timedelta(minutes=1), keys=[wa_key], routes=(wa,)
    )
    await other.event(
        WebhookEventStatus.PROCESSED, at(2), keys=[other.page.external_id], routes=(other.page,)
    )
    await other.event(WebhookEventStatus.RECEIVED, at(2), keys=[other.page.external_id])
    await other.event(
        WebhookEventStatus.DEAD, at(2), keys=[other.wa.external_id], routes=(other.wa,)
    )

    body = await overview(client, acme.account, PERIOD)
    only_wa = await overview(client, acme.account, {**PERIOD, "channel_id": str(wa.id)})

    retention = get_settings().webhooks.retention_days
    assert body["webhook_events"] == {
        "processed": 4,
        "pending": 3,
        "failed": 1,
        "dead": 1,
        "retention_days": retention,
    }
    assert only_wa["webhook_events"] == {
        "processed": 1,
        "pending": 1,
        "failed": 1,
        "dead": 1,
        "retention_days": retention,
    }


async def test_a_disconnected_pages_waiting_deliveries_are_not_counted(
    client: httpx.AsyncClient, session: AsyncSession, acme: Workspace
) -> None:
    """Its page id may be connected to another workspace by now."""
    acme.page.status = ChannelStatus.DISCONNECTED
    await session.commit()
    await acme.event(WebhookEventStatus.RECEIVED, at(2), keys=[acme.page.external_id])

    body = await overview(client, acme.account, PERIOD)

    assert body["webhook_events"]["pending"] == 0


# --- tokens -------------------------------------------------------------------------------


async def test_lists_channels_whose_token_expires_soon_or_needs_reauth(
    client: httpx.AsyncClient, session: AsyncSession, acme: Workspace, other: Workspace
) -> None:
    now = datetime.now(UTC)
    acme.wa.token_expires_at = now + timedelta(days=3)
    acme.page.token_expires_at = now + timedelta(days=30)
    reauth = await create_messenger_channel(session, acme.account.tenant_id)
    reauth.status = ChannelStatus.NEEDS_REAUTH
    gone = await create_messenger_channel(session, acme.account.tenant_id)
    gone.status, gone.token_expires_at = ChannelStatus.DISCONNECTED, now + timedelta(days=1)
    other.wa.token_expires_at = now + timedelta(days=2)
    await session.commit()

    body = await overview(client, acme.account)
    only_page = await overview(client, acme.account, {"channel_id": str(acme.page.id)})

    expiring = [(t["channel_id"], t["status"], t["kind"]) for t in body["expiring_tokens"]]
    assert expiring == [
        (str(reauth.id), "needs_reauth", "messenger"),
        (str(acme.wa.id), "active", "whatsapp"),
    ]
    expires_at = datetime.fromisoformat(body["expiring_tokens"][1]["token_expires_at"])
    assert abs(expires_at - (now + timedelta(days=3))) < timedelta(seconds=1)
    assert body["expiring_tokens"][1]["name"] == "Acme WhatsApp"
    assert only_page["expiring_tokens"] == []


# --- the period, the channel and who may ask -------------------------------------------


async def test_defaults_to_the_last_14_days_in_utc(
    client: httpx.AsyncClient, acme: Workspace
) -> None:
    now = datetime.now(UTC)
    await acme.message(acme.page, IN, S.RECEIVED, now - timedelta(minutes=1))
    await acme.message(acme.page, IN, S.RECEIVED, now - timedelta(days=20))

    body = await overview(client, acme.account)

    today = now.date()
    assert (body["from"], body["to"], body["tz"]) == (
        str(today - timedelta(days=13)),
        str(today),
        "UTC",
    )
    assert [(d["date"], d["inbound"]) for d in body["days"]] == [(str(today), 1)]


async def test_refuses_periods_and_zones_it_cannot_report_on(
    client: httpx.AsyncClient, acme: Workspace
) -> None:
    too_long = await overview(
        client, acme.account, {"from": "2026-01-01", "to": "2026-04-03"}, status=422
    )
    assert too_long["error"] == "range_too_long"
    assert too_long["detail"] == (
        "A report covers at most 92 days; 2026-01-01 to 2026-04-03 is 93 days."
    )
    exactly_92 = await overview(client, acme.account, {"from": "2026-01-01", "to": "2026-04-02"})
    assert (exactly_92["from"], exactly_92["to"]) == ("2026-01-01", "2026-04-02")

    backwards = await overview(
        client, acme.account, {"from": "2026-10-07", "to": "2026-10-01"}, status=422
    )
    assert backwards["error"] == "invalid_range"
    assert "after" in backwards["detail"]

    zone = await overview(client, acme.account, {"tz": "Mars/Olympus_Mons"}, status=422)
    assert zone["error"] == "invalid_timezone"
    assert "Mars/Olympus_Mons" in zone["detail"]

    bad_date = await overview(client, acme.account, {"from": "2026-13-01"}, status=422)
    assert bad_date["error"] == "validation_error"
    assert bad_date["fields"][0]["field"] == "from"


async def test_a_channel_filter_narrows_everything_and_another_tenants_channel_is_404(
    client: httpx.AsyncClient, acme: Workspace, other: Workspace
) -> None:
    await acme.message(acme.page, IN, S.RECEIVED, at(2), count=2)
    await acme.message(acme.wa, OUT, S.FAILED, at(2), code="131026", reason="Undeliverable")

    only_page = await overview(client, acme.account, {**PERIOD, "channel_id": str(acme.page.id)})
    foreign_id, unknown_id = str(other.page.id), str(uuid.uuid4())
    foreign = await overview(client, acme.account, {"channel_id": foreign_id}, status=404)
    unknown = await overview(client, acme.account, {"channel_id": unknown_id}, status=404)

    assert only_page["channel_id"] == str(acme.page.id)
    assert day_rows(only_page) == [("2026-10-02", str(acme.page.id), 2, 0, 0, 0, 0)]
    assert [t["channel_id"] for t in only_page["channels"]] == [str(acme.page.id)]
    assert only_page["failures"] == []
    assert foreign["error"] == unknown["error"] == "not_found"
    assert other.page.name not in json.dumps(foreign)


async def test_only_owners_and_admins_may_read_reports(
    client: httpx.AsyncClient, session: AsyncSession, acme: Workspace
) -> None:
    await overview(client, await member(session, acme.account, Role.ADMIN))
    for role in (Role.AGENT, Role.VIEWER):
        refused = await overview(client, await member(session, acme.account, role), status=403)
        assert refused["permission"] == "reports:read"
    anonymous = await client.get(OVERVIEW)
    assert anonymous.status_code == 401
    me = await client.get("/api/auth/me", headers=acme.account.headers)
    assert "reports:read" in me.json()["permissions"]
