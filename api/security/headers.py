"""Security headers on every response the API sends, errors included.

JSON answers get a Content-Security-Policy that allows nothing at all: the API never
serves a document a browser should render. The few HTML pages it serves (the data-deletion
status page, the legal pages) get a policy that allows only their own inline styles; a
response may also set its own policy, which is then kept. Swagger UI (/api/docs, not in
production unless SECURITY_API_DOCS=true) loads its script and styles from a CDN and gets a
policy that allows exactly that.

Strict-Transport-Security goes out when the request came over https (the scheme uvicorn
reports; behind a TLS proxy run it with `--proxy-headers`) or when SECURITY_HSTS=true.

The SPA's own headers live in `frontend/security-headers.mjs` (the static server's).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.config import SecuritySettings

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The HTML pages the API serves: no scripts, no images, only their own inline styles.
HTML_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
DOCS_PATH = "/api/docs"
SWAGGER_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'none'; script-src {SWAGGER_CDN} 'unsafe-inline'; "
    f"style-src {SWAGGER_CDN} 'unsafe-inline'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

STATIC_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
)


class SecurityHeadersMiddleware:
    """A pure ASGI middleware: adds the headers to `http.response.start` without buffering
    the body (streamed responses stay streamed). Headers a response already set win."""

    def __init__(self, app: ASGIApp, settings: SecuritySettings) -> None:
        self.app = app
        self.hsts = f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"
        self.always_hsts = settings.hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        docs = scope.get("path") == DOCS_PATH

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in STATIC_HEADERS:
                    headers.setdefault(name, value)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = self._csp(headers, docs)
                headers.setdefault("Cache-Control", "no-store")
                if https or self.always_hsts:
                    headers.setdefault("Strict-Transport-Security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _csp(headers: MutableHeaders, docs: bool) -> str:
        if docs:
            return DOCS_CSP
        if headers.get("content-type", "").startswith("text/html"):
            return HTML_PAGE_CSP
        return JSON_CSP
