"""Routes imitating the Graph API: the Messenger Send API and node reads.

Bodies are parsed by hand rather than by pydantic so that every request, however
malformed, gets a Meta-shaped answer and is recorded.
"""

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from metasim import graph_service
from metasim.config import SimSettings
from metasim.deps import SettingsDep, StateDep
from metasim.graph_service import GraphRequest, GraphResult

router = APIRouter(tags=["graph"])
logger = logging.getLogger("metasim")


@router.post("/{version}/me/messages")
async def send_as_me(
    version: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """Send API addressed to the page the token belongs to."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, "me", with_body=True)
    return _respond(await graph_service.send_message(state, graph_request))


@router.post("/{version}/{page_id}/messages")
async def send_as_page(
    version: str, page_id: str, request: Request, state: StateDep, settings: SettingsDep
) -> JSONResponse:
    """Send API addressed to an explicit page id (the token must be that page's)."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, page_id, with_body=True)
    return _respond(await graph_service.send_message(state, graph_request))


@router.get("/{version}/{node_id}")
async def read_node(
    version: str,
    node_id: str,
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    fields: str | None = None,
) -> JSONResponse:
    """A customer's profile by PSID (page token), or the page itself (``me``/page id)."""
    _warn_on_version_drift(version, settings)
    graph_request = await _graph_request(request, version, node_id, with_body=False)
    return _respond(await graph_service.read_node(state, graph_request, fields))


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
    token, token_in_query = _access_token(request)
    return GraphRequest(
        method=request.method,
        path=request.url.path,
        version=version,
        node=node,
        token=token,
        token_in_query=token_in_query,
        body=_parse_body(await request.body()) if with_body else None,
        base_url=str(request.base_url),
    )


def _access_token(request: Request) -> tuple[str | None, bool]:
    """The token (header first, as Meta allows both) and whether one came in the query."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    header_token = value.strip() if scheme.lower() in ("bearer", "oauth") else ""
    query_token = request.query_params.get("access_token")
    return header_token or query_token or None, query_token is not None


def _parse_body(raw: bytes) -> Any:
    """The JSON body, or the raw text when it is not JSON (recorded as sent)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def _respond(result: GraphResult) -> JSONResponse:
    return JSONResponse(result.body, status_code=result.status_code)
