"""Shapes of the public invitation endpoints (the token in the path is the credential)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from api.auth.schemas import check_password_strength
from api.models import Role


class Inviter(BaseModel):
    name: str | None
    email: str


class InvitationPreview(BaseModel):
    """What the invitee sees before joining."""

    tenant_name: str
    email: str = Field(description="The account's email: fixed by the invitation")
    role: Role
    expires_at: datetime
    invited_by: Inviter | None


class InvitationAccept(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="How teammates will see you")
    password: str = Field(max_length=256)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str) -> str:
        return check_password_strength(value)
