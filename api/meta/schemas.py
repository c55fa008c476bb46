from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

Connected = Literal["here", "elsewhere"] | None

# Meta's object ids (page, business, WABA, phone number) are digits. They go into Graph API
# paths, so nothing else may get through (no `/`, `..`, `?` or control characters).
META_ID_PATTERN = r"^[0-9]{1,32}$"
MetaId = Annotated[str, Field(pattern=META_ID_PATTERN, description="A Meta object id (digits)")]


class PageOption(BaseModel):
    id: str
    name: str
    category: str | None
    can_message: bool
    connected: Connected


class ConnectPages(BaseModel):
    page_ids: list[MetaId] = Field(min_length=1, max_length=50)
    import_history: bool = False


class WhatsAppLogin(BaseModel):
    """Either the JS SDK's user access token or an Embedded Signup code."""

    access_token: str | None = Field(default=None, min_length=1, max_length=4096)
    code: str | None = Field(default=None, min_length=1, max_length=4096)

    @model_validator(mode="after")
    def _exactly_one(self) -> WhatsAppLogin:
        if (self.access_token is None) == (self.code is None):
            raise ValueError("send exactly one of access_token or code")
        return self


class MetaAccountOut(BaseModel):
    id: uuid.UUID
    fb_user_id: str
    name: str | None
    scopes: list[str]
    token_expires_at: datetime | None


class BusinessOption(BaseModel):
    id: str
    name: str


class WabaOption(BaseModel):
    id: str
    name: str
    ownership: Literal["owned", "client"]


class PhoneNumberOption(BaseModel):
    id: str
    display_phone_number: str
    verified_name: str | None
    quality_rating: str | None
    status: str | None
    connected: Connected


class ConnectWhatsApp(BaseModel):
    waba_id: MetaId
    phone_number_id: MetaId
    make_primary: bool = False
