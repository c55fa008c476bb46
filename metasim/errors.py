"""The two error families: Graph-shaped errors and admin (control API) errors."""

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class GraphError:
    """One Graph API error, rendered exactly like Meta's ``{"error": {...}}`` body."""

    message: str
    code: int
    error_subcode: int | None = None
    type: str = "OAuthException"
    http_status: int = 400
    is_transient: bool | None = None
    error_data: JSONDict | None = None  # WhatsApp puts ``details`` here

    def body(self) -> JSONDict:
        """The response body, with a fresh ``fbtrace_id`` and no null optional fields."""
        error: JSONDict = {"message": self.message, "type": self.type, "code": self.code}
        if self.error_subcode is not None:
            error["error_subcode"] = self.error_subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.error_data is not None:
            error["error_data"] = self.error_data
        error["fbtrace_id"] = new_fbtrace_id()
        return {"error": error}


def new_fbtrace_id() -> str:
    """A random support id shaped like Meta's (``A`` + url-safe characters)."""
    return "A" + secrets.token_urlsafe(16)[:22]


def wa_error(code: int, message: str, details: str) -> GraphError:
    """A WhatsApp error: ``(#code) message`` with ``error_data.details``."""
    return GraphError(
        f"(#{code}) {message}",
        code=code,
        error_data={"messaging_product": "whatsapp", "details": details},
    )


def invalid_token() -> GraphError:
    """The error Meta answers for a token it cannot use for this page."""
    return GraphError("Invalid OAuth access token - Cannot parse access token", code=190)


def missing_token() -> GraphError:
    """The error Meta answers when no access token was sent at all."""
    return GraphError("An access token is required to request this resource.", code=104)


def invalid_param(message: str, error_subcode: int | None = None) -> GraphError:
    """A ``(#100)`` invalid-parameter error."""
    return GraphError(f"(#100) {message}", code=100, error_subcode=error_subcode)


class AdminError(Exception):
    """An expected failure of a ``/_sim`` endpoint, rendered as ``{"error", "detail"}``."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail


def admin_error_body(code: str, detail: str) -> JSONDict:
    """The body shape shared by every admin error."""
    return {"error": code, "detail": detail}


async def _admin_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdminError)
    return JSONResponse(admin_error_body(exc.code, exc.detail), status_code=exc.status_code)


async def _validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = "; ".join(_describe_validation_error(err) for err in exc.errors())
    return JSONResponse(admin_error_body("validation_error", detail), status_code=422)


def _describe_validation_error(err: Any) -> str:
    location = ".".join(str(part) for part in err.get("loc", ()) if part != "body")
    return f"{location}: {err.get('msg', 'invalid')}" if location else str(err.get("msg"))


async def _http_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
    body = admin_error_body(code, str(exc.detail))
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render admin errors, payload validation errors and HTTP errors as ``{error, detail}``."""
    app.add_exception_handler(AdminError, _admin_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)


class GraphFailure(Exception):
    """Raised inside Graph request handling to answer ``error`` instead of a success."""

    def __init__(self, error: GraphError) -> None:
        super().__init__(error.message)
        self.error = error
