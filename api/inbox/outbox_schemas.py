"""Shapes of the send path's own endpoints: starting a WhatsApp conversation, reacting."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from api.contacts.phone import InvalidPhoneNumber, PhoneNumber, parse_phone
from api.inbox.emoji import is_single_emoji
from api.inbox.schemas import ConversationOut, MessageOut
from api.templates.schemas import TemplateChoice


def _e164(value: str) -> str:
    try:
        return parse_phone(value).e164
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from exc


E164 = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_e164)]


class StartConversationRequest(BaseModel):
    """Write first to a WhatsApp user: `phone` in international format (`+44 20 7946
    0003`, `0044…`; spaces, dashes, dots and parentheses are fine), normalised to E.164."""

    channel_id: uuid.UUID
    phone: E164
    template: TemplateChoice

    @property
    def phone_number(self) -> PhoneNumber:
        return PhoneNumber(self.phone)


class StartedConversation(BaseModel):
    conversation: ConversationOut
    message: MessageOut


MAX_EMOJI_LENGTH = 16


def _emoji(value: str) -> str:
    if value and not is_single_emoji(value):
        raise ValueError('must be one emoji (e.g. "👍", "❤️", "👍🏽"), or "" to remove')
    return value


class ReactionRequest(BaseModel):
    """The business's reaction to a message: one emoji; `""` takes it back. One reaction
    per message, as on Meta: a new emoji replaces the previous one."""

    emoji: Annotated[str, Field(max_length=MAX_EMOJI_LENGTH), AfterValidator(_emoji)]
