"""Registration, login and token rotation.

Sign-in is throttled per email (a rate limit, and a growing lockout after repeated
failures, see `api.auth.lockout`) on top of the per-IP limits on the routes. Sign-ins,
failures, lockouts, refresh-token reuse and registrations are written to the audit log of
the tenant concerned; a failure for an unknown email belongs to no tenant and is only
logged, without the email.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.log import AuditAction, record
from api.auth import passwords, tokens
from api.auth.lockout import LoginLockout
from api.auth.permissions import permissions_of
from api.auth.repository import RefreshTokenRepository, UserRepository
from api.auth.schemas import LoginRequest, MeOut, RegisterRequest, TenantOut, TokenPair
from api.config import AuthSettings, SecuritySettings, get_settings
from api.errors import AppError, Conflict, NotFound, Unauthorized
from api.models import RefreshToken, Role, Tenant, User
from api.redis import get_redis
from api.security.ratelimit import LimitName, RateLimited, RateLimiter, hashed, retry_after_seconds

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Email or password is incorrect."


class RefreshTokenReused(Unauthorized):
    keep_changes = True  # the family revocation (and its audit entry) must stick


class LoginFailed(Unauthorized):
    keep_changes = True  # the audit entry must stick


class LoginLocked(RateLimited):
    keep_changes = True  # the audit entry must stick

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            retry_after,
            f"Too many failed sign-ins for this account; try again in {retry_after} s.",
            code="login_locked",
        )


class AuthService:
    def __init__(
        self,
        session: AsyncSession,
        settings: AuthSettings,
        security: SecuritySettings | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.security = security or get_settings().security
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
        await record(
            self.session,
            None,
            AuditAction.TENANT_REGISTERED,
            tenant_id=tenant.id,
            actor_user_id=user.id,
            actor_label=user.email,
            target=("tenant", tenant.id, tenant.name),
        )
        return await self._issue(user, family_id=uuid.uuid4())

    async def login(self, request: LoginRequest) -> TokenPair:
        """Same answers, and the same work, for an unknown email and a wrong password;
        refused with 429 while the email is locked after repeated failures."""
        email = request.email
        redis = get_redis()
        await RateLimiter(redis, self.security).check(
            LimitName.LOGIN_EMAIL,
            hashed(email),
            "Too many sign-in attempts for this account; try again later.",
        )
        lockout = LoginLockout(redis, self.security)
        user = await self.users.get_by_email(email)
        locked_ms = await lockout.locked_for_ms(email)
        if locked_ms > 0:
            retry_after = retry_after_seconds(locked_ms)
            await self._audit_login(user, AuditAction.LOGIN_LOCKED, {"retry_after": retry_after})
            raise LoginLocked(retry_after)
        valid = passwords.verify_password(request.password, user.password_hash if user else None)
        if user is None or not valid:
            failure = await lockout.record_failure(email)
            details: dict[str, int] = {"consecutive_failures": failure.count}
            if failure.lock_ms:
                details["locked_seconds"] = retry_after_seconds(failure.lock_ms)
            await self._audit_login(user, AuditAction.LOGIN_FAILED, details)
            raise LoginFailed(INVALID_CREDENTIALS, code="invalid_credentials")
        await lockout.clear(email)
        user.last_login_at = datetime.now(UTC)
        await self._audit_login(user, AuditAction.LOGIN_SUCCEEDED, {})
        return await self._issue(user, family_id=uuid.uuid4())

    async def _audit_login(
        self, user: User | None, action: AuditAction, details: dict[str, int]
    ) -> None:
        if user is None:  # no tenant to file it under; never log the email itself
            logger.info("%s for an unknown account %s", action.value, details)
            return
        await record(
            self.session,
            None,
            action,
            tenant_id=user.tenant_id,
            actor_user_id=user.id if action is AuditAction.LOGIN_SUCCEEDED else None,
            actor_label=user.email if action is AuditAction.LOGIN_SUCCEEDED else None,
            target=("user", user.id, user.email),
            details=details,
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the presented token is spent and a new pair is issued in its family.
        A token presented twice means it leaked, so its whole family is revoked."""
        now = datetime.now(UTC)
        stored = await self.refresh_tokens.get_for_update(tokens.hash_refresh_token(refresh_token))
        if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
            raise Unauthorized("Refresh token is invalid or expired.", code="invalid_refresh_token")
        if stored.used_at is not None:
            await self.refresh_tokens.revoke_family(stored.family_id, now)
            await self._audit_refresh_reuse(stored)
            raise RefreshTokenReused(
                "Refresh token was already used; sign in again.", code="refresh_token_reused"
            )
        stored.used_at = now
        user = await self.users.get(stored.user_id)
        if user is None:
            raise Unauthorized("Refresh token is invalid or expired.", code="invalid_refresh_token")
        return await self._issue(user, family_id=stored.family_id)

    async def _audit_refresh_reuse(self, stored: RefreshToken) -> None:
        user = await self.users.get(stored.user_id)
        if user is None:
            return
        await record(
            self.session,
            None,
            AuditAction.REFRESH_REUSED,
            tenant_id=user.tenant_id,
            target=("user", user.id, user.email),
            details={"family_id": str(stored.family_id), "family_revoked": True},
        )

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

    async def sign_in(self, user: User) -> TokenPair:
        """A new session (a new refresh-token family) for a user already verified by the
        caller, e.g. one who has just accepted an invitation."""
        return await self._issue(user, family_id=uuid.uuid4())

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
