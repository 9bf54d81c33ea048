"""The two connection columns the OAuth confirmation and the consent records write: kept apart
from ``store/connections.py`` so the settings and token writes stay as they are. Called only by
``connections/writes.write_connection_change`` (which enqueues the events of the change)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.schema import connections
from vaultline.store.connections import ConnectionRecord


async def set_pending_confirmation(
    connection: AsyncConnection, *, record: ConnectionRecord, token_hash: str | None, expires_at: int | None
) -> None:
    """``token_hash`` set: the connection waits for POST …/confirm; ``None``: it is confirmed."""
    await connection.execute(
        update(connections)
        .where(connections.c.pk == record.pk)
        .values(
            confirm_token_hash=token_hash,
            confirm_expires_at=expires_at,
            updated_at=max(now_ms(), record.updated_at + 1),
        )
    )


async def append_consent(connection: AsyncConnection, *, record: ConnectionRecord, consent: dict[str, Any]) -> None:
    """Consent records are immutable: a new decision is a new record after the others."""
    await connection.execute(
        update(connections)
        .where(connections.c.pk == record.pk)
        .values(consents=[*record.consents, consent], updated_at=max(now_ms(), record.updated_at + 1))
    )
