"""Server-wide secrets (e.g. the API-key hashing key), sealed under the master key."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.crypto.envelope import open_sealed, seal
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.schema import server_secrets
from vaultline.store.dialect import insert_for

API_KEY_HASH_KEY = "api_key_hash_key"


async def load_or_create_secret(connection: AsyncConnection, *, name: str, ring: MasterKeyRing) -> bytes:
    """Return the named 32-byte secret, creating it on first use (race-safe across instances)."""
    context = f"server_secret:{name}"
    sealed = seal(ring, secrets.token_bytes(32), context=context)
    await connection.execute(
        insert_for(connection, server_secrets)
        .values(name=name, value_sealed=sealed, created_at=now_ms())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    stored = (
        await connection.execute(select(server_secrets.c.value_sealed).where(server_secrets.c.name == name))
    ).scalar_one()
    return open_sealed(ring, stored, context=context)
