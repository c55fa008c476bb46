from __future__ import annotations

import uuid
from html import escape
from typing import Annotated, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Header, Path, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from api.auth.deps import ChannelsScope
from api.channels.schemas import AuthorizeUrl, ChannelOut
from api.deps import MetaClientDep, SecretBoxDep, SessionDep, SettingsDep
from api.errors import NotFound
from api.meta import callbacks
from api.meta.callback import FacebookCallback
from api.meta.client import IssuedToken
from api.meta.connect import ConnectService
from api.meta.errors import GraphError
from api.meta.login import LoginFailed, LoginService
from api.meta.schemas import (
    META_ID_PATTERN,
    BusinessOption,
    ConnectPages,
    ConnectWhatsApp,
    MetaAccountOut,
    PageOption,
    PhoneNumberOption,
    WabaOption,
    WhatsAppLogin,
)
from api.pagination import Page

router = APIRouter(prefix="/meta", tags=["meta"])


def connect_service(
    scope: ChannelsScope, session: SessionDep, client: MetaClientDep, box: SecretBoxDep
) -> ConnectService:
    return ConnectService(session, scope, client, box)


Connect = Annotated[ConnectService, Depends(connect_service)]


@router.get(
    "/login", response_model=AuthorizeUrl, responses={302: {"description": "Redirect to Facebook"}}
)
async def login(
    scope: ChannelsScope,
    session: SessionDep,
    settings: SettingsDep,
    client: MetaClientDep,
    box: SecretBoxDep,
    product: Literal["messenger", "whatsapp"] = "messenger",
    accept: Annotated[str, Header()] = "",
) -> JSONResponse | RedirectResponse:
    """Start Facebook Login. Browsers are redirected; `Accept: application/json` gets the URL."""
    url = await LoginService(session, settings, client, box).start(scope, product)
    if "application/json" in accept:
        return JSONResponse({"authorize_url": url})
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


@router.get("/callback", response_class=RedirectResponse, status_code=status.HTTP_302_FOUND)
async def callback(
    session: SessionDep,
    settings: SettingsDep,
    client: MetaClientDep,
    box: SecretBoxDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=256)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    error_description: Annotated[str | None, Query(max_length=1024)] = None,
) -> RedirectResponse:
    """Facebook sends the browser here; it continues into the SPA (or to an error there)."""
    target = await FacebookCallback(session, settings, client, box).handle(
        code=code, state=state, error=error, error_description=error_description
    )
    return RedirectResponse(target, status_code=status.HTTP_302_FOUND)


@router.get("/accounts/{account_id}/pages")
async def list_pages(account_id: uuid.UUID, connect: Connect) -> Page[PageOption]:
    return Page(items=await connect.page_options(account_id))


@router.post("/accounts/{account_id}/pages/connect", status_code=status.HTTP_201_CREATED)
async def connect_pages(
    account_id: uuid.UUID, body: ConnectPages, connect: Connect
) -> Page[ChannelOut]:
    """Connect the chosen Pages: token sealed, webhooks subscribed, optionally import history."""
    return Page(items=await connect.connect_pages(account_id, body.page_ids, body.import_history))


@router.post("/whatsapp/login", status_code=status.HTTP_201_CREATED)
async def whatsapp_login(
    body: WhatsAppLogin,
    scope: ChannelsScope,
    session: SessionDep,
    settings: SettingsDep,
    client: MetaClientDep,
    box: SecretBoxDep,
) -> MetaAccountOut:
    """Take the JS SDK's token or an Embedded Signup code; check it; store it long-lived."""
    login = LoginService(session, settings, client, box)
    try:
        if body.code is not None:
            issued = await client.exchange_code(body.code, redirect_uri=None)
        else:
            assert body.access_token is not None
            issued = await client.exchange_long_lived(body.access_token)
    except GraphError as exc:
        raise LoginFailed(f"Facebook refused the token: {exc.reason}", code="oauth_failed") from exc
    account = await login.store_account(
        scope, IssuedToken(issued.access_token, issued.expires_at), settings.meta.whatsapp_scopes
    )
    return MetaAccountOut(
        id=account.id,
        fb_user_id=account.fb_user_id,
        name=account.name,
        scopes=account.scopes,
        token_expires_at=account.token_expires_at,
    )


@router.get("/accounts/{account_id}/businesses")
async def list_businesses(account_id: uuid.UUID, connect: Connect) -> Page[BusinessOption]:
    return Page(items=await connect.businesses(account_id))


@router.get("/accounts/{account_id}/businesses/{business_id}/whatsapp-accounts")
async def list_wabas(
    account_id: uuid.UUID,
    business_id: Annotated[str, Path(pattern=META_ID_PATTERN)],
    connect: Connect,
) -> Page[WabaOption]:
    return Page(items=await connect.wabas(account_id, business_id))


@router.get("/accounts/{account_id}/whatsapp-accounts/{waba_id}/phone-numbers")
async def list_numbers(
    account_id: uuid.UUID, waba_id: Annotated[str, Path(pattern=META_ID_PATTERN)], connect: Connect
) -> Page[PhoneNumberOption]:
    return Page(items=await connect.phone_numbers(account_id, waba_id))


@router.post("/accounts/{account_id}/whatsapp/connect", status_code=status.HTTP_201_CREATED)
async def connect_whatsapp(
    account_id: uuid.UUID, body: ConnectWhatsApp, connect: Connect
) -> ChannelOut:
    """Subscribe the WABA, connect the number, optionally make it the primary number."""
    return await connect.connect_number(
        account_id, body.waba_id, body.phone_number_id, body.make_primary
    )


async def _signed_request(request: Request, settings: SettingsDep) -> dict[str, object]:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    values = form.get("signed_request") or []
    return callbacks.parse_signed_request(values[0] if values else None, settings.meta.app_secret)


SignedRequest = Annotated[dict[str, object], Depends(_signed_request)]


@router.post("/deauthorize")
async def deauthorize(payload: SignedRequest, session: SessionDep) -> dict[str, int]:
    """Meta: a user removed the app. Their token is revoked; their channels need re-auth."""
    return {"channels_affected": await callbacks.deauthorize(session, str(payload["user_id"]))}


@router.post("/data-deletion")
async def data_deletion(
    payload: SignedRequest, session: SessionDep, settings: SettingsDep
) -> dict[str, str]:
    """Meta: delete a user's data. Answers the status URL and confirmation code Meta shows them."""
    request = await callbacks.delete_user_data(session, str(payload["user_id"]))
    url = (
        f"{settings.public_base_url.rstrip('/')}/api/meta/data-deletion/{request.confirmation_code}"
    )
    return {"url": url, "confirmation_code": request.confirmation_code}


@router.get("/data-deletion/{code}", response_class=HTMLResponse)
async def data_deletion_status(code: str, session: SessionDep) -> HTMLResponse:
    """A public page that tells the person what happened to their deletion request."""
    request = await callbacks.deletion_status(session, code)
    if request is None:
        raise NotFound("No deletion request has this confirmation code.")
    done = (
        request.completed_at.strftime("%Y-%m-%d %H:%M UTC") if request.completed_at else "pending"
    )
    body = (
        "<!doctype html><meta charset=utf-8><title>Data deletion status</title>"
        "<body style='font-family:system-ui;max-width:40rem;margin:3rem auto'>"
        f"<h1>Data deletion request {escape(request.confirmation_code)}</h1>"
        f"<p>Status: <strong>{escape(request.status.value)}</strong> ({escape(done)})</p>"
        f"<p>{escape(request.summary or '')}</p></body>"
    )
    return HTMLResponse(body)
