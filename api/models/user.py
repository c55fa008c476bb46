from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"


def pg_enum(enum: type[StrEnum], name: str) -> Enum:
    """A PostgreSQL enum stored by value (`owner`, not `OWNER`)."""
    return Enum(enum, name=name, values_callable=lambda e: [m.value for m in e])


class User(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(pg_enum(Role, "user_role"))
    last_login_at: Mapped[datetime | None]


class RefreshToken(IdMixin, Base):
    """One issued refresh token (stored hashed). Tokens of one login share a family:
    presenting an already-used token revokes the whole family."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
