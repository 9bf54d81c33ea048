"""Signing keys for session tokens: Ed25519 pairs, the private half sealed under the master key."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.config import MAX_SESSION_SECONDS
from vaultline.crypto.envelope import seal
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.schema import signing_keys

ALGORITHM = "EdDSA"
# Clock skew between instances: keep a key a little longer than strictly needed.
RETIREMENT_MARGIN_MS = 10 * 60 * 1000


@dataclass(frozen=True, slots=True)
class StoredSigningKey:
    kid: str
    public_key: str  # base64url raw 32 bytes: the JWK "x"
    private_key_sealed: str
    created_at: int


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwk_thumbprint(public_x: str) -> str:
    """RFC 7638 thumbprint of an Ed25519 JWK: a kid derived from the key itself."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": public_x}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def sealing_context(kid: str) -> str:
    return f"signing_key:{kid}"


async def create_signing_key(connection: AsyncConnection, *, ring: MasterKeyRing) -> str:
    private = Ed25519PrivateKey.generate()
    public_x = b64url(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    kid = jwk_thumbprint(public_x)
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    await connection.execute(
        signing_keys.insert().values(
            kid=kid,
            algorithm=ALGORITHM,
            public_key=public_x,
            private_key_sealed=seal(ring, raw_private, context=sealing_context(kid)),
            created_at=now_ms(),
        )
    )
    return kid


async def load_signing_keys(connection: AsyncConnection) -> list[StoredSigningKey]:
    query = select(
        signing_keys.c.kid, signing_keys.c.public_key, signing_keys.c.private_key_sealed, signing_keys.c.created_at
    ).order_by(signing_keys.c.created_at, signing_keys.c.kid)
    return [
        StoredSigningKey(r.kid, r.public_key, r.private_key_sealed, r.created_at)
        for r in await connection.execute(query)
    ]


def retired_kids(keys: list[StoredSigningKey], at_ms: int) -> list[str]:
    """Keys whose successor took over longer ago than the longest session: nothing they
    signed can still be valid. ``keys`` is in creation order; the newest is never retired."""
    horizon = MAX_SESSION_SECONDS * 1000 + RETIREMENT_MARGIN_MS
    return [key.kid for key, successor in zip(keys, keys[1:], strict=False) if successor.created_at + horizon < at_ms]


async def retire_signing_keys(connection: AsyncConnection) -> list[str]:
    kids = retired_kids(await load_signing_keys(connection), now_ms())
    if kids:
        await connection.execute(delete(signing_keys).where(signing_keys.c.kid.in_(kids)))
    return kids


async def rotate_signing_key(connection: AsyncConnection, *, ring: MasterKeyRing) -> tuple[str, list[str]]:
    """Make a new signing key and drop retired ones; returns (new kid, retired kids)."""
    kid = await create_signing_key(connection, ring=ring)
    return kid, await retire_signing_keys(connection)
