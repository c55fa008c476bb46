"""AES-256-GCM for secrets at rest (Meta tokens).

A ciphertext is `nonce (12 bytes) || ciphertext+tag` and is stored beside the id of the
key that made it, so keys can rotate: new writes use the active key, old key ids stay
readable. The associated data binds a ciphertext to its row, so a ciphertext copied
onto another row does not decrypt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.config import EncryptionSettings, get_settings

NONCE_BYTES = 12


class DecryptionError(Exception):
    """The ciphertext, its key id or its associated data do not match."""


@dataclass(frozen=True, slots=True)
class Sealed:
    key_id: str
    ciphertext: bytes


class SecretBox:
    def __init__(self, settings: EncryptionSettings) -> None:
        self._keys = settings.keys
        self._active = settings.active_key_id

    @property
    def active_key_id(self) -> str:
        return self._active

    def encrypt(self, plaintext: str, associated_data: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        aead = AESGCM(self._keys[self._active])
        sealed = aead.encrypt(nonce, plaintext.encode(), associated_data)
        return Sealed(self._active, nonce + sealed)

    def decrypt(self, sealed: Sealed, associated_data: bytes) -> str:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise DecryptionError(f"unknown encryption key id {sealed.key_id!r}")
        nonce, body = sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, body, associated_data).decode()
        except InvalidTag as exc:
            raise DecryptionError("ciphertext does not authenticate") from exc


def get_secret_box() -> SecretBox:
    return SecretBox(get_settings().encryption)
