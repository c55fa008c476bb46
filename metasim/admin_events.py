"""``/_sim`` endpoints for every webhook event kind, batches, automatic events and media."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from metasim import events
from metasim.deps import SettingsDep, StateDep
from metasim.errors import AdminError, JSONDict
from metasim.event_schemas import BatchIn, MessengerEventIn, SettingsIn, WhatsAppEventIn
from metasim.followups import wait_idle
from metasim.graph_common import CallNotes, GraphRequest, GraphResult, record_call
from metasim.media import check_download
from metasim.schemas import ID_PATTERN, Items
from metasim.world import MediaAsset

router = APIRouter(prefix="/_sim", tags=["sim"])

AssetIdPath = Annotated[str, Path(pattern=ID_PATTERN)]


# Events -----------------------------------------------------------------------------------


@router.post("/messenger/events")
async def messenger_event(
    body: MessengerEventIn, request: Request, state: StateDep, settings: SettingsDep
) -> JSONDict:
    """Deliver one Messenger event of any kind, signed like Meta does."""
    base_url = settings.base_url(str(request.base_url))
    return await events.deliver_messenger_event(state, settings, base_url, body)


@router.post("/whatsapp/events")
async def whatsapp_event(body: WhatsAppEventIn, state: StateDep, settings: SettingsDep) -> JSONDict:
    """Deliver one WhatsApp event of any kind, signed like Meta does."""
    return await events.deliver_whatsapp_event(state, settings, body)


@router.post("/batch")
async def batch(
    body: BatchIn, request: Request, state: StateDep, settings: SettingsDep
) -> JSONDict:
    """Several events in one delivery, then ``duplicate`` re-deliveries of the same bytes."""
    base_url = settings.base_url(str(request.base_url))
    return await events.deliver_batch(state, settings, base_url, body)


# Automatic events -------------------------------------------------------------------------


@router.get("/settings")
async def get_settings(state: StateDep) -> JSONDict:
    """Which automatic echoes, receipts and statuses Meta sends after a send."""
    async with state.lock:
        return state.auto_events.to_json()


@router.post("/settings")
async def set_settings(body: SettingsIn, state: StateDep) -> JSONDict:
    """Change some of the automatic-event settings (omitted ones stay as they are)."""
    async with state.lock:
        for name, value in body.model_dump(exclude_none=True).items():
            setattr(state.auto_events, name, value)
        return state.auto_events.to_json()


@router.post("/wait-idle")
async def wait_for_idle(
    state: StateDep, timeout_s: Annotated[float, Query(alias="timeout", ge=0, le=120)] = 10.0
) -> JSONDict:
    """Wait until every scheduled automatic delivery has been POSTed (or the timeout)."""
    pending = await wait_idle(state, timeout_s)
    return {"idle": pending == 0, "pending": pending}


# Messenger CDN ----------------------------------------------------------------------------


@router.get("/cdn/{asset_id}", response_class=Response)
async def cdn_asset(asset_id: AssetIdPath, state: StateDep) -> Response:
    """An attachment's bytes, like Meta's CDN: no token needed, 404 once expired."""
    async with state.lock:
        asset = state.cdn.get(asset_id)
    if asset is None or asset.expired:
        raise AdminError(404, "asset_not_found", f"no CDN asset {asset_id!r} (or it expired)")
    return _file_response(asset)


@router.post("/cdn/{asset_id}/expire")
async def expire_cdn_asset(asset_id: AssetIdPath, state: StateDep) -> JSONDict:
    """Make a CDN URL stop working (Meta's attachment URLs are temporary)."""
    async with state.lock:
        asset = state.cdn.get(asset_id)
        if asset is None:
            raise AdminError(404, "asset_not_found", f"no CDN asset {asset_id!r}")
        asset.expired = True
    return {"id": asset_id, "expired": True}


# WhatsApp media ---------------------------------------------------------------------------


@router.get("/media")
async def list_media(state: StateDep) -> Items:
    """Every WhatsApp media id and Messenger CDN asset, without bytes."""
    async with state.lock:
        items = [{**_media_json(m), "store": "whatsapp"} for m in state.media.values()] + [
            {**_media_json(a), "store": "cdn"} for a in state.cdn.values()
        ]
    return Items(items=items)


@router.post("/media/{media_id}/expire")
async def expire_media(media_id: AssetIdPath, state: StateDep) -> JSONDict:
    """Expire a media id: Graph lookups answer 404 / code 100, downloads 404."""
    async with state.lock:
        media = state.media.get(media_id)
        if media is None:
            raise AdminError(404, "media_not_found", f"no media id {media_id!r}")
        media.expired = True
    return {"id": media_id, "expired": True}


@router.get("/media/{media_id}/download", response_class=Response)
async def download_media(
    media_id: AssetIdPath,
    request: Request,
    state: StateDep,
    ext: str | None = None,
    token_hint: str | None = None,
) -> Response:
    """The bytes behind a media URL; needs ``Authorization: Bearer`` (401/403 otherwise)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else None
    graph_request = GraphRequest(
        method="GET",
        path=request.url.path,
        version="",
        node=media_id,
        token=token,
        token_in_query=False,
        query=dict(request.query_params),
    )
    async with state.lock:
        checked = check_download(state, media_id, token, ext, token_hint)
        media = checked.media
        code = {401: 190, 403: 10}.get(checked.status_code, 100)
        error = {"error": {"message": checked.message, "type": "OAuthException", "code": code}}
        body: JSONDict = {"id": media_id, "file_size": media.file_size} if media else error
        notes = CallNotes(phone_number_id=media.phone_number_id if media else None)
        result = GraphResult(checked.status_code, body)
        record_call(state, graph_request, "media_download", result, notes)
    if media is None:
        return JSONResponse(error, status_code=checked.status_code)
    return _file_response(media)


def _file_response(asset: MediaAsset) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{asset.filename}"'}
    return Response(content=asset.content, media_type=asset.mime_type, headers=headers)


def _media_json(asset: MediaAsset) -> JSONDict:
    return {
        "id": asset.id,
        "mime_type": asset.mime_type,
        "sha256": asset.sha256,
        "file_size": asset.file_size,
        "filename": asset.filename,
        "phone_number_id": asset.phone_number_id,
        "waba_id": asset.waba_id,
        "expired": asset.expired,
    }
