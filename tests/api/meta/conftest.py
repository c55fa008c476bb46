"""The fake Meta (Graph API through respx) shared by the connect-channels tests."""

from __future__ import annotations

import pytest
import respx

from tests.api.meta.fake_meta import FakeMeta, default_user, install


@pytest.fixture
def meta(graph: respx.MockRouter) -> FakeMeta:
    """A fake Meta with one Facebook user (`meta.users[0]`, see `default_user`): two Pages,
    one business with an owned WABA (two numbers) and a client WABA (one number)."""
    fake = FakeMeta()
    fake.add_user(default_user())
    return install(graph, fake)
