"""Facebook Login (server-side code flow) with a `state` that is bound to the signed-in
user, single use and short-lived (meta-platform.md §2).

The callback does every Graph call first and writes only when they all succeeded, so a
failure leaves nothing half-stored; the state is spent either way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import Permission, allows
from api.auth.repository import UserRepository
from api.config import Settings
from api.crypto import SecretBox
from api.errors import AppError
from api.meta.client import IssuedToken, MetaClient, TokenInfo
from api.meta.errors import GraphError
from api.meta.repository import MetaAccountRepository, OAuthStateRepository
from api.models import MetaAccount, MetaAccountStatus, OAuthState
from api.tenancy import TenantScope
from api.vault import seal_token

STATE_TTL = timedelta(minutes=10)
STATE_BYTES = 32
PRODUCTS = ("messenger", "whatsapp")


class LoginFailed(AppError):
    """A failed Facebook Login step; the callback turns it into a redirect with the reason."""

    status_code = 400


@dataclass(frozen=True, slots=True)
class ConnectedAccount:
    account: MetaAccount
    state: OAuthState


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def redirect_uri(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/api/meta/callback"


def required_scopes(settings: Settings, product: str) -> list[str]:
    return (
        settings.meta.whatsapp_scopes if product == "whatsapp" else settings.meta.messenger_scopes
    )


class LoginService:
    def __init__(
        self, session: AsyncSession, settings: Settings, client: MetaClient, box: SecretBox
    ) -> None:
        self.session = session
        self.settings = settings
        self.client = client
        self.box = box

    async def start(
        self, scope: TenantScope, product: str, channel_id: uuid.UUID | None = None
    ) -> str:
        """Record a fresh state for this user and return Facebook's login dialog URL."""
        if product not in PRODUCTS:
            raise AppError("product must be messenger or whatsapp.", code="invalid_product")
        if scope.user_id is None:
            # The state is bound to the person who comes back from Facebook's dialog.
            raise AppError(
                "Facebook Login needs a signed-in user; an API key cannot start it.",
                code="user_required",
            )
        state = secrets.token_urlsafe(STATE_BYTES)
        now = datetime.now(UTC)
        self.session.add(
            OAuthState(
                state_hash=hash_state(state),
                tenant_id=scope.tenant_id,
                user_id=scope.user_id,
                product=product,
                channel_id=channel_id,
                created_at=now,
                expires_at=now + STATE_TTL,
            )
        )
        await self.session.flush()
        return self._dialog_url(product, state)

    def _dialog_url(self, product: str, state: str) -> str:
        meta = self.settings.meta
        params = {
            "client_id": meta.app_id,
            "redirect_uri": redirect_uri(self.settings),
            "state": state,
            "response_type": "code",
        }
        if meta.login_config_id:
            params["config_id"] = meta.login_config_id
        else:
            params["scope"] = ",".join(required_scopes(self.settings, product))
        return f"{meta.oauth_dialog_url.rstrip('/')}/{meta.graph_version}/dialog/oauth?{urlencode(params)}"

    async def spend_state(self, state: str | None) -> OAuthState:
        """Check the state (constant time), mark it used, and return it."""
        if not state:
            raise LoginFailed("The login response carried no state.", code="invalid_state")
        presented = hash_state(state)
        row = await OAuthStateRepository(self.session).get_for_update(presented)
        if row is None or not hmac.compare_digest(row.state_hash, presented):
            raise LoginFailed("This login link is not valid. Start again.", code="invalid_state")
        if row.used_at is not None:
            raise LoginFailed("This login link was already used. Start again.", code="state_reused")
        now = datetime.now(UTC)
        row.used_at = now
        if row.expires_at <= now:
            raise LoginFailed(
                "The login took longer than 10 minutes. Start again.", code="state_expired"
            )
        return row

    async def complete(self, state: OAuthState, code: str) -> MetaAccount:
        """Code → user token → long-lived token → checked → stored (encrypted)."""
        try:
            short = await self.client.exchange_code(code, redirect_uri(self.settings))
            issued = await self.client.exchange_long_lived(short.access_token)
        except GraphError as exc:
            raise LoginFailed(
                f"Facebook refused the login: {exc.reason}", code="oauth_failed"
            ) from exc
        return await self.store_account(
            await self.scope_of(state), issued, required_scopes(self.settings, state.product)
        )

    async def scope_of(self, state: OAuthState) -> TenantScope:
        """The user who started the login, if they may still connect channels."""
        user = await UserRepository(self.session).get(state.user_id)
        if (
            user is None
            or user.tenant_id != state.tenant_id
            or not allows(user.role, Permission.CHANNELS_MANAGE)
        ):
            raise LoginFailed("You are no longer allowed to connect channels.", code="forbidden")
        return TenantScope(
            tenant_id=user.tenant_id, user_id=user.id, role=user.role, actor_label=user.email
        )

    async def store_account(
        self, scope: TenantScope, issued: IssuedToken, needed: list[str]
    ) -> MetaAccount:
        info = await self._checked(issued.access_token, needed)
        name = await self._name(issued.access_token)
        fb_user_id = (
            info.user_id or f"token:{hashlib.sha256(issued.access_token.encode()).hexdigest()[:16]}"
        )
        accounts = MetaAccountRepository(self.session, scope)
        account = await accounts.by_fb_user(fb_user_id)
        if account is None:
            account = MetaAccount(tenant_id=scope.tenant_id, fb_user_id=fb_user_id)
            self.session.add(account)
        account.name = name or account.name
        account.scopes = info.scopes
        account.granular_scopes = dict(info.granular_scopes)
        account.token_expires_at = info.expires_at or issued.expires_at
        account.data_access_expires_at = info.data_access_expires_at
        account.status = MetaAccountStatus.ACTIVE
        account.connected_by_user_id = scope.user_id
        seal_token(self.box, account, issued.access_token)
        await self.session.flush()
        return account

    async def _checked(self, token: str, needed: list[str]) -> TokenInfo:
        try:
            info = await self.client.debug_token(token)
        except GraphError as exc:
            raise LoginFailed(
                f"Could not check the token with Facebook: {exc.reason}", code="oauth_failed"
            ) from exc
        if not info.is_valid:
            raise LoginFailed("Facebook says this token is not valid.", code="invalid_token")
        if info.app_id != self.settings.meta.app_id:
            raise LoginFailed("This token was issued to another app.", code="wrong_app")
        missing = [scope for scope in needed if scope not in info.scopes]
        if missing:
            raise LoginFailed(
                f"Permissions were not granted: {', '.join(missing)}. Log in again and allow them.",
                code="missing_scopes",
            )
        return info

    async def _name(self, token: str) -> str | None:
        try:
            return str((await self.client.me(token)).get("name") or "") or None
        except GraphError:
            return None  # business integration tokens may not read /me
