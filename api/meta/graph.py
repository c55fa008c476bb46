"""The one httpx client that talks to Meta's Graph API. Tokens travel only in the
Authorization header, never in a URL."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import IO, Any

import httpx
from opentelemetry.trace import Span, SpanKind

from api.config import Settings, get_settings
from api.meta.errors import GraphError
from api.observability import logs, metrics, tracing

logger = logging.getLogger(__name__)

META_TRACE_HEADER = "x-fb-trace-id"

# A multipart file part: (filename, the open file, its content type).
FilePart = tuple[str, IO[bytes], str]


class RedactQueryStrings(logging.Filter):
    """Drop the query string of any URL in a log record's arguments (httpx logs each
    request's URL at INFO; a query string may carry a secret)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        record.msg = _without_query(record.msg)
        return True


def _without_query(value: Any) -> Any:
    if isinstance(value, httpx.URL):
        return value.copy_with(query=None)
    if isinstance(value, str) and "://" in value and "?" in value:
        return value.split("?", 1)[0] + "?[redacted]"
    return value


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(RedactQueryStrings())


class GraphClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = settings.graph_url
        self._http = http or httpx.AsyncClient(timeout=settings.meta.graph_timeout_seconds)

    @metrics.graph_requests
    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        files: dict[str, FilePart] | None = None,
        timeout_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Call `{graph}/{version}/{path}`; raise `GraphError` for any failure.

        The token goes in the Authorization header; secrets that Meta takes as parameters
        go in a form body (`form`) where the endpoint accepts one. The one exception,
        debug_token's `input_token`, is a query parameter by Meta's design, so URL query
        strings are stripped from every HTTP client log record (`RedactQueryStrings`).
        With `files`, the body is multipart (`form` fields beside the files); `timeout_seconds`
        replaces the client's timeout for a call that carries a large file."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        extra: dict[str, Any] = {"files": files} if files else {}
        if timeout_seconds is not None:
            extra["timeout"] = timeout_seconds
        endpoint = metrics.graph_endpoint(path)
        with tracing.span(
            f"graph {method} {endpoint}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "parley.graph.endpoint": endpoint},
        ) as span:
            try:
                response = await self._http.request(
                    method, url, json=json, params=params, data=form, headers=headers, **extra
                )
            except httpx.HTTPError as exc:
                raise GraphError(
                    None, None, None, f"Could not reach Meta: {type(exc).__name__}"
                ) from exc
            span.set_attribute("http.response.status_code", response.status_code)
            _note_meta_trace_id(span, response.headers.get(META_TRACE_HEADER))
            body = _json_or_none(response)
            if response.is_error:
                error = GraphError.from_response(response.status_code, body)
                span.set_attribute("meta.error_code", error.error_code)
                _note_meta_trace_id(span, error.fbtrace_id)
                logger.info(
                    "graph %s %s failed: %s (fbtrace %s)",
                    method,
                    path,
                    error.error_code,
                    error.fbtrace_id or response.headers.get(META_TRACE_HEADER),
                )
                raise error
            if not isinstance(body, dict):
                raise GraphError(
                    response.status_code, None, None, "Meta answered with a non-JSON body"
                )
            return body

    @metrics.graph_downloads
    async def download(
        self, url: str, *, token: str | None, max_bytes: int
    ) -> tuple[bytes, str | None]:
        """Fetch a media file (a CDN URL, or WhatsApp's short-lived media URL with the token).
        Returns the bytes and the Content-Type; `GraphError` on failure or when too large."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self._http.stream(
                "GET", url, headers=headers, follow_redirects=True
            ) as response:
                if response.is_error:
                    raise GraphError(
                        response.status_code,
                        None,
                        None,
                        f"Media download answered HTTP {response.status_code}",
                    )
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise GraphError(413, None, None, f"Media is larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type")
        except httpx.HTTPError as exc:
            raise GraphError(
                None, None, None, f"Could not download media: {type(exc).__name__}"
            ) from exc

    async def aclose(self) -> None:
        await self._http.aclose()


def _note_meta_trace_id(span: Span, trace_id: object) -> None:
    """Meta's id for the call (`x-fb-trace-id`, or `fbtrace_id` in an error body), which
    Meta's support asks for: on the span, and on the log lines that follow."""
    if isinstance(trace_id, str) and trace_id:
        span.set_attribute("meta.trace_id", trace_id[:64])
        logs.bind(meta_trace_id=trace_id[:64])


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@lru_cache
def get_graph_client() -> GraphClient:
    return GraphClient(get_settings())
