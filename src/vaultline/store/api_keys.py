"""API keys: shown once at creation, stored only as an HMAC under a server secret.

A key reads ``vl_live_`` + 43 base62 characters (~256 bits), so it is recognisable in a
leak scan and selectable with a double click.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.schema import api_keys

API_KEY_PREFIX = "vl_live_"
_ALPHABET = string.ascii_letters + string.digits
_DISPLAY_CHARS = len(API_KEY_PREFIX) + 6


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    application_id: str
    expires_at: int | None

    def is_active(self, at_ms: int) -> bool:
        return self.expires_at is None or self.expires_at > at_ms


def generate_api_key() -> str:
    return API_KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(43))


def hash_api_key(hash_key: bytes, api_key: str) -> str:
    return hmac.new(hash_key, api_key.encode(), hashlib.sha256).hexdigest()


async def add_api_key(connection: AsyncConnection, *, application_id: str, hash_key: bytes) -> str:
    """Create a key for the application and return it: the only time it exists in clear."""
    api_key = generate_api_key()
    await connection.execute(
        api_keys.insert().values(
            id="key_" + secrets.token_hex(8),
            application_id=application_id,
            key_hash=hash_api_key(hash_key, api_key),
            display_prefix=api_key[:_DISPLAY_CHARS],
            created_at=now_ms(),
            expires_at=None,
        )
    )
    return api_key


async def find_api_key(connection: AsyncConnection, *, key_hash: str) -> ApiKeyRecord | None:
    query = select(api_keys.c.id, api_keys.c.application_id, api_keys.c.expires_at).where(
        api_keys.c.key_hash == key_hash
    )
    row = (await connection.execute(query)).first()
    return ApiKeyRecord(row.id, row.application_id, row.expires_at) if row else None


async def rotate_api_key(
    connection: AsyncConnection, *, application_id: str, hash_key: bytes, grace_seconds: int = 0
) -> str:
    """Issue a new key; the application's other keys stop working after ``grace_seconds``."""
    cutoff = now_ms() + grace_seconds * 1000
    still_valid = (api_keys.c.expires_at.is_(None)) | (api_keys.c.expires_at > cutoff)
    await connection.execute(
        update(api_keys).where(api_keys.c.application_id == application_id, still_valid).values(expires_at=cutoff)
    )
    return await add_api_key(connection, application_id=application_id, hash_key=hash_key)
