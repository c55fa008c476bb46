from __future__ import annotations

from fastapi import APIRouter, status

from api.auth.deps import CurrentScope
from api.auth.schemas import LoginRequest, MeOut, RefreshRequest, RegisterRequest, TokenPair
from api.auth.service import AuthService
from api.deps import SessionDep, SettingsDep
from api.errors import NotFound

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Create a tenant (business) with its owner and sign the owner in."""
    return await AuthService(session, settings.auth).register(body)


@router.post("/login")
async def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return await AuthService(session, settings.auth).login(body)


@router.post("/refresh")
async def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Spend a refresh token for a new pair. A reused token revokes its whole family."""
    return await AuthService(session, settings.auth).refresh(body.refresh_token)


@router.get("/me")
async def me(scope: CurrentScope, session: SessionDep, settings: SettingsDep) -> MeOut:
    if scope.user_id is None:
        raise NotFound("This credential has no user.")
    return await AuthService(session, settings.auth).me(scope.user_id)
