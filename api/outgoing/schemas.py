"""Shapes of the outgoing webhook endpoints and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.models import WebhookDeliveryStatus
from api.outgoing.catalog import WebhookEventType

MAX_URL_LENGTH = 2048


def _unique_events(value: list[WebhookEventType]) -> list[WebhookEventType]:
    return list(dict.fromkeys(value))


def _clean_description(value: str | None) -> str | None:
    if value is None:
        return None
    if any(ord(char) < 0x20 for char in value):
        raise ValueError("must be one line of text")
    return value.strip() or None


class WebhookEndpointCreate(BaseModel):
    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="An https:// URL on the internet (private and local addresses are refused).",
        examples=["https://example.com/parley/webhooks"],
    )
    description: str | None = Field(default=None, max_length=200)
    events: list[WebhookEventType] = Field(min_length=1, description="The events to receive.")
    enabled: bool = True

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[WebhookEventType]) -> list[WebhookEventType]:
        return _unique_events(value)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return _clean_description(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return value.strip()


class WebhookEndpointUpdate(BaseModel):
    """Only the fields given change."""

    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    description: str | None = Field(default=None, max_length=200)
    events: list[WebhookEventType] | None = Field(default=None, min_length=1)
    enabled: bool | None = None

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return _clean_description(value)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[WebhookEventType] | None) -> list[WebhookEventType] | None:
        return _unique_events(value) if value is not None else None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None


class DeliverySummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_type: str
    status: WebhookDeliveryStatus
    response_status: int | None
    created_at: datetime
    last_attempt_at: datetime | None


class WebhookEndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    events: list[WebhookEventType]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    created_by_user_id: uuid.UUID | None
    last_delivery: DeliverySummary | None = Field(
        default=None, description="The most recent delivery to this endpoint, if any."
    )


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(
        description="The signing secret (whsec_...). Admins can reveal it again later."
    )


class WebhookSecret(BaseModel):
    secret: str = Field(description="The endpoint's signing secret (whsec_...).")


class WebhookDeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID = Field(description="The event's id (the body's `id`), kept on re-send.")
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    response_status: int | None
    error: str | None
    duration_ms: int | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None


class WebhookDeliveryDetail(WebhookDeliveryOut):
    request_body: str = Field(description="The exact JSON body that is POSTed and signed.")
    response_body: str | None = Field(description="The first 2 KB of the last answer.")
