"""Password hashing through passlib's API (the maintained `libpass` fork) with argon2."""

from __future__ import annotations

from passlib.context import CryptContext

_context = CryptContext(schemes=["argon2"], deprecated="auto")

# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _context.hash("parley-timing-equaliser")


def hash_password(password: str) -> str:
    return str(_context.hash(password))


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _context.verify(password, _DUMMY_HASH)
        return False
    return bool(_context.verify(password, password_hash))
