"""Simulated media: WhatsApp media ids (token-protected) and Messenger's CDN (open).

WhatsApp: every inbound media message gets a media id. ``GET /{version}/{media-id}``
with a token that reaches the number answers the metadata and a download URL valid for
five minutes; the download needs the same ``Authorization: Bearer`` token.

Messenger: attachment URLs point at ``/_sim/cdn/{asset_id}``, served without a token
like Meta's CDN URLs.
"""

import hashlib
import secrets
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from metasim.assets import AssetFile
from metasim.errors import GraphError, GraphFailure, JSONDict
from metasim.graph_common import CallNotes, GraphRequest, apply_fault, unknown_object
from metasim.state import SimState, now_s
from metasim.tokens import (
    Principal,
    principal_for,
    reachable_waba_ids,
    require_scope,
    token_problem,
)
from metasim.world import MediaAsset, PhoneNumber

URL_SECONDS = 300  # a media URL is valid for about five minutes
MESSAGING = "whatsapp_business_messaging"


def new_media_id() -> str:
    """A WhatsApp media id: 16 digits."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def register_whatsapp_media(state: SimState, number: PhoneNumber, file: AssetFile) -> MediaAsset:
    """Store ``file`` under a fresh media id owned by ``number``."""
    media = MediaAsset(
        id=new_media_id(),
        content=file.content,
        mime_type=file.mime_type,
        filename=file.filename,
        phone_number_id=number.id,
        waba_id=number.waba_id,
    )
    state.media[media.id] = media
    return media


def register_cdn_asset(state: SimState, file: AssetFile) -> MediaAsset:
    """Store ``file`` on the Messenger CDN under a fresh asset id."""
    asset = MediaAsset(
        id="a" + secrets.token_hex(12),
        content=file.content,
        mime_type=file.mime_type,
        filename=file.filename,
    )
    state.cdn[asset.id] = asset
    return asset


def cdn_url(base_url: str, asset: MediaAsset) -> str:
    """The asset's CDN URL, with the signature-looking query Meta's CDN URLs carry."""
    query = urlencode({"_nc_cat": "1", "oh": secrets.token_hex(16), "oe": f"{now_s():08X}"})
    return f"{base_url}_sim/cdn/{asset.id}?{query}"


def token_hint(token: str) -> str:
    """A short fingerprint of a token, put in download URLs to tie them to that token."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def expired_media(media_id: str) -> GraphError:
    """What the Graph API answers for a media id that no longer exists."""
    return replace(unknown_object(media_id), http_status=404)


# GET /{version}/{media-id} --------------------------------------------------------------


def media_node(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """The media's metadata and a download URL, for a token reaching its WABA."""
    media = state.media[request.node]
    notes.phone_number_id = media.phone_number_id
    if media.waba_id not in reachable_waba_ids(state, principal):
        raise GraphFailure(unknown_object(media.id))
    wanted_number = request.param("phone_number_id")
    if wanted_number is not None and wanted_number != media.phone_number_id:
        raise GraphFailure(unknown_object(media.id))
    if media.expired:
        raise GraphFailure(expired_media(media.id))
    apply_fault(state, "media", media.id, media.phone_number_id or "", media.waba_id or "")
    require_scope(principal, MESSAGING)
    query = urlencode(
        {"ext": str(now_s() + URL_SECONDS), "token_hint": token_hint(principal.token)}
    )
    return {
        "messaging_product": "whatsapp",
        "url": f"{request.base_url}_sim/media/{media.id}/download?{query}",
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.file_size,
        "id": media.id,
    }


# GET /_sim/media/{media-id}/download ------------------------------------------------------


@dataclass(frozen=True)
class DownloadAnswer:
    """The media to serve, or the HTTP status and error to answer instead."""

    media: MediaAsset | None
    status_code: int
    message: str = ""


def check_download(
    state: SimState, media_id: str, token: str | None, ext: str | None, hint: str | None
) -> DownloadAnswer:
    """Who may download: the bearer of a usable token reaching the media's WABA.

    401 without a usable token; 403 when the token cannot reach the media or is not the
    one the URL was issued to (``token_hint``); 404 for an unknown or expired media id,
    or a URL older than five minutes.
    """
    if not token:
        return DownloadAnswer(None, 401, "An access token is required to download media.")
    principal = principal_for(state, token)
    if principal is None or token_problem(principal) is not None:
        return DownloadAnswer(None, 401, "Invalid OAuth access token.")
    media = state.media.get(media_id)
    if media is None:
        return DownloadAnswer(None, 404, f"Media {media_id} not found.")
    if media.waba_id not in reachable_waba_ids(state, principal):
        return DownloadAnswer(None, 403, "This token cannot access this media.")
    if hint is not None and hint != token_hint(token):
        return DownloadAnswer(None, 403, "This URL was issued to another access token.")
    if media.expired:
        return DownloadAnswer(None, 404, f"Media {media_id} has expired.")
    if ext is not None and (not ext.isdigit() or int(ext) < now_s()):
        return DownloadAnswer(None, 404, "This media URL has expired; fetch the media id again.")
    return DownloadAnswer(media, 200)
