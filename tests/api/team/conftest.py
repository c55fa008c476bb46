"""Fixtures of the team tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.config import get_settings


@pytest.fixture
def mail_configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings with an SMTP server (nothing listens there: jobs are only enqueued)."""
    monkeypatch.setenv("MAIL_SMTP_URL", "smtp://mailer:secret@127.0.0.1:9?tls=none")
    monkeypatch.setenv("MAIL_FROM", "Parley <no-reply@parley.test>")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("MAIL_SMTP_URL")
    monkeypatch.delenv("MAIL_FROM")
    get_settings.cache_clear()
