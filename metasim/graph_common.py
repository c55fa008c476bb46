"""What every imitated Graph call shares: the request as seen, recording, common errors.

Each service function runs its handler through :func:`run_call`, which takes the lock,
turns a :class:`GraphFailure` into Meta's error envelope and records the call.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metasim.errors import GraphError, GraphFailure, JSONDict
from metasim.state import CallKind, FaultEndpoint, RecordedCall, SimState, utc_now

_VERSION_RE = re.compile(r"v\d+\.0")


@dataclass(frozen=True)
class GraphRequest:
    """A Graph call as the routes saw it: where it went and which token it carried."""

    method: str
    path: str
    version: str
    node: str
    token: str | None
    token_in_query: bool
    body: Any = None
    base_url: str = "http://metasim/"
    query: Mapping[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        """A parameter from the query string, else from a form or JSON object body.

        JSON lists are joined with commas, so ``["a", "b"]`` reads like ``a,b``.
        """
        if name in self.query:
            return self.query[name]
        value = self.body.get(name) if isinstance(self.body, dict) else None
        if isinstance(value, list):
            return ",".join(str(item) for item in value)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        return None

    @property
    def params(self) -> dict[str, str]:
        """The query parameters (what pagination links keep)."""
        return dict(self.query)


@dataclass(frozen=True)
class GraphResult:
    """The HTTP status and JSON body to answer."""

    status_code: int
    body: JSONDict


@dataclass
class CallNotes:
    """What a handler learned about the call, for the record (filled as it goes)."""

    page_id: str | None = None
    phone_number_id: str | None = None
    recipient_id: str | None = None
    media: JSONDict | None = None  # the uploaded file a send used


Handler = Callable[[CallNotes], JSONDict]


async def run_call(
    state: SimState, request: GraphRequest, kind: CallKind, handler: Handler
) -> GraphResult:
    """Run ``handler`` under the lock; answer its body or its Graph error; record the call."""
    async with state.lock:
        notes = CallNotes(recipient_id=recipient_of(request.body))
        try:
            result = GraphResult(200, handler(notes))
        except GraphFailure as failure:
            result = failure_result(failure.error)
        record_call(state, request, kind, result, notes)
    return result


def failure_result(error: GraphError) -> GraphResult:
    """The answer for a Graph error."""
    return GraphResult(error.http_status, error.body())


def record_call(
    state: SimState, request: GraphRequest, kind: CallKind, result: GraphResult, notes: CallNotes
) -> None:
    """Append the call to the calls log."""
    call = RecordedCall(
        id=state.next_id(),
        kind=kind,
        method=request.method,
        path=request.path,
        version=request.version,
        page_id=notes.page_id,
        recipient_id=notes.recipient_id,
        body=request.body,
        token_in_query=request.token_in_query,
        status_code=result.status_code,
        response=result.body,
        received_at=utc_now(),
        query=dict(request.query),
        phone_number_id=notes.phone_number_id,
        media=notes.media,
    )
    state.calls.append(call)


def recipient_of(body: Any) -> str | None:
    """The Messenger ``recipient.id`` or WhatsApp ``to`` of a send body, if any."""
    if not isinstance(body, dict):
        return None
    recipient = body.get("recipient")
    value = recipient.get("id") if isinstance(recipient, dict) else body.get("to")
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def check_version(request: GraphRequest) -> None:
    """Code 2500 unless the path starts with ``vN.0``."""
    if not _VERSION_RE.fullmatch(request.version):
        message = f"Unknown path components: {request.path}"
        raise GraphFailure(GraphError(message, code=2500))


def apply_fault(state: SimState, endpoint: FaultEndpoint, *target_ids: str) -> None:
    """Answer the oldest queued fault for this endpoint (and object), if there is one."""
    fault = state.take_fault(endpoint, *target_ids)
    if fault is not None:
        raise GraphFailure(fault)


def unknown_object(node: str, method: str = "GET") -> GraphError:
    """Meta's answer for an id that does not exist or that this token may not see."""
    verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(method, method.lower())
    message = (
        f"Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please "
        "read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
    )
    return GraphError(message, code=100, error_subcode=33)
