"""Shapes of the audit log endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.models import AuditLog

ActorType = Literal["user", "api_key", "system", "anonymous"]


class AuditActor(BaseModel):
    type: ActorType = Field(description="user, api_key, system (a job) or anonymous (sign-in)")
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    label: str | None = Field(description="The user's email or the key's name, as it was then")


class AuditTarget(BaseModel):
    type: str
    id: str | None
    label: str | None = Field(description="What the target was called when this happened")


class AuditLogOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    action: str = Field(description="Dotted action name, e.g. team.role_changed")
    actor: AuditActor
    target: AuditTarget | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditLog) -> AuditLogOut:
        target = (
            AuditTarget(type=entry.target_type, id=entry.target_id, label=entry.target_label)
            if entry.target_type is not None
            else None
        )
        return cls(
            id=entry.id,
            created_at=entry.created_at,
            action=entry.action,
            actor=AuditActor(
                type=entry.actor_type,  # written only by audit.record: one of ActorType
                user_id=entry.actor_user_id,
                api_key_id=entry.actor_api_key_id,
                label=entry.actor_label,
            ),
            target=target,
            ip=entry.ip,
            user_agent=entry.user_agent,
            details=entry.details,
        )
