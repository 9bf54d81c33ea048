"""The in-memory key ring every server instance signs and verifies with.

The database is the source of truth; each instance re-reads it every few seconds, so a
`vaultline keys rotate` on any machine reaches every instance without a restart. Tokens
signed by older keys keep verifying until those keys are retired.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.crypto.envelope import open_sealed
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.store.signing_keys import ALGORITHM, create_signing_key, load_signing_keys, sealing_context
from vaultline.tokens.verified_tokens import VerifiedTokens

log = logging.getLogger(__name__)

# An unknown kid may be a key another instance created a moment ago: look once, not per request.
_UNKNOWN_KID_RELOAD_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    created_at: int


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyRing:
    def __init__(self, engine: AsyncEngine, master_keys: MasterKeyRing, *, refresh_seconds: float) -> None:
        self._engine = engine
        self._master_keys = master_keys
        self._refresh_seconds = refresh_seconds
        self._public: dict[str, Ed25519PublicKey] = {}
        self._private: dict[str, SigningKey] = {}
        self._signing: SigningKey | None = None
        self._jwks: dict[str, Any] = {"keys": []}
        self._last_load = 0.0
        self._lock = asyncio.Lock()
        # Session tokens verified by this ring's keys (tokens/verified_tokens.py).
        self.verified_tokens = VerifiedTokens()

    @property
    def signing_key(self) -> SigningKey:
        if self._signing is None:
            raise RuntimeError("key ring not loaded")
        return self._signing

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        return self._public.get(kid)

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    async def load(self, *, create_if_empty: bool = True) -> None:
        async with self._lock:
            async with self._engine.begin() as connection:
                stored = await load_signing_keys(connection)
                if not stored and create_if_empty:
                    await create_signing_key(connection, ring=self._master_keys)
                    stored = await load_signing_keys(connection)
            self._install(stored)
            self._last_load = time.monotonic()

    def _install(self, stored: list[Any]) -> None:
        public: dict[str, Ed25519PublicKey] = {}
        jwks = []
        for key in stored:
            public[key.kid] = Ed25519PublicKey.from_public_bytes(_unb64(key.public_key))
            jwks.append(
                {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid, "alg": ALGORITHM, "use": "sig"}
            )
        self._public = public
        self._jwks = {"keys": jwks}
        if stored:
            newest = stored[-1]
            if newest.kid not in self._private:
                raw = open_sealed(self._master_keys, newest.private_key_sealed, context=sealing_context(newest.kid))
                self._private = {
                    newest.kid: SigningKey(newest.kid, Ed25519PrivateKey.from_private_bytes(raw), newest.created_at)
                }
                if self._signing is not None:
                    log.info("signing key rotated: now signing with kid=%s", newest.kid)
            self._signing = self._private[newest.kid]

    async def reload_for_unknown_kid(self) -> None:
        if time.monotonic() - self._last_load >= _UNKNOWN_KID_RELOAD_SECONDS:
            await self.load(create_if_empty=False)

    async def keep_fresh(self) -> None:
        """Background task: re-read the ring every ``refresh_seconds``; survives database hiccups."""
        while True:
            await asyncio.sleep(self._refresh_seconds)
            try:
                await self.load(create_if_empty=False)
            except Exception:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # The driver turned our cancellation (shutdown) into an error: honour it, or
                    # Runtime.close() waits on this loop forever.
                    raise asyncio.CancelledError from None
                log.warning("could not refresh the signing key ring; keeping the keys we have", exc_info=True)
