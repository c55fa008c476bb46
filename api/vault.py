"""The token vault: Meta tokens sealed with AES-256-GCM on the row that owns them.

Each ciphertext is stored with the id of the key that made it, and bound (associated
data) to its row's identity, so a ciphertext copied onto another row does not open.
`rotate` re-seals every token under the active key so an old key can be retired.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealed, SecretBox
from api.errors import AppError
from api.models import Channel, MetaAccount

TokenHolder = Channel | MetaAccount


def _associated_data(row: TokenHolder) -> bytes:
    if isinstance(row, Channel):
        return f"channel-token:{row.kind.value}:{row.external_id}".encode()
    return f"meta-account-token:{row.tenant_id}:{row.fb_user_id}".encode()


def seal_token(box: SecretBox, row: TokenHolder, token: str) -> None:
    sealed = box.encrypt(token, _associated_data(row))
    row.token_key_id = sealed.key_id
    row.token_ciphertext = sealed.ciphertext


def open_token(box: SecretBox, row: TokenHolder) -> str:
    if row.token_ciphertext is None or row.token_key_id is None:
        raise AppError("No access token is stored; reconnect with Facebook.", code="needs_reauth")
    return box.decrypt(Sealed(row.token_key_id, row.token_ciphertext), _associated_data(row))


def wipe_token(row: TokenHolder) -> None:
    row.token_ciphertext = None
    row.token_key_id = None


async def rotate(session: AsyncSession, box: SecretBox) -> int:
    """Re-seal every token not yet under the active key. Returns how many were re-sealed."""
    stale = [
        or_(Channel.token_key_id.is_(None), Channel.token_key_id != box.active_key_id),
        or_(MetaAccount.token_key_id.is_(None), MetaAccount.token_key_id != box.active_key_id),
    ]
    channels = select(Channel).where(Channel.token_ciphertext.is_not(None), stale[0])
    accounts = select(MetaAccount).where(MetaAccount.token_ciphertext.is_not(None), stale[1])
    rows: list[TokenHolder] = [
        *(await session.execute(channels.with_for_update())).scalars(),
        *(await session.execute(accounts.with_for_update())).scalars(),
    ]
    for row in rows:
        seal_token(box, row, open_token(box, row))
    await session.flush()
    return len(rows)
