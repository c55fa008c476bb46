"""Request and response shapes of WhatsApp templates: the picker's list, the parameters an
agent fills in, and the preview."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CurrencyValue(BaseModel):
    """A `currency` body parameter; `fallback_value` is what the preview shows."""

    type: Literal["currency"]
    fallback_value: str = Field(min_length=1, max_length=1024)
    code: str = Field(pattern=r"^[A-Z]{3}$")
    amount_1000: int


class DateTimeValue(BaseModel):
    """A `date_time` body parameter, shown as its `fallback_value`."""

    type: Literal["date_time"]
    fallback_value: str = Field(min_length=1, max_length=1024)


ObjectValue = Annotated[CurrencyValue | DateTimeValue, Field(discriminator="type")]
# A plain string is a `text` parameter.
BodyValue = str | ObjectValue


class HeaderValue(BaseModel):
    """The header's parameter: text for a TEXT header with a variable; a media `link`
    (https) or an uploaded `media_id` for IMAGE / VIDEO / DOCUMENT; a place for LOCATION."""

    type: Literal["text", "image", "video", "document", "location"]
    text: str | None = Field(default=None, max_length=1024)
    link: str | None = Field(default=None, max_length=2048)
    media_id: str | None = Field(default=None, max_length=255)
    filename: str | None = Field(default=None, max_length=255)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    name: str | None = Field(default=None, max_length=1000)
    address: str | None = Field(default=None, max_length=1000)


class ButtonValue(BaseModel):
    """A button's parameter, by the button's position (0-based): the URL suffix of a
    dynamic URL button, the payload of a quick reply, the code of a copy-code or OTP one."""

    index: int = Field(ge=0, le=9)
    value: str = Field(min_length=1, max_length=2000)


class TemplateParameters(BaseModel):
    """What fills a template's variables. `body` is a list for numbered variables
    ({{1}}, {{2}}...) or an object keyed by name for named ones ({{first_name}})."""

    header: HeaderValue | None = None
    body: list[BodyValue] | dict[str, BodyValue] = Field(default_factory=list)
    buttons: list[ButtonValue] = Field(default_factory=list)


class TemplateChoice(TemplateParameters):
    """A template to send, by `template_id` or by `name` + `language`, and its parameters."""

    template_id: uuid.UUID | None = None
    name: str | None = Field(default=None, min_length=1, max_length=512)
    language: str | None = Field(default=None, min_length=2, max_length=16)

    @model_validator(mode="after")
    def _names_a_template(self) -> TemplateChoice:
        if self.template_id is None and not (self.name and self.language):
            raise ValueError("give template_id, or name and language")
        return self


class Problem(BaseModel):
    field: str  # header, body.1, body.first_name, buttons.0, ...
    message: str


class Preview(BaseModel):
    """The message as the customer will see it (missing values stay as {{n}})."""

    header: str | None
    body: str
    footer: str | None
    buttons: list[str]
    text: str  # header, body and footer together: what the thread shows


class PreviewOut(BaseModel):
    valid: bool
    problems: list[Problem]
    preview: Preview


class HeaderSpec(BaseModel):
    format: str  # TEXT | IMAGE | VIDEO | DOCUMENT | LOCATION
    variables: list[str]


class ButtonSpec(BaseModel):
    index: int
    type: str  # URL | QUICK_REPLY | PHONE_NUMBER | COPY_CODE | OTP | ...
    text: str | None
    needs_value: bool  # a parameter must be given for it
    accepts_value: bool  # a parameter may be given for it


class ParametersSpec(BaseModel):
    """What the picker asks for: the variables of each part, in order."""

    format: Literal["POSITIONAL", "NAMED"]
    header: HeaderSpec | None
    body: list[str]
    buttons: list[ButtonSpec]


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    waba_id: str
    external_id: str | None
    name: str
    language: str
    category: str | None
    status: str
    reason: str | None
    quality_score: str | None
    components: list[Any]
    parameters: ParametersSpec
    synced_at: datetime | None
    updated_at: datetime


class TemplateSyncOut(BaseModel):
    waba_id: str
    synced: int  # templates seen at Meta (created or updated here)
    deleted: int  # templates Meta no longer has (marked DELETED)
