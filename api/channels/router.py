from __future__ import annotations

from fastapi import APIRouter

from api.auth.deps import CurrentScope
from api.channels.repository import ChannelRepository
from api.channels.schemas import ChannelOut
from api.deps import SessionDep
from api.pagination import Page

router = APIRouter(prefix="/channels", tags=["channels"])


@router.get("")
async def list_channels(scope: CurrentScope, session: SessionDep) -> Page[ChannelOut]:
    """The tenant's connected pages and numbers."""
    channels = await ChannelRepository(session, scope).list()
    return Page(items=[ChannelOut.model_validate(c) for c in channels])
