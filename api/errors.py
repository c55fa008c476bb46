"""One error base that carries its HTTP status, and the handlers that render every error
as `{"error": "<code>", "detail": "<human text>"}`. No stack trace reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

logger = logging.getLogger(__name__)


class AppError(Exception):
    """A failure the client can understand. `keep_changes` commits the unit of work even
    though the request fails (e.g. revoking a token family when reuse is detected)."""

    status_code = 400
    code = "bad_request"
    keep_changes = False

    def __init__(
        self,
        detail: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code or type(self).status_code
        self.code = code or type(self).code
        self.headers = headers
        # More fields for the body beside error/detail (e.g. `fields`, `preview`).
        self.extra = extra or {}


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class ErrorOut(BaseModel):
    """The body of every error response; some errors add fields (`fields`, `permission`...)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="A stable code for programs, e.g. `not_found`.")
    detail: str = Field(description="What went wrong, in words for people.")


# Declared on every /api route (api.main), so the OpenAPI document says what errors look like.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "The request cannot be carried out as asked"),
        (401, "Not signed in, or the credential is invalid, expired or revoked"),
        (403, "The caller's role does not allow this"),
        (404, "Not found (also another tenant's resource)"),
        (409, "Conflicts with the current state"),
        (413, "The request body is too large"),
        (422, "The request is invalid (`fields` says where)"),
        (429, "Too many requests (see `Retry-After`)"),
        (502, "Meta refused or could not be reached"),
        (503, "A dependency is unavailable; try again shortly"),
    )
}


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail, **extra}


def _describe_validation_error(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query"))
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(
        error_body(exc.code, exc.detail, **exc.extra), exc.status_code, headers=exc.headers
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    messages = [_describe_validation_error(error) for error in errors]
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": m}
        for e, m in zip(errors, messages, strict=True)
    ]
    return JSONResponse(
        error_body("validation_error", "; ".join(messages) or "invalid request", fields=fields),
        422,
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return JSONResponse(
        error_body("database_unavailable", "The database is unavailable; try again shortly."),
        503,
        headers={"Retry-After": "5"},
    )


# asyncpg errors that mean "the database went away", whatever SQLAlchemy wraps them in.
CONNECTION_ERRORS = frozenset(
    {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "InterfaceError",
    }
)


# PostgreSQL refuses NUL characters in text and jsonb values: input it cannot store, which
# the client sent, so a 422 rather than a 500.
UNSTORABLE_TEXT_ERRORS = frozenset(
    {"CharacterNotInRepertoireError", "UntranslatableCharacterError"}
)


async def _dbapi_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    original = type(getattr(exc.orig, "__cause__", None) or exc.orig).__name__
    if original in UNSTORABLE_TEXT_ERRORS:
        detail = "Text must not contain NUL (\\u0000) characters."
        return JSONResponse(error_body("invalid_text", detail), 422)
    if (
        exc.connection_invalidated
        or original in CONNECTION_ERRORS
        or "connection" in str(exc.orig).lower()
    ):
        return await _database_unavailable(request, exc)
    return await _unexpected_error(request, exc)


async def _client_disconnected(request: Request, _: Exception) -> Response:
    """The client hung up before its body arrived (a timed-out sender): nobody reads the
    answer, and it is not our error."""
    logger.info(
        "client went away on %s %s before sending its body", request.method, request.url.path
    )
    return Response(status_code=400)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "Something went wrong on our side."), 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for connection_error in (OSError, TimeoutError, OperationalError, InterfaceError):
        app.add_exception_handler(connection_error, _database_unavailable)
    app.add_exception_handler(DBAPIError, _dbapi_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(Exception, _unexpected_error)
