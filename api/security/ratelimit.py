"""Request rate limits: GCRA buckets in Redis, shared by every api process.

Each bucket is one key holding `tat`, the theoretical arrival time of the next request
(ms, on Redis's clock). A request is allowed when `tat - now` stays within the burst
(`interval * (burst - 1)`); allowing it moves `tat` on by one interval. A refused request
learns exactly when the next one will be allowed, which becomes `Retry-After`.

Availability beats throttling: when Redis cannot be reached the request goes through and
a warning is logged (at most every few seconds, so an outage does not flood the logs).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.config import SecuritySettings, get_settings
from api.context import current_request
from api.errors import AppError
from api.redis import get_redis

logger = logging.getLogger(__name__)

PREFIX = "parley:ratelimit"
WARN_EVERY_SECONDS = 10.0

# KEYS[1] the bucket. ARGV[1] interval (ms), ARGV[2] burst.
# Returns 0 (allowed, and counted) or the ms until a request will be allowed.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - interval * (tonumber(ARGV[2]) - 1) - now
if wait > 0 then return wait end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil(new_tat - now))
return 0
"""


class LimitName(StrEnum):
    API = "api"
    LOGIN_IP = "login_ip"
    LOGIN_EMAIL = "login_email"
    REGISTER_IP = "register_ip"
    REFRESH_IP = "refresh_ip"
    INVITATION_IP = "invitation_ip"


@dataclass(frozen=True, slots=True)
class Limit:
    name: LimitName
    interval_ms: int  # one request per interval, sustained
    burst: int

    @classmethod
    def per_minute(cls, name: LimitName, rate: int, burst: int) -> Limit:
        return cls(name, math.ceil(60_000 / rate), burst)

    @classmethod
    def per_hour(cls, name: LimitName, rate: int, burst: int) -> Limit:
        return cls(name, math.ceil(3_600_000 / rate), burst)


def limit_for(settings: SecuritySettings, name: LimitName) -> Limit:
    s = settings
    match name:
        case LimitName.API:
            return Limit.per_minute(name, s.api_per_minute, s.api_burst)
        case LimitName.LOGIN_IP:
            return Limit.per_minute(name, s.login_ip_per_minute, s.login_ip_burst)
        case LimitName.LOGIN_EMAIL:
            return Limit.per_minute(name, s.login_email_per_minute, s.login_email_burst)
        case LimitName.REGISTER_IP:
            return Limit.per_hour(name, s.register_ip_per_hour, s.register_ip_burst)
        case LimitName.REFRESH_IP:
            return Limit.per_minute(name, s.refresh_ip_per_minute, s.refresh_ip_burst)
        case LimitName.INVITATION_IP:
            return Limit.per_minute(name, s.invitation_ip_per_minute, s.invitation_ip_burst)


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int, detail: str | None = None, *, code: str | None = None):
        super().__init__(
            detail or f"Too many requests; try again in {retry_after} s.",
            code=code,
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def retry_after_seconds(wait_ms: float) -> int:
    """`Retry-After` is whole seconds: round up, and never 0 (that would invite a retry
    that is refused again)."""
    return max(1, math.ceil(wait_ms / 1000))


def hashed(value: str) -> str:
    """Identities that are personal data (emails) are keyed by a hash, not kept in clear."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


_last_warning = 0.0


def warn_redis_down(what: str, exc: BaseException) -> None:
    """Log that a check was skipped (at most every few seconds). An unreachable Redis is a
    warning; Redis answering with an error (a script bug, out of memory) is an error."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning < WARN_EVERY_SECONDS:
        return
    _last_warning = now
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError):
        logger.warning("%s skipped, Redis is unavailable: %s", what, type(exc).__name__)
    else:
        logger.error("%s skipped, Redis answered an error: %s: %s", what, type(exc).__name__, exc)


REDIS_ERRORS = (RedisError, OSError, TimeoutError)


class RateLimiter:
    def __init__(self, redis: Any, settings: SecuritySettings) -> None:
        self.redis = redis
        self.settings = settings

    async def wait_ms(self, name: LimitName, identity: str) -> int:
        """0 if a request by `identity` may go now (it is counted), else ms to wait.
        Fails open: 0 when Redis is unreachable."""
        if not self.settings.rate_limits_enabled:
            return 0
        limit = limit_for(self.settings, name)
        try:
            wait = await self.redis.eval(
                ACQUIRE, 1, f"{PREFIX}:{name.value}:{identity}", limit.interval_ms, limit.burst
            )
        except REDIS_ERRORS as exc:
            warn_redis_down("rate limit", exc)
            return 0
        return int(wait)

    async def check(self, name: LimitName, identity: str, detail: str | None = None) -> None:
        """Count a request by `identity`; raise `RateLimited` (429) if over the limit."""
        wait = await self.wait_ms(name, identity)
        if wait > 0:
            raise RateLimited(retry_after_seconds(wait), detail)


def get_rate_limiter() -> RateLimiter:
    return RateLimiter(get_redis(), get_settings().security)


def client_ip() -> str:
    request = current_request()
    return (request.ip if request else None) or "unknown"


def limit_by_ip(name: LimitName) -> Callable[[], Awaitable[None]]:
    """A route dependency: count the request against the client IP's `name` bucket."""

    async def dependency() -> None:
        await get_rate_limiter().check(name, client_ip())

    dependency.__name__ = f"rate_limit_{name.value}"
    return dependency
