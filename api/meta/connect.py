"""Connecting Pages and WhatsApp numbers found through a tenant's Meta account.

Every id a request names is checked against what that account can reach at Meta (404
otherwise), and against other tenants (409: an external id belongs to one tenant at a
time). Graph calls happen before any write, so a Meta error leaves nothing half-stored.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api import jobs
from api.audit.log import AuditAction, record
from api.audit.targets import channel_details, channel_target
from api.channels.repository import ChannelRepository, ChannelRouting
from api.channels.schemas import ChannelOut, channel_out, emit_channel_updated
from api.crypto import SecretBox
from api.errors import AppError, Conflict, NotFound
from api.meta.client import MetaClient, PageGrant
from api.meta.errors import ErrorAction, GraphError
from api.meta.repository import MetaAccountRepository, TenantChannels, WabaRepository
from api.meta.schemas import (
    BusinessOption,
    Connected,
    PageOption,
    PhoneNumberOption,
    WabaOption,
)
from api.models import (
    Channel,
    ChannelKind,
    ChannelStatus,
    MetaAccount,
    MetaAccountStatus,
    WhatsAppBusinessAccount,
)
from api.security.crosstenant import CrossTenantChecks
from api.templates.sync import enqueue_sync
from api.tenancy import TenantScope
from api.vault import open_token, seal_token

IMPORT_HISTORY_JOB = "channels.import_history"


class MetaUnavailable(AppError):
    status_code = 502
    code = "meta_error"


class LoginExpired(AppError):
    """Meta rejected the stored login. Connect steps write nothing before their Graph
    calls, so keeping the unit of work's changes keeps exactly the account's flag."""

    status_code = 409
    code = "needs_reauth"
    keep_changes = True


def meta_failure(exc: GraphError, what: str) -> AppError:
    """A Graph error during a connect step, as a clear client error."""
    if exc.action is ErrorAction.REAUTH:
        return LoginExpired(
            f"Facebook no longer accepts this login ({exc.reason}). Log in with Facebook again."
        )
    if exc.action is ErrorAction.RETRY:
        return MetaUnavailable(
            f"Meta is busy or unreachable while {what}; try again shortly. ({exc.reason})"
        )
    return AppError(f"Meta refused {what}: {exc.reason}", status_code=409, code="meta_refused")


class ConnectService:
    def __init__(
        self, session: AsyncSession, scope: TenantScope, client: MetaClient, box: SecretBox
    ) -> None:
        self.session = session
        self.scope = scope
        self.client = client
        self.box = box
        self.accounts = MetaAccountRepository(session, scope)
        self.channels = TenantChannels(session, scope)
        self.routing = ChannelRouting(session)

    # --- Messenger ---------------------------------------------------------------

    async def page_options(self, account_id: uuid.UUID) -> list[PageOption]:
        grants = await self._pages(await self._account(account_id))
        return [
            PageOption(
                id=g.id,
                name=g.name,
                category=g.category,
                can_message=g.can_message,
                connected=await self._connected(ChannelKind.MESSENGER, g.id),
            )
            for g in grants
        ]

    async def connect_pages(
        self, account_id: uuid.UUID, page_ids: list[str], import_history: bool
    ) -> list[ChannelOut]:
        account = await self._account(account_id)
        grants = {g.id: g for g in await self._pages(account)}
        chosen = [self._grant(grants, page_id) for page_id in dict.fromkeys(page_ids)]
        for grant in chosen:
            await self._ensure_free(
                ChannelKind.MESSENGER, grant.id, grant.name, "page_connected_elsewhere"
            )
        await self._subscribe_all(chosen)  # all Graph calls before any write
        connected = [await self._upsert_page(account, grant) for grant in chosen]
        await self.session.flush()
        for channel in connected:
            if import_history:
                self.queue_history_import(channel)
            self.announce(channel)
        now = datetime.now(UTC)
        return [channel_out(c, now) for c in connected]

    async def _subscribe_all(self, grants: list[PageGrant]) -> None:
        """Subscribe every chosen page, or none: on a failure, undo the ones already done."""
        done: list[PageGrant] = []
        for grant in grants:
            try:
                await self.client.subscribe_page(grant.id, grant.access_token)
            except GraphError as exc:
                for subscribed in done:
                    await self._quietly_unsubscribe(subscribed)
                raise meta_failure(exc, f"subscribing {grant.name} to webhooks") from exc
            done.append(grant)

    async def _quietly_unsubscribe(self, grant: PageGrant) -> None:
        # Nothing was stored; a stray subscription would only deliver unrouted events.
        with contextlib.suppress(GraphError):
            await self.client.unsubscribe_page(grant.id, grant.access_token)

    def _grant(self, grants: dict[str, PageGrant], page_id: str) -> PageGrant:
        grant = grants.get(page_id)
        if grant is None:
            raise NotFound(f"Page {page_id} is not available to this Facebook account.")
        if not grant.can_message:
            raise AppError(
                f"{grant.name}: this Facebook user lacks the MESSAGING task.",
                code="page_not_messageable",
            )
        return grant

    async def _upsert_page(self, account: MetaAccount, grant: PageGrant) -> Channel:
        channel = await self._reusable(ChannelKind.MESSENGER, grant.id, grant.name)
        previous = channel.status
        self._activate(channel, account)
        seal_token(self.box, channel, grant.access_token)
        channel.token_expires_at = None  # page tokens from a long-lived user token do not expire
        await self._audit_connected(channel, previous, account)
        return channel

    async def _pages(self, account: MetaAccount) -> list[PageGrant]:
        try:
            return await self.client.pages(open_token(self.box, account))
        except GraphError as exc:
            await self._flag_account(account, exc)
            raise meta_failure(exc, "listing your Pages") from exc

    # --- WhatsApp ----------------------------------------------------------------

    async def businesses(self, account_id: uuid.UUID) -> list[BusinessOption]:
        account = await self._account(account_id)
        rows = await self._call(account, "listing your businesses", self.client.businesses)
        return [BusinessOption(id=str(r["id"]), name=str(r.get("name") or r["id"])) for r in rows]

    async def wabas(self, account_id: uuid.UUID, business_id: str) -> list[WabaOption]:
        account = await self._account(account_id)
        if business_id not in {b.id for b in await self.businesses(account_id)}:
            raise NotFound("Business not found for this Facebook account.")
        token = open_token(self.box, account)
        try:
            rows = await self.client.whatsapp_accounts(token, business_id)
        except GraphError as exc:
            raise meta_failure(exc, "listing WhatsApp Business Accounts") from exc
        return [
            WabaOption(
                id=str(r["id"]), name=str(r.get("name") or r["id"]), ownership=r["ownership"]
            )
            for r in rows
        ]

    async def phone_numbers(self, account_id: uuid.UUID, waba_id: str) -> list[PhoneNumberOption]:
        account = await self._account(account_id)
        self._ensure_waba_granted(account, waba_id)
        rows = await self._numbers(account, waba_id)
        return [
            PhoneNumberOption(
                id=str(r["id"]),
                display_phone_number=str(r.get("display_phone_number") or r["id"]),
                verified_name=r.get("verified_name"),
                quality_rating=r.get("quality_rating"),
                status=r.get("status"),
                connected=await self._connected(ChannelKind.WHATSAPP, str(r["id"])),
            )
            for r in rows
        ]

    async def connect_number(
        self, account_id: uuid.UUID, waba_id: str, phone_number_id: str, make_primary: bool
    ) -> ChannelOut:
        account = await self._account(account_id)
        self._ensure_waba_granted(account, waba_id)
        numbers = {str(r["id"]): r for r in await self._numbers(account, waba_id)}
        number = numbers.get(phone_number_id)
        if number is None:
            raise NotFound("Phone number not found in this WhatsApp Business Account.")
        display = str(number.get("display_phone_number") or phone_number_id)
        await self._ensure_free(
            ChannelKind.WHATSAPP, phone_number_id, display, "number_connected_elsewhere"
        )
        token = open_token(self.box, account)
        try:
            await self.client.subscribe_waba(waba_id, token)
        except GraphError as exc:
            raise meta_failure(
                exc, "subscribing the WhatsApp Business Account to webhooks"
            ) from exc
        await self._upsert_waba(account, waba_id)
        name = str(number.get("verified_name") or display)
        channel = await self._reusable(ChannelKind.WHATSAPP, phone_number_id, name)
        channel.display_phone_number = display
        channel.waba_id = waba_id
        previous = channel.status
        self._activate(channel, account)
        seal_token(self.box, channel, token)
        channel.token_expires_at = account.token_expires_at
        await self._audit_connected(channel, previous, account, waba_id=waba_id)
        await self.session.flush()
        if make_primary:
            await self.make_primary(channel)
        enqueue_sync(self.session, self.scope.tenant_id, waba_id)  # the template picker's
        self.announce(channel)
        return channel_out(channel, datetime.now(UTC))

    async def make_primary(self, channel: Channel) -> None:
        """One primary WhatsApp number per tenant."""
        demoted = await ChannelRepository(self.session, self.scope).clear_primary(
            ChannelKind.WHATSAPP, channel.id
        )
        channel.is_primary = True
        await self.session.flush()
        for other in demoted:
            self.announce(other)

    def _ensure_waba_granted(self, account: MetaAccount, waba_id: str) -> None:
        # Targets listed: only those WABAs were shared. No targets: the scope is not narrowed.
        granted = (account.granular_scopes or {}).get("whatsapp_business_management")
        if granted and waba_id not in granted:
            raise NotFound("WhatsApp Business Account not found for this Facebook account.")

    async def _numbers(self, account: MetaAccount, waba_id: str) -> list[dict[str, object]]:
        try:
            return list(await self.client.phone_numbers(open_token(self.box, account), waba_id))
        except GraphError as exc:
            if exc.code == 100:
                raise NotFound(
                    "WhatsApp Business Account not found for this Facebook account."
                ) from exc
            raise meta_failure(exc, "listing phone numbers") from exc

    async def _upsert_waba(self, account: MetaAccount, waba_id: str) -> None:
        wabas = WabaRepository(self.session, self.scope)
        row = await wabas.by_waba_id(waba_id)
        if row is None:
            row = WhatsAppBusinessAccount(tenant_id=self.scope.tenant_id, waba_id=waba_id)
            self.session.add(row)
        row.meta_account_id = account.id

    # --- shared ------------------------------------------------------------------

    async def _account(self, account_id: uuid.UUID) -> MetaAccount:
        account = await self.accounts.get(account_id)
        if account is None or account.status is MetaAccountStatus.REVOKED:
            raise NotFound("Facebook account not found; log in with Facebook again.")
        return account

    async def _call(self, account: MetaAccount, what: str, call: object) -> list[dict[str, object]]:
        try:
            return list(await call(open_token(self.box, account)))  # type: ignore[operator]
        except GraphError as exc:
            await self._flag_account(account, exc)
            raise meta_failure(exc, what) from exc

    async def _flag_account(self, account: MetaAccount, exc: GraphError) -> None:
        if exc.action is ErrorAction.REAUTH:
            account.status = MetaAccountStatus.NEEDS_REAUTH
            await self.session.flush()

    async def _connected(self, kind: ChannelKind, external_id: str) -> Connected:
        # Across tenants, under row-level security: a narrow check (api.security.crosstenant).
        checks = CrossTenantChecks(self.session)
        return await checks.channel_connected(kind, external_id, self.scope.tenant_id)

    async def _ensure_free(
        self, kind: ChannelKind, external_id: str, label: str, code: str
    ) -> None:
        if await self._connected(kind, external_id) == "elsewhere":
            raise Conflict(f"{label} is already connected to another Parley workspace.", code=code)

    async def _reusable(self, kind: ChannelKind, external_id: str, name: str) -> Channel:
        """This tenant's row for the id (reconnecting keeps history and a chosen name),
        or a new one."""
        channel = await self.channels.latest(kind, external_id)
        if channel is None:
            channel = Channel(
                id=uuid.uuid4(),
                tenant_id=self.scope.tenant_id,
                kind=kind,
                external_id=external_id,
                name=name,
            )
            self.session.add(channel)
        return channel

    async def _audit_connected(
        self,
        channel: Channel,
        previous: ChannelStatus | None,
        account: MetaAccount,
        **extra: str,
    ) -> None:
        """A new or disconnected channel is connected; a live or flagged one re-authorised
        (a fresh token for the same channel, e.g. after the reconnect flow)."""
        reauthorized = previous in (ChannelStatus.ACTIVE, ChannelStatus.NEEDS_REAUTH)
        details = channel_details(channel, **extra)
        if account.name:
            details["facebook_account"] = account.name
        if reauthorized and previous is not None:
            details["previous_status"] = previous.value
        await record(
            self.session,
            self.scope,
            AuditAction.CHANNEL_REAUTHORIZED if reauthorized else AuditAction.CHANNEL_CONNECTED,
            target=channel_target(channel),
            details=details,
        )

    @staticmethod
    def _activate(channel: Channel, account: MetaAccount) -> None:
        channel.status = ChannelStatus.ACTIVE
        channel.meta_account_id = account.id
        channel.token_checked_at = datetime.now(UTC)

    def queue_history_import(self, channel: Channel) -> None:
        channel.history_import_status = "queued"
        channel.history_imported = 0
        channel.history_total = None
        channel.history_error = None
        jobs.enqueue_job(
            self.session, IMPORT_HISTORY_JOB, str(channel.id), job_id=f"history:{channel.id}"
        )

    def announce(self, channel: Channel) -> None:
        emit_channel_updated(self.session, channel)
