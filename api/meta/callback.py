"""Where the browser lands after Facebook Login: finish the login, then send the user on
into the SPA (choose pages / numbers, or back to Channels after a reconnect, or an error)."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.crypto import SecretBox
from api.errors import AppError
from api.meta.client import MetaClient
from api.meta.connect import ConnectService
from api.meta.login import LoginFailed, LoginService
from api.models import Channel, ChannelKind, MetaAccount, OAuthState


class FacebookCallback:
    def __init__(
        self, session: AsyncSession, settings: Settings, client: MetaClient, box: SecretBox
    ) -> None:
        self.session = session
        self.settings = settings
        self.client = client
        self.box = box
        self.login = LoginService(session, settings, client, box)

    async def handle(
        self,
        *,
        code: str | None,
        state: str | None,
        error: str | None,
        error_description: str | None,
    ) -> str:
        """Return the SPA URL to redirect to. The state is spent even when the login fails;
        everything else the login wrote is rolled back on failure (savepoint)."""
        try:
            row = await self.login.spend_state(state)
            if error:
                reason = f" (Facebook: {error_description})" if error_description else ""
                raise LoginFailed(
                    f"The Facebook login was cancelled or a permission was declined, so nothing "
                    f"was connected{reason}.",
                    code="oauth_denied",
                )
            if not code:
                raise LoginFailed("Facebook sent no authorisation code.", code="oauth_failed")
            async with self.session.begin_nested():
                account = await self.login.complete(row, code)
                return await self._next(row, account)
        except AppError as exc:
            return self._spa("/channels", error=exc.code, detail=exc.detail)

    async def _next(self, state: OAuthState, account: MetaAccount) -> str:
        if state.channel_id is None:
            return self._spa(f"/channels/connect/{state.product}", account=str(account.id))
        channel = await self.session.get(Channel, state.channel_id)
        if channel is None or channel.tenant_id != state.tenant_id:
            raise LoginFailed("The channel to reconnect no longer exists.", code="not_found")
        connect = ConnectService(
            self.session, await self.login.scope_of(state), self.client, self.box
        )
        if channel.kind is ChannelKind.MESSENGER:
            await connect.connect_pages(account.id, [channel.external_id], import_history=False)
        else:
            await connect.connect_number(
                account.id,
                channel.waba_id or "",
                channel.external_id,
                make_primary=channel.is_primary,
            )
        return self._spa("/channels", reconnected=str(channel.id))

    def _spa(self, path: str, **query: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}{path}?{urlencode(query)}"
