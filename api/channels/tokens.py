"""Sealing and opening a channel's Meta token (AES-256-GCM, key id beside the ciphertext)."""

from __future__ import annotations

from api.crypto import Sealed, SecretBox
from api.errors import AppError
from api.models import Channel


def _associated_data(channel: Channel) -> bytes:
    return f"channel-token:{channel.kind.value}:{channel.external_id}".encode()


def seal_channel_token(box: SecretBox, channel: Channel, token: str) -> None:
    sealed = box.encrypt(token, _associated_data(channel))
    channel.token_key_id = sealed.key_id
    channel.token_ciphertext = sealed.ciphertext


def open_channel_token(box: SecretBox, channel: Channel) -> str:
    if channel.token_ciphertext is None or channel.token_key_id is None:
        raise AppError(
            "This channel has no access token; reconnect it.", code="channel_needs_reauth"
        )
    return box.decrypt(
        Sealed(channel.token_key_id, channel.token_ciphertext), _associated_data(channel)
    )
