from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.deps import ChannelsScope, CurrentScope
from api.deps import MetaClientDep, SecretBoxDep, SessionDep
from api.pagination import MAX_LIMIT, Page
from api.templates.schemas import PreviewOut, TemplateOut, TemplateParameters, TemplateSyncOut
from api.templates.service import TemplateService

router = APIRouter(tags=["templates"])


@router.get("/templates")
async def list_templates(
    scope: CurrentScope,
    session: SessionDep,
    channel_id: uuid.UUID | None = None,
    status: Annotated[
        str, Query(max_length=16, description="A template status, or ALL; approved by default")
    ] = "APPROVED",
    search: Annotated[str | None, Query(max_length=100)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> Page[TemplateOut]:
    """WhatsApp templates for the picker, by name; `channel_id` narrows to one number's WABA."""
    return await TemplateService(session, scope).list(
        channel_id=channel_id, status=status, search=search, cursor=cursor, limit=limit
    )


@router.get("/templates/{template_id}")
async def get_template(
    template_id: uuid.UUID, scope: CurrentScope, session: SessionDep
) -> TemplateOut:
    return await TemplateService(session, scope).get(template_id)


@router.post("/templates/{template_id}/preview")
async def preview_template(
    template_id: uuid.UUID, body: TemplateParameters, scope: CurrentScope, session: SessionDep
) -> PreviewOut:
    """The message with these parameters filled in, and what is wrong with them (if anything)."""
    return await TemplateService(session, scope).preview(template_id, body)


@router.post("/channels/{channel_id}/templates/sync")
async def sync_templates(
    channel_id: uuid.UUID,
    scope: ChannelsScope,
    session: SessionDep,
    client: MetaClientDep,
    box: SecretBoxDep,
) -> TemplateSyncOut:
    """Fetch the number's WhatsApp Business Account templates from Meta now."""
    return await TemplateService(session, scope).sync(channel_id, client, box)
