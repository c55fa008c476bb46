from __future__ import annotations

import pytest

from api.config import EncryptionSettings
from api.crypto import DecryptionError, Sealed, SecretBox

OLD = b"o" * 32
NEW = b"n" * 32


def box(active: str, **keys: bytes) -> SecretBox:
    return SecretBox(EncryptionSettings(keys=keys, active_key_id=active))


def test_round_trip_and_ciphertext_hides_the_token() -> None:
    sealed = box("k1", k1=OLD).encrypt("EAAG-page-token", b"row-1")
    assert b"EAAG" not in sealed.ciphertext
    assert sealed.key_id == "k1"
    assert box("k1", k1=OLD).decrypt(sealed, b"row-1") == "EAAG-page-token"


def test_each_encryption_uses_a_fresh_nonce() -> None:
    secret = box("k1", k1=OLD)
    assert secret.encrypt("same", b"a").ciphertext != secret.encrypt("same", b"a").ciphertext


def test_a_ciphertext_moved_to_another_row_does_not_decrypt() -> None:
    sealed = box("k1", k1=OLD).encrypt("token", b"row-1")
    with pytest.raises(DecryptionError):
        box("k1", k1=OLD).decrypt(sealed, b"row-2")


def test_tampering_is_detected() -> None:
    sealed = box("k1", k1=OLD).encrypt("token", b"row")
    flipped = Sealed(sealed.key_id, sealed.ciphertext[:-1] + bytes([sealed.ciphertext[-1] ^ 1]))
    with pytest.raises(DecryptionError):
        box("k1", k1=OLD).decrypt(flipped, b"row")


def test_rotation_keeps_old_ciphertexts_readable_and_writes_with_the_new_key() -> None:
    old_sealed = box("k1", k1=OLD).encrypt("token", b"row")
    rotated = box("k2", k1=OLD, k2=NEW)
    assert rotated.decrypt(old_sealed, b"row") == "token"
    assert rotated.encrypt("token", b"row").key_id == "k2"
    with pytest.raises(DecryptionError, match="unknown encryption key"):
        box("k2", k2=NEW).decrypt(old_sealed, b"row")
