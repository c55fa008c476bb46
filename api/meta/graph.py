"""The one httpx client that talks to Meta's Graph API. Tokens travel only in the
Authorization header, never in a URL."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import httpx

from api.config import Settings, get_settings
from api.meta.errors import GraphError

logger = logging.getLogger(__name__)


class GraphClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = settings.graph_url
        self._http = http or httpx.AsyncClient(timeout=settings.meta.graph_timeout_seconds)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Call `{graph}/{version}/{path}`; raise `GraphError` for any failure.

        The token goes in the Authorization header. Parameters are never logged (some of
        Meta's endpoints take secrets as parameters: OAuth code exchange, debug_token)."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._http.request(
                method, url, json=json, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise GraphError(
                None, None, None, f"Could not reach Meta: {type(exc).__name__}"
            ) from exc
        body = _json_or_none(response)
        if response.is_error:
            error = GraphError.from_response(response.status_code, body)
            logger.info(
                "graph %s %s failed: %s (fbtrace %s)",
                method,
                path,
                error.error_code,
                error.fbtrace_id,
            )
            raise error
        if not isinstance(body, dict):
            raise GraphError(response.status_code, None, None, "Meta answered with a non-JSON body")
        return body

    async def aclose(self) -> None:
        await self._http.aclose()


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@lru_cache
def get_graph_client() -> GraphClient:
    return GraphClient(get_settings())
