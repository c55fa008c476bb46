"""Shapes of the team endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from api.models import Role


class MemberOut(BaseModel):
    """A person of the workspace, as teammates see them (to assign, to mention)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str | None
    email: str
    role: Role
    last_login_at: datetime | None = Field(description="Last sign-in with a password")
    created_at: datetime = Field(description="When they joined the workspace")


class MemberUpdate(BaseModel):
    role: Role = Field(description="owner, admin, agent or viewer (owner needs tenant:own)")


class OwnershipTransfer(BaseModel):
    user_id: uuid.UUID = Field(description="The member who becomes an owner")


class OwnershipTransferred(BaseModel):
    owner: MemberOut = Field(description="The new owner")
    previous_owner: MemberOut = Field(description="The caller, now an admin")


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str | None
    email: str


class InvitationCreate(BaseModel):
    email: EmailStr
    role: Role = Field(
        default=Role.AGENT, description="admin, agent or viewer; owner only for an owner"
    )

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.lower()


class InvitationOut(BaseModel):
    """A pending invitation (never its token: the link is shown once, when created)."""

    id: uuid.UUID
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    expired: bool = Field(description="The link no longer works; invite again to resend")
    invited_by: PersonOut | None = Field(description="Null when an API key invited, or gone")


class InvitationCreated(InvitationOut):
    invite_url: str = Field(
        description="The single-use link to share. Shown this once; Parley keeps only a hash."
    )
    email_sent: bool = Field(
        description="An email with the link is on its way (false: email is not configured)"
    )
