"""The sample MP4 is a playable movie: a video track and the frames it points at."""

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from metasim import assets


def boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """``(type, payload)`` of each ISO-BMFF box laid end to end in ``data``."""
    at = 0
    while at < len(data):
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:  # a 64-bit size follows the type
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:  # runs to the end of the file
            size = len(data) - at
        assert header <= size <= len(data) - at, f"{kind!r} box at {at} overruns"
        yield kind, data[at + header : at + size]
        at += size


def only(payload: bytes, kind: bytes) -> bytes:
    found = [body for found_kind, body in boxes(payload) if found_kind == kind]
    assert len(found) == 1, f"expected one {kind!r} box, found {len(found)}"
    return found[0]


@dataclass(frozen=True)
class VideoTrack:
    codec: bytes
    width: int
    height: int
    seconds: float
    frames: int


def video_track(data: bytes) -> VideoTrack:
    """The movie's video track; fails unless ``mdat`` holds every frame it lists."""
    top = list(boxes(data))
    assert top[0][0] == b"ftyp"
    assert top[0][1][:4] in {b"isom", b"mp41", b"mp42"}
    moov, mdat = only(data, b"moov"), only(data, b"mdat")
    traks = [trak for kind, trak in boxes(moov) if kind == b"trak"]
    # hdlr: version/flags, pre_defined, then the handler type
    handlers = [only(only(trak, b"mdia"), b"hdlr")[8:12] for trak in traks]
    assert b"vide" in handlers, f"no video track (handlers: {handlers})"
    trak = traks[handlers.index(b"vide")]

    width, height = struct.unpack(">II", only(trak, b"tkhd")[-8:])  # 16.16 fixed point
    mdhd = only(only(trak, b"mdia"), b"mdhd")
    if mdhd[0] == 1:
        timescale, duration = struct.unpack_from(">IQ", mdhd, 20)
    else:
        timescale, duration = struct.unpack_from(">II", mdhd, 12)
    stbl = only(only(only(trak, b"mdia"), b"minf"), b"stbl")
    codec = only(stbl, b"stsd")[12:16]  # version/flags, entry count, first entry's size
    sample_size, count = struct.unpack_from(">II", only(stbl, b"stsz"), 4)
    sizes = [sample_size] * count
    if sample_size == 0:
        sizes = list(struct.unpack_from(f">{count}I", only(stbl, b"stsz"), 12))
    assert count > 0
    assert 0 < sum(sizes) <= len(mdat), "the frames are not in mdat"
    return VideoTrack(codec, width >> 16, height >> 16, duration / timescale, count)


def test_the_sample_video_is_a_short_playable_h264_movie() -> None:
    video = assets.MP4_VIDEO

    track = video_track(video.content)

    assert (video.mime_type, video.filename) == ("video/mp4", "video.mp4")
    assert track.codec == b"avc1"  # H.264, which Chromium, Firefox and Safari all play
    assert (track.width, track.height) == (64, 64)
    assert track.seconds == pytest.approx(1.0)
    assert track.frames == 10
    assert len(video.content) < 20_000


def test_a_header_only_mp4_is_refused() -> None:
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    mvhd = box(b"mvhd", struct.pack(">IIIII", 0, 0, 0, 1000, 1000) + bytes(80))
    header_only = box(b"ftyp", b"isom\x00\x00\x02\x00isommp41") + box(b"moov", mvhd)

    with pytest.raises(AssertionError, match="no video track"):
        video_track(header_only + box(b"mdat", b""))
