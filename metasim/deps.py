"""FastAPI dependencies: the app's state and settings, as typed aliases."""

from typing import Annotated, cast

from fastapi import Depends, Request

from metasim.config import SimSettings
from metasim.state import SimState


def get_state(request: Request) -> SimState:
    """The simulator state of the app serving this request."""
    return cast(SimState, request.app.state.sim)


def get_settings(request: Request) -> SimSettings:
    """The settings of the app serving this request."""
    return cast(SimSettings, request.app.state.settings)


StateDep = Annotated[SimState, Depends(get_state)]
SettingsDep = Annotated[SimSettings, Depends(get_settings)]
