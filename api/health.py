from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.db import get_engine
from api.redis import get_redis

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def _check_postgres() -> None:
    async with get_engine().connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _check_redis() -> None:
    await get_redis().ping()


async def _status(check: str) -> str:
    probe = {"postgres": _check_postgres, "redis": _check_redis}[check]
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        logger.warning("readiness: %s unavailable (%s)", check, type(exc).__name__)
        return "unavailable"
    return "ok"


@router.get("/readyz", responses={503: {"description": "A dependency is unavailable"}})
async def readyz() -> JSONResponse:
    """Readiness: PostgreSQL and Redis answer."""
    checks = dict(
        zip(
            ("postgres", "redis"),
            await asyncio.gather(_status("postgres"), _status("redis")),
            strict=True,
        )
    )
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    if not ready:
        body = {"error": "not_ready", "detail": "A dependency is unavailable.", **body}
    return JSONResponse(body, status_code=200 if ready else 503)
