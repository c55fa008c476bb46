"""Routes imitating the Graph API and the Facebook Login dialog.

Bodies are parsed by hand rather than by pydantic so that every request, however
malformed, gets a Meta-shaped answer and is recorded. Specific paths come first: the
catch-all ``/{version}/{node}`` and ``/{version}/{node}/{edge}`` routes go last.
"""

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from metasim import followups, graph_service, oauth, outbound_media
from metasim.config import SimSettings
from metasim.deps import SettingsDep, StateDep
from metasim.graph_common import GraphRequest, GraphResult

router = APIRouter(tags=["graph"])
logger = logging.getLogger("metasim")

FORM_TYPE = "application/x-www-form-urlencoded"


# Facebook Login ---------------------------------------------------------------------


@router.get("/{version}/dialog/oauth", response_class=HTMLResponse)
async def login_dialog(
    version: str, request: Request, state: StateDep, settings: SettingsDep
) -> Response:
    """The login dialog: one button per simulated user, plus Cancel."""
    return await _dialog(version, request, state, settings)


@router.post("/{version}/dialog/oauth", response_class=HTMLResponse)
async def login_dialog_choice(
    version: str, request: Request, state: StateDep, settings: SettingsDep
) -> Response:
    """The dialog's form: redirect back with a code (or with ``error=access_denied``)."""
    return await _dialog(version, request, state, settings)


@router.get("/dialog/oauth", response_class=HTMLResponse, include_in_schema=False)
async def login_dialog_unversioned(
    request: Request, state: StateDep, settings: SettingsDep
) -> Response:
    """The dialog without a version in the path (Meta serves it too)."""
    return await _dialog(settings.graph_version, request, state, settings)


async def _dialog(
    version: str, request: Request, state: StateDep, settings: SettingsDep
) -> Response:
    graph_request = await _graph_request(request, version, "dialog", with_body=True)
    form = graph_request.body if isinstance(graph_request.body, dict) else {}
    params = {**dict(request.query_params), **{k: str(v) for k, v in form.items()}}
    choice = params.pop("choice", None) if request.method == "POST" else None
    dialog_params = oauth.DialogParams.from_params(version, params)
    answer = await oauth.dialog(state, settings, graph_request, dialog_params, choice)
    if answer.location is not None:
        return RedirectResponse(answer.location, status_code=302)
    return HTMLResponse(answer.html or "", status_code=answer.status_code)


@router.api_route("/{version}/oauth/access_token", methods=["GET", "POST"])
async def access_token(
    version: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """Code → short-lived token, short → long-lived, Embedded Signup code → business token."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, "oauth", with_body=True)
    return _respond(await oauth.access_token(state, settings, graph_request))


@router.api_route("/oauth/access_token", methods=["GET", "POST"], include_in_schema=False)
async def access_token_unversioned(
    request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """The token endpoint without a version in the path."""
    return await access_token(settings.graph_version, request, state, settings)


@router.get("/{version}/debug_token")
async def debug_token(
    version: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """Inspect any token, authorised by the app token ``{app_id}|{app_secret}``."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, "debug_token", with_body=False)
    return _respond(await oauth.debug_token(state, settings, graph_request))


@router.get("/debug_token", include_in_schema=False)
async def debug_token_unversioned(
    request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """``debug_token`` without a version in the path."""
    return await debug_token(settings.graph_version, request, state, settings)


# Sends ------------------------------------------------------------------------------


@router.post("/{version}/me/messages")
async def send_as_me(
    version: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """Send API addressed to the page the token belongs to."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, "me", with_body=True)
    result = await graph_service.send_message(state, graph_request)
    await followups.after_send(state, settings, graph_request, result)
    return _respond(result)


@router.post("/{version}/{node_id}/messages")
async def send_as_node(
    version: str, node_id: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """Messenger Send API for a page id, or WhatsApp Cloud API for a phone number id."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, node_id, with_body=True)
    result = await graph_service.send_message(state, graph_request)
    await followups.after_send(state, settings, graph_request, result)
    return _respond(result)


# Uploads (multipart) ----------------------------------------------------------------


@router.post("/{version}/{node_id}/media")
async def upload_media(
    version: str, node_id: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """WhatsApp media upload for a phone number id: multipart ``file``, ``type``,
    ``messaging_product=whatsapp`` → ``{"id": media-id}``."""
    _warn_on_version_drift(version, settings)
    graph_request, form = await _upload_request(request, version, node_id)
    return _respond(await outbound_media.upload_media(state, graph_request, form))


@router.post("/{version}/{node_id}/message_attachments")
async def upload_attachment(
    version: str, node_id: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """Messenger Attachment Upload API for a page (or ``me``): multipart ``message`` (JSON)
    and ``filedata`` → ``{"attachment_id": ...}``."""
    _warn_on_version_drift(version, settings)
    graph_request, form = await _upload_request(request, version, node_id)
    return _respond(await outbound_media.upload_attachment(state, graph_request, form))


async def _upload_request(
    request: Request, version: str, node: str
) -> tuple[GraphRequest, outbound_media.UploadForm]:
    """The call with its multipart body parsed; the record keeps the fields and a summary
    of each file (name, type, size), not the bytes."""
    settings: SimSettings = request.app.state.settings
    raw = await request.body()
    form = outbound_media.parse_form(raw, request.headers.get("content-type", ""))
    body: Any = (
        form.record()
        if form is not None
        else _parse_body(raw, request.headers.get("content-type", ""))
    )
    token, token_in_query = _access_token(request, body)
    graph_request = GraphRequest(
        method=request.method,
        path=request.url.path,
        version=version,
        node=node,
        token=token,
        token_in_query=token_in_query,
        body=body,
        base_url=settings.base_url(str(request.base_url)),
        query=dict(request.query_params),
    )
    if form is None:  # not multipart: the fields of a form or JSON body, and no file
        fields = body if isinstance(body, dict) else {}
        form = outbound_media.UploadForm(
            fields={k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        )
    return graph_request, form


# Catch-alls -------------------------------------------------------------------------


@router.api_route("/{version}/{node_id}/{edge}", methods=["GET", "POST", "DELETE"])
async def node_edge(
    version: str,
    node_id: str,
    edge: str,
    request: Request,
    state: StateDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Edges: accounts, businesses, WABAs, phone_numbers, subscribed_apps, conversations..."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, node_id, with_body=True)
    return _respond(await graph_service.read_edge(state, graph_request, edge))


@router.get("/{version}/{node_id}")
async def read_node(
    version: str, node_id: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """A node by id: me, a page, a customer's profile, a number, a WABA, a conversation..."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, node_id, with_body=False)
    return _respond(await graph_service.read_node(state, graph_request))


def _warn_on_version_drift(version: str, settings: SimSettings) -> None:
    """Any ``vN.0`` is served, but a version other than the pinned one is worth a log line."""
    if version != settings.graph_version:
        logger.warning(
            "Graph call used version %s; METASIM_GRAPH_VERSION is %s",
            version,
            settings.graph_version,
        )


async def _graph_request(
    request: Request, version: str, node: str, *, with_body: bool
) -> GraphRequest:
    settings: SimSettings = request.app.state.settings
    body = _parse_body(await request.body(), request.headers.get("content-type", ""))
    token, token_in_query = _access_token(request, body)
    return GraphRequest(
        method=request.method,
        path=request.url.path,
        version=version,
        node=node,
        token=token,
        token_in_query=token_in_query,
        body=body if with_body else None,
        base_url=settings.base_url(str(request.base_url)),
        query=dict(request.query_params),
    )


def _access_token(request: Request, body: Any) -> tuple[str | None, bool]:
    """The token (header first, as Meta allows all three) and whether one came as a param."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    header_token = value.strip() if scheme.lower() in ("bearer", "oauth") else ""
    query_token = request.query_params.get("access_token")
    form_token = body.get("access_token") if isinstance(body, dict) else None
    param_token = query_token or (form_token if isinstance(form_token, str) else None)
    return header_token or param_token or None, param_token is not None


def _parse_body(raw: bytes, content_type: str) -> Any:
    """A form body as a dict, a JSON body as parsed, else the raw text (recorded as sent)."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if content_type.split(";")[0].strip().lower() == FORM_TYPE:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(raw)
    except ValueError:
        return text


def _respond(result: GraphResult) -> JSONResponse:
    return JSONResponse(result.body, status_code=result.status_code)
