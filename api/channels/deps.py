from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth.deps import ChannelsScope, CurrentScope
from api.channels.service import ChannelService
from api.deps import MetaClientDep, SecretBoxDep, SessionDep, SettingsDep
from api.tenancy import TenantScope


def _service(
    scope: TenantScope,
    session: SessionDep,
    settings: SettingsDep,
    client: MetaClientDep,
    box: SecretBoxDep,
) -> ChannelService:
    return ChannelService(session, scope, settings, client, box)


def member_channels(
    scope: CurrentScope,
    session: SessionDep,
    settings: SettingsDep,
    client: MetaClientDep,
    box: SecretBoxDep,
) -> ChannelService:
    return _service(scope, session, settings, client, box)


def admin_channels(
    scope: ChannelsScope,
    session: SessionDep,
    settings: SettingsDep,
    client: MetaClientDep,
    box: SecretBoxDep,
) -> ChannelService:
    return _service(scope, session, settings, client, box)


ChannelsForMember = Annotated[ChannelService, Depends(member_channels)]
ChannelsForAdmin = Annotated[ChannelService, Depends(admin_channels)]
