"""Request and response bodies of the ``/_sim`` control endpoints."""

from typing import Any

from pydantic import BaseModel, Field

# Ids travel in URL paths (/{version}/{psid}), so keep them to path-safe characters.
ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"


class PageIn(BaseModel):
    """Register or update a page."""

    name: str = Field(min_length=1)
    access_token: str = Field(min_length=1)


class PageOut(BaseModel):
    """A page as shown back (never with its token)."""

    id: str
    name: str


class PageList(BaseModel):
    """All registered pages."""

    items: list[PageOut]


class DeliverIn(BaseModel):
    """Deliver one inbound Messenger text message to the webhook."""

    page_id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1)
    psid: str | None = Field(default=None, pattern=ID_PATTERN)
    first_name: str | None = None
    last_name: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")


class DeliverOut(BaseModel):
    """How a delivery went; metasim answers 200 even when the target failed."""

    delivered: bool
    status_code: int | None
    mid: str
    psid: str
    error: str | None


class FaultIn(BaseModel):
    """A Graph error to answer instead of the next ``count`` message sends."""

    page_id: str | None = None
    code: int
    error_subcode: int | None = None
    message: str = Field(min_length=1)
    type: str = "OAuthException"
    http_status: int = Field(default=400, ge=400, le=599)
    count: int = Field(default=1, ge=1)
    is_transient: bool | None = None


class Items(BaseModel):
    """A list of recorded things, oldest first."""

    items: list[dict[str, Any]]


class Ok(BaseModel):
    """A plain acknowledgement."""

    ok: bool = True
