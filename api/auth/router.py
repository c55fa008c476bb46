from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, status

from api.auth.deps import CurrentScope
from api.auth.schemas import LoginRequest, MeOut, RefreshRequest, RegisterRequest, TokenPair
from api.auth.service import AuthService
from api.deps import SessionDep, SettingsDep
from api.errors import NotFound
from api.security.ratelimit import LimitName, limit_by_ip

router = APIRouter(prefix="/auth", tags=["auth"])

THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts: `rate_limited` or `login_locked`, see Retry-After"}
}


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(limit_by_ip(LimitName.REGISTER_IP))],
    responses=THROTTLED,
)
async def register(body: RegisterRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Create a tenant (business) with its owner and sign the owner in."""
    return await AuthService(session, settings.auth).register(body)


@router.post("/login", dependencies=[Depends(limit_by_ip(LimitName.LOGIN_IP))], responses=THROTTLED)
async def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Sign in. Throttled per IP and per email; after repeated failures an email is locked
    for a growing time (429 `login_locked` with Retry-After), even with the right password."""
    return await AuthService(session, settings.auth).login(body)


@router.post(
    "/refresh", dependencies=[Depends(limit_by_ip(LimitName.REFRESH_IP))], responses=THROTTLED
)
async def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Spend a refresh token for a new pair. A reused token revokes its whole family."""
    return await AuthService(session, settings.auth).refresh(body.refresh_token)


@router.get("/me")
async def me(scope: CurrentScope, session: SessionDep, settings: SettingsDep) -> MeOut:
    if scope.user_id is None:
        raise NotFound("This credential has no user.")
    return await AuthService(session, settings.auth).me(scope.user_id)
