"""What Meta sends on its own after a successful send (see :class:`AutoEvents`).

* Messenger: the ``is_echo`` message (``app_id`` of the app whose token sent it, the
  ``metadata`` it sent, the same mid), then a ``delivery`` receipt and a ``read`` receipt.
* WhatsApp: statuses ``sent``, ``delivered`` and ``read`` for the returned wamid (only
  ``sent`` for a reaction).

Each step waits ``status_delay_ms`` and is POSTed signed to the configured webhook URL
in a background task kept in :attr:`SimState.background`; failures are logged, never
raised. ``DELETE /_sim/state`` cancels steps still waiting; ``POST /_sim/wait-idle``
waits for them.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from metasim import events_messenger, events_whatsapp
from metasim.config import SimSettings
from metasim.errors import JSONDict
from metasim.graph_common import GraphRequest, GraphResult
from metasim.media import cdn_url
from metasim.state import DeliveryKind, SimState, now_s
from metasim.tokens import principal_for
from metasim.webhooks import encode_body, now_ms, post_signed
from metasim.world import OutboundWa

logger = logging.getLogger("metasim")


@dataclass(frozen=True)
class Step:
    """One automatic delivery: built when it fires, if its setting is still on."""

    kind: DeliveryKind
    setting: str  # the AutoEvents flag that allows it
    build: Callable[[], tuple[JSONDict, dict[str, str]]]  # payload, log refs


async def after_send(
    state: SimState, settings: SimSettings, request: GraphRequest, result: GraphResult
) -> None:
    """Schedule the automatic events of a successful send (nothing for other answers)."""
    if result.status_code != 200 or request.method != "POST":
        return
    try:
        async with state.lock:
            if request.node in state.numbers:
                steps = _whatsapp_steps(state, request, result.body)
            else:
                steps = _messenger_steps(state, settings, request, result.body)
            enabled = [s for s in steps if getattr(state.auto_events, s.setting)]
            if enabled:
                delay_s = state.auto_events.status_delay_ms / 1000
                schedule(state, _run(state, settings, enabled, delay_s))
    except Exception:  # the send itself succeeded; never let its follow-ups break it
        logger.exception("could not schedule the automatic events of a send")


def schedule(state: SimState, coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` in the background, remembered until it ends."""
    task = asyncio.create_task(coroutine)
    state.background.add(task)
    task.add_done_callback(state.background.discard)


async def wait_idle(state: SimState, timeout_s: float) -> int:
    """Wait until no automatic delivery is pending (or the timeout); how many still are."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        pending = [t for t in state.background if not t.done()]
        remaining = deadline - loop.time()
        if not pending or remaining <= 0:
            return len(pending)
        await asyncio.wait(pending, timeout=remaining)


async def _run(state: SimState, settings: SimSettings, steps: list[Step], delay_s: float) -> None:
    for step in steps:
        await asyncio.sleep(delay_s)
        try:
            async with state.lock:
                if not getattr(state.auto_events, step.setting):
                    continue
                payload, refs = step.build()
            body = encode_body(payload)
            url = settings.webhook_url
            delivery = await post_signed(state, settings, step.kind, refs, url, body)
            if not delivery.delivered:
                logger.warning("automatic %s not delivered: %s", refs["event"], delivery.error)
        except Exception:
            logger.exception("automatic %s delivery failed", step.kind)


# Messenger ------------------------------------------------------------------------------


def _messenger_steps(
    state: SimState, settings: SimSettings, request: GraphRequest, answer: JSONDict
) -> list[Step]:
    mid, psid = answer.get("message_id"), answer.get("recipient_id")
    body = request.body if isinstance(request.body, dict) else {}
    if "sender_action" in body:  # typing, mark_seen, react: no message, nothing follows
        return []
    page = state.page_for_token(request.token or "")
    page_id = request.node if request.node != "me" else (page.id if page else None)
    if not isinstance(mid, str) or not isinstance(psid, str) or page_id is None:
        return []
    principal = principal_for(state, request.token or "")
    app_id = principal.app_id if principal is not None else settings.app_id
    content = _echo_content(body)
    _echo_uploaded_attachment(state, request.base_url, content)
    refs = {"page_id": page_id, "psid": psid, "mid": mid, "auto": "true"}

    def echo() -> tuple[JSONDict, dict[str, str]]:
        at = now_ms()
        event = events_messenger.echo_event(page_id, psid, mid, app_id, content, at)
        built = events_messenger.BuiltEvent(page_id, event)
        return events_messenger.page_payload([built], at), {"event": "echo", **refs}

    def receipt(kind: str) -> Callable[[], tuple[JSONDict, dict[str, str]]]:
        def build() -> tuple[JSONDict, dict[str, str]]:
            at = now_ms()
            event = events_messenger.receipt_event(page_id, psid, kind, [mid], at)
            built = events_messenger.BuiltEvent(page_id, event)
            return events_messenger.page_payload([built], at), {"event": kind, **refs}

        return build

    return [
        Step("messenger", "messenger_echoes", echo),
        Step("messenger", "messenger_receipts", receipt("delivery")),
        Step("messenger", "messenger_receipts", receipt("read")),
    ]


def _echo_content(body: JSONDict) -> JSONDict:
    """The echoed message: the text or attachment that was sent, and its ``metadata``."""
    raw = body.get("message")
    message: JSONDict = raw if isinstance(raw, dict) else {}
    content: JSONDict = {}
    if isinstance(message.get("text"), str):
        content["text"] = message["text"]
    attachment = message.get("attachment")
    if isinstance(attachment, dict):
        payload = attachment.get("payload")
        echoed = {"type": attachment.get("type"), "payload": payload}
        content["attachments"] = [echoed]
    if isinstance(message.get("quick_replies"), list):
        content["quick_replies"] = message["quick_replies"]
    metadata = body.get("metadata")
    if isinstance(metadata, str):
        content["metadata"] = metadata
    return content


def _echo_uploaded_attachment(state: SimState, base_url: str, content: JSONDict) -> None:
    """An attachment sent by ``attachment_id`` echoes, like Meta's, as its CDN URL."""
    for echoed in content.get("attachments") or []:
        payload = echoed.get("payload")
        uploaded = (
            state.messenger_attachments.get(str(payload.get("attachment_id")))
            if isinstance(payload, dict)
            else None
        )
        if uploaded is not None:
            echoed["payload"] = {"url": cdn_url(base_url, state.cdn[uploaded.asset_id])}


# WhatsApp -------------------------------------------------------------------------------


def _whatsapp_steps(state: SimState, request: GraphRequest, answer: JSONDict) -> list[Step]:
    messages, contacts = answer.get("messages"), answer.get("contacts")
    if not isinstance(messages, list) or not messages or not isinstance(contacts, list):
        return []  # mark-as-read and other non-send answers
    number = state.numbers[request.node]
    body = request.body if isinstance(request.body, dict) else {}
    opaque = body.get("biz_opaque_callback_data")
    outbound = OutboundWa(
        wamid=str(messages[0]["id"]),
        phone_number_id=number.id,
        wa_id=str(contacts[0]["wa_id"]),
        category="utility" if body.get("type") == "template" else "service",
        biz_opaque_callback_data=opaque if isinstance(opaque, str) else None,
    )
    state.wa_outbound[outbound.wamid] = outbound
    refs = {
        "phone_number_id": number.id,
        "waba_id": number.waba_id,
        "wa_id": outbound.wa_id,
        "wamid": outbound.wamid,
        "auto": "true",
    }

    def status(name: str) -> Callable[[], tuple[JSONDict, dict[str, str]]]:
        def build() -> tuple[JSONDict, dict[str, str]]:
            at = now_s()
            item = events_whatsapp.status_object(number, outbound, name, at)
            built = events_whatsapp.BuiltChange(number, statuses=[item])
            payload = events_whatsapp.waba_payload([built], at)
            return payload, {"event": "status", "status": name, **refs}

        return build

    # A reaction gets a `sent` status only (WhatsApp's reaction messages guide).
    names = ("sent",) if body.get("type") == "reaction" else ("sent", "delivered", "read")
    return [Step("whatsapp", "whatsapp_statuses", status(name)) for name in names]
