from __future__ import annotations

from tests.api.meta.conftest import meta

__all__ = ["meta"]
