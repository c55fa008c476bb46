from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from api.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from api.apikeys.service import ApiKeyService
from api.auth.deps import ApiKeysScope
from api.deps import SessionDep
from api.pagination import Page

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.get("")
async def list_api_keys(scope: ApiKeysScope, session: SessionDep) -> Page[ApiKeyOut]:
    """The tenant's keys (prefix only; the secret is never shown again)."""
    return Page(items=await ApiKeyService(session, scope).list())


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    body: ApiKeyCreate, scope: ApiKeysScope, session: SessionDep
) -> ApiKeyCreated:
    """Create a key. The response's `secret` is the only time the whole key is shown."""
    return await ApiKeyService(session, scope).create(body)


@router.delete("/{key_id}")
async def revoke_api_key(key_id: uuid.UUID, scope: ApiKeysScope, session: SessionDep) -> ApiKeyOut:
    """Revoke a key: it stops working at once. Revoking twice is harmless."""
    return await ApiKeyService(session, scope).revoke(key_id)
