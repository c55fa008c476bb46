"""Graph conventions shared by list edges: ``fields`` selection and cursor pagination."""

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlencode

from metasim.errors import GraphFailure, JSONDict, invalid_param

DEFAULT_LIMIT = 25
MAX_LIMIT = 100

T = TypeVar("T")

_FIELD_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)((?:\.[a-z_]+\([^()]*\))*)\s*")
_MODIFIER_RE = re.compile(r"\.([a-z_]+)\(([^()]*)\)")


@dataclass(frozen=True)
class FieldSpec:
    """One requested field, with its ``.limit(n)`` and nested ``{...}`` fields if any."""

    name: str
    limit: int | None = None
    subfields: "tuple[FieldSpec, ...] | None" = None


def parse_fields(raw: str) -> tuple[FieldSpec, ...]:
    """Parse ``id,name,messages.limit(5){id,from}`` into field specs."""
    specs, rest = _parse_list(raw, 0)
    if rest != len(raw):
        raise GraphFailure(invalid_param(f"Syntax error in fields: {raw!r}"))
    return specs


def _parse_list(raw: str, pos: int) -> tuple[tuple[FieldSpec, ...], int]:
    specs: list[FieldSpec] = []
    while pos < len(raw) and raw[pos] != "}":
        match = _FIELD_RE.match(raw, pos)
        if match is None:
            raise GraphFailure(invalid_param(f"Syntax error in fields: {raw!r}"))
        name, modifiers = match.group(1), match.group(2)
        pos = match.end()
        subfields: tuple[FieldSpec, ...] | None = None
        if pos < len(raw) and raw[pos] == "{":
            subfields, pos = _parse_list(raw, pos + 1)
            if pos >= len(raw) or raw[pos] != "}":
                raise GraphFailure(invalid_param(f"Syntax error in fields: {raw!r}"))
            pos += 1
        specs.append(FieldSpec(name, _limit_modifier(modifiers), subfields))
        while pos < len(raw) and raw[pos] in ", ":
            pos += 1
    return tuple(specs), pos


def _limit_modifier(modifiers: str) -> int | None:
    for name, value in _MODIFIER_RE.findall(modifiers):
        if name == "limit":
            return _positive_int(value, "limit")
    return None


def requested_fields(
    raw: str | None, known: Sequence[str], default: Sequence[str], node_type: str
) -> tuple[FieldSpec, ...]:
    """The fields to answer: ``raw`` checked against ``known``, or ``default``."""
    if not raw or not raw.strip():
        return tuple(FieldSpec(name) for name in default)
    specs = parse_fields(raw)
    for spec in specs:
        if spec.name not in known:
            message = f"Tried accessing nonexisting field ({spec.name}) on node type ({node_type})"
            raise GraphFailure(invalid_param(message))
    return specs


def format_fields(specs: Sequence[FieldSpec]) -> str:
    """The ``fields`` parameter that asks for ``specs`` (inverse of :func:`parse_fields`)."""
    parts = []
    for spec in specs:
        part = spec.name
        if spec.limit is not None:
            part += f".limit({spec.limit})"
        if spec.subfields is not None:
            part += "{" + format_fields(spec.subfields) + "}"
        parts.append(part)
    return ",".join(parts)


def select(values: Mapping[str, object], specs: Sequence[FieldSpec]) -> JSONDict:
    """Keep the requested fields (``id`` always), in the order requested."""
    selected: JSONDict = {spec.name: values[spec.name] for spec in specs if spec.name in values}
    if "id" in values:
        selected.setdefault("id", values["id"])
    return selected


def graph_time(at: datetime) -> str:
    """A datetime as Graph writes it: ``2026-11-21T23:35:00+0000``."""
    return at.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise GraphFailure(invalid_param(f"param {name} must be a positive integer"))
    return number


def encode_cursor(item_id: str) -> str:
    """An opaque cursor naming one item (base64url, like Meta's)."""
    return base64.urlsafe_b64encode(item_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The item id inside a cursor; code 100 when it is not one of ours."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphFailure(invalid_param("The cursor is not valid")) from None


@dataclass(frozen=True)
class PageLink:
    """Where the next/previous page links point: absolute path and the query to keep."""

    base_url: str
    path: str
    params: Mapping[str, str]

    def url(self, **changes: str) -> str:
        """The link with ``after``/``before`` replaced by ``changes``."""
        query = {k: v for k, v in self.params.items() if k not in ("after", "before")}
        query.update(changes)
        return f"{self.base_url.rstrip('/')}{self.path}?{urlencode(query)}"


def paginate(
    items: Sequence[T],
    item_id: Callable[[T], str],
    params: Mapping[str, str],
    link: PageLink,
    limit: int | None = None,
) -> tuple[list[T], JSONDict]:
    """One page of ``items`` per ``limit``/``after``/``before``, with Graph's ``paging``."""
    size = min(limit or _limit_param(params), MAX_LIMIT)
    ids = [item_id(item) for item in items]
    start, end = 0, min(size, len(items))
    if params.get("after"):
        start = _cursor_index(ids, params["after"]) + 1
        end = min(start + size, len(items))
    elif params.get("before"):
        end = _cursor_index(ids, params["before"])
        start = max(end - size, 0)
    chunk = list(items[start:end])
    paging: JSONDict = {}
    if chunk:
        first, last = encode_cursor(ids[start]), encode_cursor(ids[end - 1])
        paging["cursors"] = {"before": first, "after": last}
        if end < len(items):
            paging["next"] = link.url(limit=str(size), after=last)
        if start > 0:
            paging["previous"] = link.url(limit=str(size), before=first)
    return chunk, paging


def _limit_param(params: Mapping[str, str]) -> int:
    raw = params.get("limit")
    return DEFAULT_LIMIT if raw is None else _positive_int(raw, "limit")


def _cursor_index(ids: list[str], cursor: str) -> int:
    item_id = decode_cursor(cursor)
    if item_id not in ids:
        raise GraphFailure(invalid_param("The cursor is not valid"))
    return ids.index(item_id)


def listing(data: list[JSONDict], paging: JSONDict) -> JSONDict:
    """A Graph list answer: ``{"data": [...], "paging": {...}}`` (paging when non-empty)."""
    return {"data": data, "paging": paging} if paging else {"data": data}
