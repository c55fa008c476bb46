from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from api.config import Settings

REAL_KEY = base64.b64encode(b"k" * 32).decode()


def production(**overrides: str) -> dict[str, str]:
    values = {
        "ENVIRONMENT": "production",
        "AUTH_JWT_SECRET": "a-real-secret-that-is-long-enough-123456",
        "META_APP_SECRET": "3f1e0c9a8b7d6e5f",
        "META_VERIFY_TOKEN": "my-verify-token-2026",
        "ENCRYPTION_KEYS": f"k1:{REAL_KEY}",
        "ENCRYPTION_ACTIVE_KEY_ID": "k1",
    }
    return {**values, **overrides}


def test_production_with_real_secrets_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in production().items():
        monkeypatch.setenv(key, value)
    assert Settings().encryption.keys == {"k1": b"k" * 32}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("AUTH_JWT_SECRET", "dev-jwt-secret-change-me-0123456789"),
        ("META_APP_SECRET", "dev-app-secret"),
        ("AUTH_JWT_SECRET", "short-but-not-placeholder"),
    ],
)
def test_placeholder_or_weak_secrets_are_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    for name, setting in production(**{key: value}).items():
        monkeypatch.setenv(name, setting)
    with pytest.raises(ValidationError, match=key):
        Settings()


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        ("k1:notbase64!!", "k1", "not base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "k1", "32 bytes"),
        (f"k1:{REAL_KEY}", "k2", "names no key"),
    ],
)
def test_bad_encryption_keys_are_refused(
    monkeypatch: pytest.MonkeyPatch, keys: str, active: str, message: str
) -> None:
    monkeypatch.setenv("ENCRYPTION_KEYS", keys)
    monkeypatch.setenv("ENCRYPTION_ACTIVE_KEY_ID", active)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_database_url_is_normalised_to_asyncpg() -> None:
    settings = Settings(environment="test", database={"url": "postgresql://u@h:5432/db"})
    assert settings.database.url == "postgresql+asyncpg://u@h:5432/db"
