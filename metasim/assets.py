"""Small, real media files served by the simulated CDNs (built once, at import).

Each is a genuine file of its type, so a receiver can sniff, thumbnail or hash it:

* ``png``: a 16x16 RGB PNG (one colour per use, so images and stickers differ);
* ``webp``: a 96x96 WebP test pattern (WhatsApp stickers; ``samples/sticker.webp``, 1.7 KB);
* ``mp3``: ten silent MPEG-1 Layer III frames (about a quarter of a second);
* ``ogg``: an Ogg Opus stream of five silent 20 ms packets (voice notes);
* ``mp4``: one second of H.264 video, 64x64 at 10 fps (``samples/video.mp4``, 3.7 KB),
  so a browser's ``<video>`` can play it;
* ``pdf``: a one-page PDF with a correct cross-reference table.

All but the MP4 and the WebP are built here, in Python; those two are files next to this
module, made once with ffmpeg (the commands are in the comment above ``SAMPLES``);
nothing needs ffmpeg to run.
"""

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

# Files too fiddly to build by hand. ``video.mp4`` was made (deterministically) with
#   ffmpeg -f lavfi -i testsrc2=size=64x64:rate=10:duration=1 -c:v libx264
#     -profile:v baseline -level 1.0 -pix_fmt yuv420p -crf 30 -g 10
#     -bsf:v filter_units=remove_types=6 -map_metadata -1 -fflags +bitexact
#     -flags:v +bitexact -movflags +faststart -an video.mp4
#   ffmpeg -f lavfi -i testsrc2=size=96x96:rate=1:duration=1 -frames:v 1 -c:v libwebp
#     -lossless 0 -q:v 60 -map_metadata -1 -fflags +bitexact sticker.webp
# (constrained baseline, one keyframe, no SEI; moov before mdat for progressive playback).
SAMPLES = Path(__file__).parent / "samples"


@dataclass(frozen=True)
class AssetFile:
    """Bytes with their MIME type and a file name a download can suggest."""

    content: bytes
    mime_type: str
    filename: str


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def build_png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A ``size`` x ``size`` PNG filled with one colour."""
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    row = b"\x00" + bytes(rgb) * size  # filter byte 0, then the pixels
    pixels = zlib.compress(row * size, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def build_mp3(frames: int = 10) -> bytes:
    """Silent MPEG-1 Layer III frames: 128 kbit/s, 44.1 kHz, mono, 417 bytes each."""
    frame = b"\xff\xfb\x90\xc4" + bytes(417 - 4)
    return frame * frames


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packets: list[bytes], *, flags: int, granule: int, sequence: int) -> bytes:
    lacing = b""
    for packet in packets:  # every packet here is shorter than 255 bytes
        lacing += bytes([len(packet)])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, 0x5151, sequence, 0, len(lacing))
    page = header + lacing + b"".join(packets)
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def build_ogg_opus(packets: int = 5) -> bytes:
    """An Ogg Opus file (mono, 48 kHz) holding ``packets`` silent 20 ms frames."""
    pre_skip = 312
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 48000, 0, 0)
    vendor = b"metasim"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    silence = [b"\xf8\xff\xfe"] * packets
    return (
        _ogg_page([head], flags=0x02, granule=0, sequence=0)
        + _ogg_page([tags], flags=0x00, granule=0, sequence=1)
        + _ogg_page(silence, flags=0x04, granule=pre_skip + 960 * packets, sequence=2)
    )


def build_pdf(text: str = "metasim sample document") -> bytes:
    """A one-page PDF showing ``text`` (ASCII), with exact xref offsets."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return out


PNG_IMAGE = AssetFile(build_png((52, 120, 246)), "image/png", "photo.png")
PNG_STICKER = AssetFile(build_png((255, 196, 0)), "image/png", "sticker.png")
WEBP_STICKER = AssetFile((SAMPLES / "sticker.webp").read_bytes(), "image/webp", "sticker.webp")
MP3_AUDIO = AssetFile(build_mp3(), "audio/mpeg", "audio.mp3")
OGG_VOICE = AssetFile(build_ogg_opus(), "audio/ogg; codecs=opus", "voice.ogg")
MP4_VIDEO = AssetFile((SAMPLES / "video.mp4").read_bytes(), "video/mp4", "video.mp4")
PDF_FILE = AssetFile(build_pdf(), "application/pdf", "document.pdf")
