"""Shapes of the API key endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.models import Role


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120, description="What the key is for")
    role: Role = Field(default=Role.AGENT, description="admin, agent or viewer (never owner)")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's public start, e.g. prly_3f9a1c2b7d4e")
    role: Role
    created_at: datetime
    created_by_user_id: uuid.UUID | None
    last_used_at: datetime | None
    last_used_ip: str | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The whole key. Shown this once; Parley keeps only a hash.")
