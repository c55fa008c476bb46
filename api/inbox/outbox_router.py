"""Sending beyond a plain reply: starting a WhatsApp conversation, retrying a failed
message, reacting to a message. (Replies are `POST /inbox/conversations/{id}/messages` in api.inbox.router.)
All of it goes through `api.inbox.outbox.Outbox`, the one send path."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from api.auth.deps import TenantAgent
from api.deps import SessionDep
from api.inbox.outbox import REPLAYED_HEADER, Outbox
from api.inbox.outbox_schemas import ReactionRequest, StartConversationRequest, StartedConversation
from api.inbox.reactions import ReactionService
from api.inbox.router import IdempotencyKey
from api.inbox.schemas import MessageOut

router = APIRouter(prefix="/inbox", tags=["inbox"])


@router.post("/conversations", status_code=status.HTTP_202_ACCEPTED)
async def start_conversation(
    body: StartConversationRequest,
    scope: TenantAgent,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StartedConversation:
    """Start (or continue) a WhatsApp conversation with a phone number by sending an
    approved template; the contact and conversation are created when new."""
    started = await Outbox(session, scope).start_whatsapp(
        body.channel_id, body.phone_number, body.template, idempotency_key=idempotency_key
    )
    if started.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return StartedConversation(conversation=started.conversation, message=started.message)


@router.post("/messages/{message_id}/retry", status_code=status.HTTP_202_ACCEPTED)
async def retry_message(
    message_id: uuid.UUID, scope: TenantAgent, session: SessionDep
) -> MessageOut:
    """Send a failed message again (Meta's rules are checked again): `failed` → `queued`."""
    return await Outbox(session, scope).retry(message_id)


@router.post("/messages/{message_id}/reactions", status_code=status.HTTP_202_ACCEPTED)
async def react_to_message(
    message_id: uuid.UUID, body: ReactionRequest, scope: TenantAgent, session: SessionDep
) -> MessageOut:
    """Set or change the business's reaction (one emoji; `""` takes it back). It shows at
    once and goes to Meta in the background like a reply (24-hour window; WhatsApp: the
    customer's messages of the last 30 days). Choosing the same emoji again changes
    nothing; if Meta refuses it, it is taken off the message (`message:updated`)."""
    return await ReactionService(session, scope).react(message_id, body.emoji)
