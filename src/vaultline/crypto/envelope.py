"""Envelope encryption: each secret gets its own data key, wrapped by the master key.

A sealed value is one ASCII string ``v1:<master key id>:<wrapped data key>:<ciphertext>``
(both base64url, each with its 12-byte nonce in front), so the key id always travels with
the ciphertext and a master-key rotation only has to re-wrap the small data key.
The ``context`` is bound as associated data: a value sealed for one record cannot be
swapped into another.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vaultline.crypto.master_key import MasterKeyRing

_VERSION = "v1"


class DecryptionError(Exception):
    """A sealed value could not be opened: wrong key, wrong context or tampered."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _wrap_aad(key_id: str) -> bytes:
    return b"vaultline-data-key|" + key_id.encode()


def seal(ring: MasterKeyRing, plaintext: bytes, *, context: str) -> str:
    master = ring.current
    data_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce, nonce = secrets.token_bytes(12), secrets.token_bytes(12)
    wrapped = master.cipher.encrypt(wrap_nonce, data_key, _wrap_aad(master.key_id))
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, context.encode())
    return ":".join((_VERSION, master.key_id, _b64(wrap_nonce + wrapped), _b64(nonce + ciphertext)))


def _split(sealed: str) -> tuple[str, bytes, bytes]:
    parts = sealed.split(":")
    if len(parts) != 4 or parts[0] != _VERSION:
        raise DecryptionError("not a sealed value")
    try:
        return parts[1], _unb64(parts[2]), _unb64(parts[3])
    except ValueError as exc:
        raise DecryptionError("malformed sealed value") from exc


def _unwrap_data_key(ring: MasterKeyRing, key_id: str, wrapped: bytes) -> bytes:
    master = ring.find(key_id)
    if master is None:
        raise DecryptionError(f"sealed under master key {key_id}, which is not configured")
    try:
        return master.cipher.decrypt(wrapped[:12], wrapped[12:], _wrap_aad(key_id))
    except InvalidTag as exc:
        raise DecryptionError("data key does not unwrap under the master key") from exc


def open_sealed(ring: MasterKeyRing, sealed: str, *, context: str) -> bytes:
    key_id, wrapped, body = _split(sealed)
    data_key = _unwrap_data_key(ring, key_id, wrapped)
    try:
        return AESGCM(data_key).decrypt(body[:12], body[12:], context.encode())
    except InvalidTag as exc:
        raise DecryptionError("ciphertext rejected (tampered, or sealed for another record)") from exc


def rewrap(ring: MasterKeyRing, sealed: str) -> str:
    """Re-wrap the data key under the current master key; the ciphertext is untouched."""
    key_id, wrapped, body = _split(sealed)
    if key_id == ring.current.key_id:
        return sealed
    data_key = _unwrap_data_key(ring, key_id, wrapped)
    master = ring.current
    wrap_nonce = secrets.token_bytes(12)
    rewrapped = master.cipher.encrypt(wrap_nonce, data_key, _wrap_aad(master.key_id))
    return ":".join((_VERSION, master.key_id, _b64(wrap_nonce + rewrapped), _b64(body)))


def sealed_key_id(sealed: str) -> str:
    return _split(sealed)[0]
