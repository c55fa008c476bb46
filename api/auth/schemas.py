from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from api.auth.permissions import Permission
from api.models import Role

MIN_PASSWORD_LENGTH = 10
# A short list is enough to refuse the passwords people actually try first.
COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password12", "password123", "1234567890", "0123456789",
        "qwertyuiop", "123456789a", "iloveyou12", "letmein123", "welcome123", "changeme12",
        "administrator", "passw0rd12", "1q2w3e4r5t", "qwerty1234", "abcdefghij",
    }
)  # fmt: skip


def check_password_strength(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValueError("is too easy to guess; use a longer passphrase")
    return password


class RegisterRequest(BaseModel):
    email: EmailStr
    password: str = Field(max_length=256)
    tenant_name: str = Field(min_length=1, max_length=200)

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.lower()

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str) -> str:
        return check_password_strength(value)

    @field_validator("tenant_name")
    @classmethod
    def _tenant_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class LoginRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.lower()


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires")


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class MeOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str | None
    role: Role
    tenant: TenantOut
    permissions: list[Permission] = Field(
        description="What this role may do (the permission table); the SPA hides the rest"
    )
