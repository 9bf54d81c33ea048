"""Session tokens whose signature this process has already verified.

A Vault JS modal or React Vault sends the same session token on every call; checking its
Ed25519 signature and parsing it again (PyJWT) was about a quarter of a session-token request's
CPU. A token is immutable, so the signature check's answer cannot change while the key that
made it is still in the ring: the cache keeps the verified claims under the token's SHA-256,
with the public key object that verified them. A hit counts only while the ring still holds
that very key object for the token's kid (a retired key, or a ring reloaded with a different
key under that kid, is a miss and the token is verified again in full).

What is never cached: time and revocation. ``exp``, ``nbf`` and ``iat`` are checked against
the clock on every hit exactly as PyJWT checks them (a token failing them goes through full
verification, which raises the precise error); the session row, and so its revocation, is read
by every request (sessions/verification.py). Only successful verifications are stored; the
cache is bounded (least recently used out first).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# One entry is the claims of one live session (~1 KB): 4096 sessions in use at once per process.
MAX_ENTRIES = 4096


class VerifiedTokens:
    __slots__ = ("_entries", "_max_entries")

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[bytes, tuple[str, str, Ed25519PublicKey, dict[str, Any]]] = OrderedDict()
        self._max_entries = max_entries

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(
        self, key: bytes, *, issuer: str, public_key_for: Any, leeway: float, now: float | None = None
    ) -> dict[str, Any] | None:
        """The claims verified before, if the key that verified them is still in force and the
        time claims hold now; else None (the caller verifies in full)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        kid, entry_issuer, public_key, claims = entry
        if entry_issuer != issuer or public_key_for(kid) is not public_key:
            del self._entries[key]
            return None
        now = time.time() if now is None else now
        if not _times_hold(claims, now, leeway):
            return None
        self._entries.move_to_end(key)
        return dict(claims)  # a copy: a caller changing its claims must not change the cache

    def put(self, key: bytes, *, kid: str, issuer: str, public_key: Ed25519PublicKey, claims: dict[str, Any]) -> None:
        self._entries[key] = (kid, issuer, public_key, dict(claims))
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _times_hold(claims: dict[str, Any], now: float, leeway: float) -> bool:
    """PyJWT's exp/nbf/iat rules (jwt/api_jwt.py ``_validate_exp`` & co.), no exceptions."""
    try:
        return (
            int(claims["exp"]) > now - leeway
            and int(claims["nbf"]) <= now + leeway
            and int(claims["iat"]) <= now + leeway
        )
    except (KeyError, ValueError, TypeError, OverflowError):
        return False
