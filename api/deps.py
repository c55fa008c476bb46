"""Typed dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings, get_settings
from api.crypto import SecretBox, get_secret_box
from api.db import unit_of_work
from api.meta.client import MetaClient
from api.meta.graph import get_graph_client


async def get_session() -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed before the response is sent."""
    async with unit_of_work() as session:
        yield session


# scope="function": the commit (and the jobs/events that wait for it) happens before the
# response goes out, so a 200 always means the data is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_box() -> SecretBox:
    return get_secret_box()


def get_meta_client() -> MetaClient:
    return MetaClient(get_graph_client(), get_settings().meta)


SecretBoxDep = Annotated[SecretBox, Depends(get_box)]
MetaClientDep = Annotated[MetaClient, Depends(get_meta_client)]
