"""The realtime settings are documented where operators look for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.config import RealtimeSettings

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = [f"REALTIME_{name.upper()}" for name in RealtimeSettings.model_fields]


@pytest.mark.parametrize("variable", VARIABLES)
def test_every_realtime_setting_is_documented(variable: str) -> None:
    assert f"\n{variable}=" in (ROOT / ".env.example").read_text()
    assert f"`{variable}`" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(
    "variable",
    ["REALTIME_RETENTION_EVENTS", "REALTIME_RETENTION_SECONDS", "REALTIME_TYPING_TIMEOUT_SECONDS"],
)
def test_a_retention_or_timeout_of_zero_is_refused(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "0")
    with pytest.raises(ValidationError):
        RealtimeSettings()
