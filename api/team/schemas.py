"""Shapes of the team endpoints."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from api.models import Role


class MemberOut(BaseModel):
    """A person of the workspace, as teammates see them (to assign, to mention)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str | None
    email: str
    role: Role
