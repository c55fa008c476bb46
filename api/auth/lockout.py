"""A growing delay after repeated failed sign-ins, per email.

Failures for an email are counted in Redis within a window (each failure restarts it).
From the `threshold`-th failure on, the email is locked for 2^(failures - threshold)
seconds, capped: 1 s, 2 s, 4 s ... up to 15 minutes by default. While locked, every
attempt is refused (429 with Retry-After) before the password is even looked at, so a
correct guess during the lock does not get in. A successful sign-in clears the count.

The email is the key whether or not an account has it, so the answers never tell a
registered email from an unknown one. Keys hold a hash of the email, not the email.
Redis down: no lockout (availability first; the per-IP and per-email rate limits fail
open the same way), with a warning in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.config import SecuritySettings
from api.security.ratelimit import REDIS_ERRORS, hashed, warn_redis_down

PREFIX = "parley:login:failures"

# KEYS[1] the email's record. Returns ms until the lock ends (0: not locked).
LOCKED_FOR = """
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if locked_until > now then return locked_until - now end
return 0
"""

# KEYS[1] the email's record. ARGV[1] threshold, ARGV[2] window (ms), ARGV[3] cap (ms).
# Returns {failures so far, ms of the lock this failure started (0: none)}.
RECORD_FAILURE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local failures = redis.call('HINCRBY', KEYS[1], 'count', 1)
local over = failures - tonumber(ARGV[1])
local lock = 0
if over >= 0 then
  lock = math.min(1000 * 2 ^ math.min(over, 40), tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'locked_until', string.format('%.0f', now + lock))
end
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', tonumber(ARGV[2]) + lock))
return {failures, string.format('%.0f', lock)}
"""


@dataclass(frozen=True, slots=True)
class Failure:
    count: int  # consecutive failures within the window
    lock_ms: int  # the lock this failure started (0: none yet)


class LoginLockout:
    def __init__(self, redis: Any, settings: SecuritySettings) -> None:
        self.redis = redis
        self.settings = settings

    @staticmethod
    def _key(email: str) -> str:
        return f"{PREFIX}:{hashed(email)}"

    async def locked_for_ms(self, email: str) -> int:
        """How long this email stays locked (0: it may try now)."""
        try:
            return int(await self.redis.eval(LOCKED_FOR, 1, self._key(email)))
        except REDIS_ERRORS as exc:
            warn_redis_down("sign-in lockout check", exc)
            return 0

    async def record_failure(self, email: str) -> Failure:
        s = self.settings
        try:
            count, lock = await self.redis.eval(
                RECORD_FAILURE,
                1,
                self._key(email),
                s.lockout_threshold,
                s.lockout_window_minutes * 60_000,
                s.lockout_max_seconds * 1000,
            )
        except REDIS_ERRORS as exc:
            warn_redis_down("sign-in failure count", exc)
            return Failure(count=0, lock_ms=0)
        return Failure(count=int(count), lock_ms=int(lock))

    async def clear(self, email: str) -> None:
        try:
            await self.redis.delete(self._key(email))
        except REDIS_ERRORS as exc:
            warn_redis_down("sign-in failure reset", exc)
