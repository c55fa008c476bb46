"""Is a string one emoji? The shapes of Unicode's emoji sequences (UTS #51), with the
standard library only: a pictograph (optionally with a presentation selector, a skin tone
and tags), a flag (two regional indicators), or a keycap; several joined by ZWJ make one
emoji (👩‍💻). It is deliberately a little generous with pictographs (any symbol of
category So): Meta refuses what it does not know, and the reaction is then taken back."""

from __future__ import annotations

import unicodedata

ZWJ = "\u200d"
PRESENTATION = frozenset({"\ufe0f", "\ufe0e"})
KEYCAP = "\u20e3"
KEYCAP_BASES = frozenset("#*0123456789")
TAG_END = 0xE007F
# Emoji whose code points are not "other symbols" (So).
NOT_SO = frozenset("\u203c\u2049\u2194\u2934\u2935\u3030\u303d\u2139\u25fb\u25fc\u25fd\u25fe")


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _skin_tone(char: str) -> bool:
    return 0x1F3FB <= ord(char) <= 0x1F3FF


def _tag(char: str) -> bool:
    return 0xE0020 <= ord(char) <= 0xE007E


def _pictograph(char: str) -> bool:
    if _regional(char) or _skin_tone(char):
        return False
    return char in NOT_SO or unicodedata.category(char) == "So"


def _element(text: str, i: int) -> int | None:
    """Where the emoji element starting at `i` ends, or None if none starts there."""
    n, char = len(text), text[i]
    if _regional(char):
        return i + 2 if i + 1 < n and _regional(text[i + 1]) else None
    if char in KEYCAP_BASES:
        i += 1
        if i < n and text[i] == "\ufe0f":
            i += 1
        return i + 1 if i < n and text[i] == KEYCAP else None
    if not _pictograph(char):
        return None
    i += 1
    if i < n and text[i] in PRESENTATION:
        i += 1
    if i < n and _skin_tone(text[i]):
        i += 1
    if i < n and _tag(text[i]):  # a subdivision flag: 🏴 + tag letters + cancel tag
        while i < n and _tag(text[i]):
            i += 1
        if i >= n or ord(text[i]) != TAG_END:
            return None
        i += 1
    return i


def is_single_emoji(text: str) -> bool:
    """True for exactly one emoji (which may be a ZWJ sequence of several)."""
    if not text:
        return False
    i = 0
    while True:
        end = _element(text, i)
        if end is None:
            return False
        if end == len(text):
            return True
        if text[end] != ZWJ or end + 1 >= len(text):
            return False
        i = end + 1
