"""``/_sim`` helpers for login, tokens, WhatsApp numbers and Meta's callbacks."""

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from metasim.deps import SettingsDep, StateDep
from metasim.errors import AdminError
from metasim.oauth import issue_code
from metasim.schemas import (
    DIGITS_PATTERN,
    DenyScopesIn,
    DenyScopesOut,
    EmbeddedSignupIn,
    EmbeddedSignupOut,
    Items,
    LimitsIn,
    LimitsOut,
    NumberIn,
    NumberList,
    NumberOut,
    SignedRequestBuilt,
    SignedRequestIn,
    SignedRequestOut,
    TemplateIn,
    TokenIn,
    TokenOut,
    WhatsAppDeliverIn,
    WhatsAppDeliverOut,
)
from metasim.signed_request import build_signed_request
from metasim.state import SimState, now_s
from metasim.templates import add_samples, template_id, upsert_template
from metasim.tokens import issue_user_token
from metasim.webhooks import (
    WhatsAppDeliveryRequest,
    deliver_whatsapp_message,
    post_signed_request,
)
from metasim.world import (
    ALL_SCOPES,
    EMBEDDED_SIGNUP_SCOPES,
    MessageTemplate,
    PhoneNumber,
    SimUser,
    Waba,
)

router = APIRouter(prefix="/_sim", tags=["sim"])

NumberIdPath = Annotated[str, Path(pattern=DIGITS_PATTERN)]


# Login ------------------------------------------------------------------------------


@router.post("/oauth/deny-scopes")
async def deny_scopes(body: DenyScopesIn, state: StateDep) -> DenyScopesOut:
    """Codes issued from now on leave out these scopes (replaces the previous list)."""
    async with state.lock:
        state.denied_scopes = set(body.scopes)
        return DenyScopesOut(denied_scopes=sorted(state.denied_scopes))


@router.get("/oauth/deny-scopes")
async def list_denied_scopes(state: StateDep) -> DenyScopesOut:
    """The scopes currently declined."""
    async with state.lock:
        return DenyScopesOut(denied_scopes=sorted(state.denied_scopes))


@router.delete("/oauth/deny-scopes")
async def clear_denied_scopes(state: StateDep) -> DenyScopesOut:
    """Grant every requested scope again."""
    async with state.lock:
        state.denied_scopes.clear()
    return DenyScopesOut(denied_scopes=[])


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def mint_token(body: TokenIn, state: StateDep, settings: SettingsDep) -> TokenOut:
    """A user token made directly: for another app, already expired, short or long."""
    async with state.lock:
        _user(state, body.user_id)
        scopes = tuple(body.scopes) if body.scopes is not None else ALL_SCOPES
        app_id = body.app_id or settings.app_id
        record = issue_user_token(state, body.user_id, app_id, scopes, body.kind)
    return TokenOut(
        access_token=record.token,
        app_id=record.app_id,
        user_id=record.user_id,
        scopes=list(record.scopes),
        issued_at=record.issued_at,
        expires_at=record.expires_at,
    )


@router.post("/embedded-signup")
async def embedded_signup(
    body: EmbeddedSignupIn, state: StateDep, settings: SettingsDep
) -> EmbeddedSignupOut:
    """Stand-in for the JS SDK's Embedded Signup: a code plus the FINISH event's ids.

    Exchange the code without ``redirect_uri`` for a business integration token.
    """
    async with state.lock:
        user = _user(state, body.user_id)
        waba_id, business_id = _signup_waba(state, user, body.waba_id)
        number = _signup_number(state, waba_id, body.phone_number_id)
        code = issue_code(
            state,
            user.id,
            settings.app_id,
            None,
            EMBEDDED_SIGNUP_SCOPES,
            waba_id=waba_id,
            business_id=business_id,
        )
    return EmbeddedSignupOut(
        code=code.code, waba_id=waba_id, phone_number_id=number.id, business_id=business_id
    )


def _user(state: SimState, user_id: str) -> SimUser:
    user = state.users.get(user_id)
    if user is None:
        known = ", ".join(state.users)
        raise AdminError(404, "user_not_found", f"no simulated user {user_id!r} (known: {known})")
    return user


def _signup_waba(state: SimState, user: SimUser, waba_id: str | None) -> tuple[str, str]:
    """The WABA (default: the user's first owned one) and the business it came through."""
    for business_id in user.business_ids:
        business = state.businesses.get(business_id)
        if business is None:
            continue
        candidates = business.owned_waba_ids + business.client_waba_ids
        if waba_id is None and business.owned_waba_ids:
            return business.owned_waba_ids[0], business.id
        if waba_id in candidates:
            return waba_id, business.id
    detail = f"user {user.id} cannot reach WABA {waba_id!r}" if waba_id else "user has no WABA"
    raise AdminError(422, "waba_not_reachable", detail)


def _signup_number(state: SimState, waba_id: str, number_id: str | None) -> PhoneNumber:
    numbers = [n for n in state.numbers.values() if n.waba_id == waba_id]
    chosen = next((n for n in numbers if number_id in (None, n.id)), None)
    if chosen is None:
        detail = f"WABA {waba_id} has no phone number {number_id or ''}".rstrip()
        raise AdminError(422, "number_not_in_waba", detail)
    return chosen


# WhatsApp numbers and deliveries ----------------------------------------------------


@router.put("/whatsapp/numbers/{phone_number_id}")
async def put_number(phone_number_id: NumberIdPath, body: NumberIn, state: StateDep) -> NumberOut:
    """Register a WhatsApp number (creating its WABA if new) or update it (idempotent)."""
    async with state.lock:
        number = _upsert_number(state, phone_number_id, body)
        return _number_out(state, number)


@router.get("/whatsapp/numbers")
async def list_numbers(state: StateDep) -> NumberList:
    """All known numbers (fixtures and registered), without tokens."""
    async with state.lock:
        return NumberList(items=[_number_out(state, n) for n in state.numbers.values()])


def _upsert_number(state: SimState, number_id: str, body: NumberIn) -> PhoneNumber:
    owner = state.token_owner(body.access_token)
    if owner is not None and not owner.startswith("phone number"):
        raise AdminError(409, "token_in_use", f"that access token belongs to {owner}")
    existing = state.numbers.get(number_id)
    if existing is not None and existing.waba_id != body.waba_id:
        detail = f"number {number_id} belongs to WABA {existing.waba_id}"
        raise AdminError(409, "number_in_other_waba", detail)
    if body.waba_id not in state.wabas:
        state.wabas[body.waba_id] = Waba(body.waba_id, f"{body.verified_name} WhatsApp")
        add_samples(state, body.waba_id)
    number = existing or PhoneNumber(number_id, body.waba_id, "", "")
    number.display_phone_number = body.display_phone_number
    number.verified_name = body.verified_name
    number.access_token = body.access_token
    number.registered_at = now_s()
    state.numbers[number_id] = number
    return number


def _number_out(state: SimState, number: PhoneNumber) -> NumberOut:
    waba = state.wabas.get(number.waba_id)
    return NumberOut(
        id=number.id,
        waba_id=number.waba_id,
        display_phone_number=number.display_phone_number,
        verified_name=number.verified_name,
        quality_rating=number.quality_rating,
        waba_subscribed=waba is not None and state.app_id in waba.subscribed_app_ids,
    )


@router.post("/whatsapp/deliver")
async def deliver_whatsapp(
    body: WhatsAppDeliverIn, state: StateDep, settings: SettingsDep
) -> WhatsAppDeliverOut:
    """Deliver a WhatsApp user's text to the webhook URL, signed like Meta does."""
    request = WhatsAppDeliveryRequest(**body.model_dump())
    delivery = await deliver_whatsapp_message(state, settings, request)
    return WhatsAppDeliverOut(
        delivered=delivery.delivered,
        status_code=delivery.status_code,
        wamid=delivery.refs["wamid"],
        wa_id=delivery.refs["wa_id"],
        error=delivery.error,
    )


# Signed requests and limits ---------------------------------------------------------


@router.post("/signed-request", response_model_by_alias=True)
async def send_signed_request(
    body: SignedRequestIn, state: StateDep, settings: SettingsDep
) -> SignedRequestOut:
    """POST a signed_request to a deauthorize or data-deletion callback URL.

    ``deauthorize`` first revokes every token the user gave this app (then 190/458).
    """
    sent = await post_signed_request(state, settings, body.user_id, body.kind, body.url)
    outcome = sent.outcome
    return SignedRequestOut(
        signed_request=sent.signed_request,
        status_code=outcome.status_code,
        body=outcome.text,
        json_body=_json_or_none(outcome.text),
        error=outcome.error,
    )


def _json_or_none(text: str | None) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


@router.get("/signed-request")
async def build_signed_request_only(
    user_id: Annotated[str, Query(pattern=DIGITS_PATTERN)], settings: SettingsDep
) -> SignedRequestBuilt:
    """A signed_request for ``user_id``, built with the app secret but not sent."""
    return SignedRequestBuilt(
        signed_request=build_signed_request(settings.app_secret, user_id, now_s())
    )


@router.post("/limits")
async def set_limits(body: LimitsIn, state: StateDep) -> LimitsOut:
    """Turn opt-in rate limits on or off (``conversations_per_second``: Meta's is 2;
    ``whatsapp_per_second``: 80; ``whatsapp_pair_interval_ms``: about 6000, with
    ``whatsapp_pair_burst`` sends allowed at once). Fields left
    out keep their value; the measured peaks start again."""
    async with state.lock:
        given = body.model_fields_set
        if "conversations_per_second" in given:
            state.conversations_per_second = body.conversations_per_second
            state.conversation_calls.clear()
        if "whatsapp_per_second" in given:
            state.whatsapp_per_second = body.whatsapp_per_second
        if "whatsapp_pair_interval_ms" in given:
            state.whatsapp_pair_interval_ms = body.whatsapp_pair_interval_ms
        if "whatsapp_pair_burst" in given:
            state.whatsapp_pair_burst = body.whatsapp_pair_burst
        for store in (state.wa_send_times, state.wa_pair_due, state.wa_peak_per_second):
            store.clear()
        return _limits(state)


@router.get("/limits")
async def get_limits(state: StateDep) -> LimitsOut:
    """The opt-in rate limits in force, and the most WhatsApp sends each number had
    accepted within one second (a sliding window) since the limits were last set."""
    async with state.lock:
        return _limits(state)


def _limits(state: SimState) -> LimitsOut:
    return LimitsOut(
        conversations_per_second=state.conversations_per_second,
        whatsapp_per_second=state.whatsapp_per_second,
        whatsapp_pair_interval_ms=state.whatsapp_pair_interval_ms,
        whatsapp_pair_burst=state.whatsapp_pair_burst,
        whatsapp_peak_per_second=dict(state.wa_peak_per_second),
    )


# WhatsApp templates -----------------------------------------------------------------


@router.get("/whatsapp/templates")
async def list_templates(state: StateDep, waba_id: str | None = None) -> Items:
    """Every template (of one WABA with ``waba_id``), by name and language."""
    async with state.lock:
        rows = sorted(state.templates.values(), key=lambda t: (t.waba_id, t.name, t.language))
        return Items(items=[_template_json(t) for t in rows if waba_id in (None, t.waba_id)])


@router.post("/whatsapp/templates", status_code=status.HTTP_201_CREATED)
async def put_template(body: TemplateIn, state: StateDep) -> dict[str, object]:
    """Add a template to a WABA (or replace the one with the same name and language)."""
    async with state.lock:
        if body.waba_id not in state.wabas:
            raise AdminError(404, "waba_not_found", f"WABA {body.waba_id} is not known")
        template = upsert_template(
            state,
            MessageTemplate(
                id=body.id or template_id(body.waba_id, body.name, body.language),
                waba_id=body.waba_id,
                name=body.name,
                language=body.language,
                category=body.category,
                status=body.status,
                components=body.components,
                parameter_format=body.parameter_format,
                rejected_reason=body.rejected_reason,
            ),
        )
        return _template_json(template)


def _template_json(template: MessageTemplate) -> dict[str, object]:
    return {"waba_id": template.waba_id, **template.fields()}
