"""Which files can be sent, and how large, on each channel (meta-platform.md §4.3, §5.3).

An upload is not tied to a channel yet, so it may be any type one of the channels takes,
up to the larger of their limits; the channel's own limit is checked when the file is
sent. WhatsApp: images JPEG/PNG up to 5 MB, video MP4/3GPP and audio AAC/AMR/MP3/M4A/OGG
up to 16 MB, documents (PDF, text, Office) up to 100 MB. Messenger: up to 25 MB for any
attachment (image, video, audio, or file). Sizes are decimal megabytes, so a file Parley
accepts is never over Meta's limit however Meta counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.models import ChannelKind

MB = 1000 * 1000
WHATSAPP_IMAGE = 5 * MB
WHATSAPP_MEDIA = 16 * MB  # video and audio
WHATSAPP_DOCUMENT = 100 * MB
MESSENGER_ATTACHMENT = 25 * MB
# WhatsApp media captions (image, video, document); audio takes none.
MAX_CAPTION_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Allowance:
    message_type: str  # how the channel sends it: image, video, audio, document, file
    max_bytes: int


@dataclass(frozen=True, slots=True)
class FileType:
    mime_type: str
    label: str  # plural: "PNG images", "MP3 audio"
    whatsapp: Allowance | None
    messenger: Allowance | None

    def on(self, kind: ChannelKind) -> Allowance | None:
        return self.whatsapp if kind is ChannelKind.WHATSAPP else self.messenger

    @property
    def max_bytes(self) -> int:
        return max(a.max_bytes for a in (self.whatsapp, self.messenger) if a is not None)


def _image(mime: str, label: str, whatsapp: bool = True) -> FileType:
    wa = Allowance("image", WHATSAPP_IMAGE) if whatsapp else None
    return FileType(mime, label, wa, Allowance("image", MESSENGER_ATTACHMENT))


def _media(kind: str, mime: str, label: str) -> FileType:
    return FileType(
        mime, label, Allowance(kind, WHATSAPP_MEDIA), Allowance(kind, MESSENGER_ATTACHMENT)
    )


def _document(mime: str, label: str) -> FileType:
    return FileType(
        mime,
        label,
        Allowance("document", WHATSAPP_DOCUMENT),
        Allowance("file", MESSENGER_ATTACHMENT),
    )


FILE_TYPES: dict[str, FileType] = {
    t.mime_type: t
    for t in (
        _image("image/jpeg", "JPEG images"),
        _image("image/png", "PNG images"),
        _image("image/gif", "GIF images", whatsapp=False),
        _media("video", "video/mp4", "MP4 videos"),
        _media("video", "video/3gpp", "3GPP videos"),
        _media("audio", "audio/aac", "AAC audio"),
        _media("audio", "audio/amr", "AMR audio"),
        _media("audio", "audio/mpeg", "MP3 audio"),
        _media("audio", "audio/mp4", "M4A audio"),
        _media("audio", "audio/ogg", "OGG audio"),
        _document("application/pdf", "PDF documents"),
        _document("text/plain", "text files"),
        _document("application/msword", "Word documents"),
        _document(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word documents",
        ),
        _document("application/vnd.ms-excel", "Excel spreadsheets"),
        _document(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel spreadsheets",
        ),
        _document("application/vnd.ms-powerpoint", "PowerPoint presentations"),
        _document(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint presentations",
        ),
    )
}
# Names browsers and operating systems give some of these files.
ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "video/3gp": "video/3gpp",
    "audio/x-aac": "audio/aac",
    "audio/mp3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/opus": "audio/ogg",
}


def normalize_mime(value: str) -> str:
    """`"Image/JPG; charset=x"` → `"image/jpeg"`."""
    mime = value.split(";", 1)[0].strip().lower()
    return ALIASES.get(mime, mime)


def file_type(mime: str) -> FileType | None:
    return FILE_TYPES.get(normalize_mime(mime))


def megabytes(size: int) -> str:
    value = size / MB
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def channel_name(kind: ChannelKind) -> str:
    return "WhatsApp" if kind is ChannelKind.WHATSAPP else "Messenger"


def accepted_on(kind: ChannelKind) -> str:
    """A readable list of what a channel takes: "JPEG images, PNG images (up to 5 MB); ..."."""
    groups: dict[int, list[str]] = {}
    for item in FILE_TYPES.values():
        allowance = item.on(kind)
        if allowance is not None and item.label not in groups.get(allowance.max_bytes, []):
            groups.setdefault(allowance.max_bytes, []).append(item.label)
    return "; ".join(
        f"{', '.join(labels)} (up to {megabytes(size)})" for size, labels in groups.items()
    )


def all_accepted() -> str:
    labels = dict.fromkeys(f"{t.label} ({t.mime_type})" for t in FILE_TYPES.values())
    return ", ".join(labels)
