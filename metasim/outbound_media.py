"""Files a business uploads before sending them (multipart bodies):

* WhatsApp ``POST /{phone-number-id}/media`` with ``file``, ``type`` and
  ``messaging_product=whatsapp`` → ``{"id": media-id}`` (a media id owned by the number,
  which ``GET /{media-id}`` also serves, like Meta's);
* Messenger ``POST /{page-id}/message_attachments`` with ``message`` (JSON: attachment
  ``type`` and ``payload.is_reusable``) and ``filedata`` → ``{"attachment_id": ...}``.

Checked like Meta: the file's type against the product's list, its size against the
type's limit (WhatsApp: images 5 MB, video and audio 16 MB, documents 100 MB, stickers
500 KB; Messenger 25 MB, audio needs an ``audio/*`` type). Sends then name these ids
(``image: {id}``, ``attachment: {payload: {attachment_id}}``); an unknown id, another
number's or page's, or one of the wrong kind is refused; the send's record in
``/_sim/sent`` carries the file's details (``media``).
"""

import json
import secrets
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from metasim.accounts import reachable_number
from metasim.assets import AssetFile
from metasim.errors import GraphFailure, JSONDict, invalid_param, invalid_token, wa_error
from metasim.graph_common import (
    CallNotes,
    GraphRequest,
    GraphResult,
    apply_fault,
    check_version,
    run_call,
)
from metasim.media import register_cdn_asset, register_whatsapp_media
from metasim.state import Page, SimState
from metasim.tokens import authenticate, require_scope
from metasim.world import MediaAsset, MessengerAttachment, PhoneNumber

MB = 1024 * 1024
WA_MESSAGING = "whatsapp_business_messaging"
_DOCUMENTS = (
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
_AUDIO = ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg")
# type -> (the message types that may send it, max bytes)
WHATSAPP_UPLOAD_TYPES: dict[str, tuple[tuple[str, ...], int]] = {
    "image/jpeg": (("image",), 5 * MB),
    "image/png": (("image",), 5 * MB),
    "image/webp": (("sticker",), 500 * 1024),
    "video/mp4": (("video",), 16 * MB),
    "video/3gpp": (("video",), 16 * MB),
    **dict.fromkeys(_AUDIO, (("audio",), 16 * MB)),
    **dict.fromkeys(_DOCUMENTS, (("document",), 100 * MB)),
}
MESSENGER_TYPES = ("image", "video", "audio", "file")
MESSENGER_MAX_BYTES = 25 * MB
CAPTIONLESS = ("audio", "sticker")


@dataclass(frozen=True)
class FilePart:
    """One uploaded file of a multipart body."""

    filename: str
    content_type: str
    content: bytes

    def summary(self) -> JSONDict:
        """What the call log keeps of it (never the bytes)."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.content),
        }


@dataclass(frozen=True)
class UploadForm:
    """A parsed ``multipart/form-data`` body: text fields and files by field name."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)

    def record(self) -> JSONDict:
        """The body as recorded in ``/_sim/calls``."""
        return {**self.fields, **{name: part.summary() for name, part in self.files.items()}}


def parse_form(raw: bytes, content_type: str) -> UploadForm | None:
    """Split a ``multipart/form-data`` body on its boundary; None if it is not one."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        return None
    form = UploadForm()
    for chunk in raw.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, body = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            return None
        part = Message()
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            key, _, value = line.partition(":")
            part[key.strip()] = value.strip()
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        content = body.removesuffix(b"\r\n")
        filename = part.get_filename()
        if filename is None:
            form.fields[name] = content.decode("utf-8", errors="replace")
        else:
            mime = part.get_content_type() if "content-type" in part else ""
            form.files[name] = FilePart(filename, mime, content)
    return form


def _media_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def media_info(asset: MediaAsset, media_id: str) -> JSONDict:
    """The uploaded file a send used, as ``/_sim/sent`` shows it."""
    return {
        "id": media_id,
        "mime_type": asset.mime_type,
        "filename": asset.filename,
        "file_size": asset.file_size,
        "sha256": asset.sha256,
    }


# WhatsApp ---------------------------------------------------------------------------------


async def upload_media(state: SimState, request: GraphRequest, form: UploadForm) -> GraphResult:
    """``POST /{version}/{phone-number-id}/media``, recorded as a ``media_upload`` call."""
    return await run_call(
        state, request, "media_upload", lambda notes: _upload_whatsapp(state, request, form, notes)
    )


def _upload_whatsapp(
    state: SimState, request: GraphRequest, form: UploadForm, notes: CallNotes
) -> JSONDict:
    """Store the file under a new media id of the number."""
    check_version(request)
    principal = authenticate(state, request.token)
    number = reachable_number(state, principal, request.node, "POST")
    notes.phone_number_id = number.id
    apply_fault(state, "media_upload", number.id, number.waba_id)
    require_scope(principal, WA_MESSAGING)
    if form.fields.get("messaging_product") != "whatsapp":
        details = "The parameter messaging_product is required and must be whatsapp."
        raise GraphFailure(wa_error(100, "The parameter messaging_product is required.", details))
    part = form.files.get("file")
    if part is None or not part.content:
        raise GraphFailure(wa_error(100, "The parameter file is required.", "file is required"))
    mime = (form.fields.get("type") or "").strip().lower()
    if not mime:
        raise GraphFailure(wa_error(100, "The parameter type is required.", "type is required"))
    allowed = WHATSAPP_UPLOAD_TYPES.get(mime)
    if allowed is None:
        types = ", ".join(WHATSAPP_UPLOAD_TYPES)
        details = f"Param file must be a file with one of the following types: {types}. Received file of type '{mime}'."
        raise GraphFailure(wa_error(100, "Invalid parameter", details))
    if len(part.content) > allowed[1]:
        details = f"File is too big: {len(part.content)} bytes, the maximum for {mime} is {allowed[1]} bytes."
        raise GraphFailure(wa_error(131053, "Media upload error", details))
    media = register_whatsapp_media(state, number, AssetFile(part.content, mime, part.filename))
    return {"id": media.id}


def whatsapp_media_ref(
    state: SimState, number: PhoneNumber, message_type: str, content: dict[str, Any]
) -> JSONDict | None:
    """Check a media send's ``id`` (a ``link`` is not fetched); its details for the log."""
    if message_type in CAPTIONLESS and "caption" in content:
        details = f"The parameter {message_type}['caption'] is not supported for {message_type}."
        raise GraphFailure(wa_error(100, "Invalid parameter", details))
    media_id = content.get("id")
    if media_id is None:
        return None
    media = state.media.get(str(media_id))
    if media is None or media.waba_id != number.waba_id or media.expired:
        details = f"Media id {media_id} was not found for this phone number."
        raise GraphFailure(wa_error(131053, "Media upload error", details))
    sendable = WHATSAPP_UPLOAD_TYPES.get(media.mime_type, ((), 0))[0]
    if message_type not in sendable:
        details = f"Media of type {media.mime_type} cannot be sent as {message_type}."
        raise GraphFailure(wa_error(131053, "Media upload error", details))
    return media_info(media, media.id)


# Messenger --------------------------------------------------------------------------------


async def upload_attachment(
    state: SimState, request: GraphRequest, form: UploadForm
) -> GraphResult:
    """``POST /{version}/{page-id|me}/message_attachments``, an ``attachment_upload`` call."""
    return await run_call(
        state,
        request,
        "attachment_upload",
        lambda notes: _upload_messenger(state, request, form, notes),
    )


def _upload_messenger(
    state: SimState, request: GraphRequest, form: UploadForm, notes: CallNotes
) -> JSONDict:
    """A reusable attachment of the page the token belongs to."""
    check_version(request)
    principal = authenticate(state, request.token)
    page = state.pages.get(principal.page_id or "")
    if principal.type != "PAGE" or page is None or request.node not in ("me", page.id):
        raise GraphFailure(invalid_token())
    notes.page_id = page.id
    apply_fault(state, "attachment_upload", page.id)
    require_scope(principal, "pages_messaging")
    attachment = _attachment_spec(form.fields.get("message"))
    kind = attachment.get("type")
    if kind not in MESSENGER_TYPES:
        allowed = ", ".join(MESSENGER_TYPES)
        raise GraphFailure(
            invalid_param(f"param message[attachment][type] must be one of {{{allowed}}}")
        )
    payload = attachment.get("payload")
    if not isinstance(payload, dict) or payload.get("is_reusable") is not True:
        raise GraphFailure(invalid_param("Attachments uploaded here must be is_reusable: true"))
    part = form.files.get("filedata")
    if part is None or not part.content:
        message = "Upload attachment failure: give filedata (metasim does not fetch payload.url)"
        raise GraphFailure(invalid_param(message))
    if len(part.content) > MESSENGER_MAX_BYTES:
        raise GraphFailure(invalid_param("Attachment size exceeds allowable limit (25 MB)"))
    mime = part.content_type.lower()
    if kind != "file" and not mime.startswith(f"{kind}/"):
        raise GraphFailure(invalid_param(f"A {kind} attachment needs a {kind}/* Content-Type"))
    asset = register_cdn_asset(
        state, AssetFile(part.content, mime or "application/octet-stream", part.filename)
    )
    uploaded = MessengerAttachment(
        id=_media_id(), page_id=page.id, type=str(kind), asset_id=asset.id
    )
    state.messenger_attachments[uploaded.id] = uploaded
    return {"attachment_id": uploaded.id}


def _attachment_spec(raw: str | None) -> dict[str, Any]:
    try:
        message = json.loads(raw or "")
    except ValueError:
        message = None
    attachment = message.get("attachment") if isinstance(message, dict) else None
    if not isinstance(attachment, dict):
        raise GraphFailure(invalid_param("param message must be a JSON object with an attachment"))
    return attachment


def messenger_attachment_ref(state: SimState, page: Page, message: Any) -> JSONDict | None:
    """Check a send naming ``payload.attachment_id``; the file's details for the log."""
    attachment = message.get("attachment") if isinstance(message, dict) else None
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    if not isinstance(payload, dict) or "attachment_id" not in payload:
        return None
    assert isinstance(attachment, dict)
    if message.get("text"):
        raise GraphFailure(invalid_param("A message cannot have both text and an attachment"))
    uploaded = state.messenger_attachments.get(str(payload["attachment_id"]))
    if uploaded is None or uploaded.page_id != page.id:
        raise GraphFailure(
            invalid_param("Invalid attachment_id: no reusable attachment of this page")
        )
    if attachment.get("type") != uploaded.type:
        message_text = (
            f"attachment_id {uploaded.id} is a {uploaded.type}, not a {attachment.get('type')}"
        )
        raise GraphFailure(invalid_param(message_text))
    return media_info(state.cdn[uploaded.asset_id], uploaded.id)
