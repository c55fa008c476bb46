"""Registration, login and token rotation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import passwords, tokens
from api.auth.permissions import permissions_of
from api.auth.repository import RefreshTokenRepository, UserRepository
from api.auth.schemas import LoginRequest, MeOut, RegisterRequest, TenantOut, TokenPair
from api.config import AuthSettings
from api.errors import AppError, Conflict, NotFound, Unauthorized
from api.models import RefreshToken, Role, Tenant, User

INVALID_CREDENTIALS = "Email or password is incorrect."


class RefreshTokenReused(Unauthorized):
    keep_changes = True  # the family revocation must stick


class AuthService:
    def __init__(self, session: AsyncSession, settings: AuthSettings) -> None:
        self.session = session
        self.settings = settings
        self.users = UserRepository(session)
        self.refresh_tokens = RefreshTokenRepository(session)

    async def register(self, request: RegisterRequest) -> TokenPair:
        """Create a tenant and its owner, and sign the owner in."""
        if await self.users.get_by_email(request.email) is not None:
            raise Conflict("An account with this email already exists.", code="email_taken")
        tenant = Tenant(name=request.tenant_name)
        self.session.add(tenant)
        await self.session.flush()
        user = User(
            tenant_id=tenant.id,
            email=request.email,
            password_hash=passwords.hash_password(request.password),
            role=Role.OWNER,
        )
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a concurrent registration won the race
            raise Conflict(
                "An account with this email already exists.", code="email_taken"
            ) from exc
        return await self._issue(user, family_id=uuid.uuid4())

    async def login(self, request: LoginRequest) -> TokenPair:
        """Same answer, and the same work, for an unknown email and a wrong password."""
        user = await self.users.get_by_email(request.email)
        valid = passwords.verify_password(request.password, user.password_hash if user else None)
        if user is None or not valid:
            raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
        user.last_login_at = datetime.now(UTC)
        return await self._issue(user, family_id=uuid.uuid4())

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the presented token is spent and a new pair is issued in its family.
        A token presented twice means it leaked, so its whole family is revoked."""
        now = datetime.now(UTC)
        stored = await self.refresh_tokens.get_for_update(tokens.hash_refresh_token(refresh_token))
        if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
            raise Unauthorized("Refresh token is invalid or expired.", code="invalid_refresh_token")
        if stored.used_at is not None:
            await self.refresh_tokens.revoke_family(stored.family_id, now)
            raise RefreshTokenReused(
                "Refresh token was already used; sign in again.", code="refresh_token_reused"
            )
        stored.used_at = now
        user = await self.users.get(stored.user_id)
        if user is None:
            raise Unauthorized("Refresh token is invalid or expired.", code="invalid_refresh_token")
        return await self._issue(user, family_id=stored.family_id)

    async def me(self, user_id: uuid.UUID) -> MeOut:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound("User not found.")
        tenant = await self.users.get_tenant(user.tenant_id)
        if tenant is None:
            raise AppError("User has no tenant.", status_code=500, code="internal_error")
        return MeOut(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            tenant=TenantOut.model_validate(tenant),
            permissions=permissions_of(user.role),
        )

    async def _issue(self, user: User, *, family_id: uuid.UUID) -> TokenPair:
        now = datetime.now(UTC)
        refresh_token = tokens.new_refresh_token()
        self.session.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=tokens.hash_refresh_token(refresh_token),
                created_at=now,
                expires_at=now + timedelta(days=self.settings.refresh_token_days),
            )
        )
        await self.session.flush()
        access = tokens.create_access_token(
            self.settings, user_id=user.id, tenant_id=user.tenant_id, role=user.role
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh_token,
            expires_in=self.settings.access_token_minutes * 60,
        )
