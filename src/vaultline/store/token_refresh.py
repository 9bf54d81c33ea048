"""The token keeper's rows: which connections' OAuth tokens are due for a refresh, the claim of
one (its row lock, skipped when another instance holds it) and the bookkeeping of failures.

The tokens themselves are written by ``store/connections.set_oauth_credentials``, which also
schedules the next refresh and clears the failures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.schema import connections
from vaultline.store.connections import ConnectionRecord, record_from_row


@dataclass(frozen=True, slots=True)
class DueConnection:
    pk: int
    application_id: str
    consumer_id: str
    unified_api: str
    service_id: str


def _due(now: int) -> ColumnElement[bool]:
    # Disabled connections are left alone: the consumer turned them off, so no call is made on
    # their behalf; invalid ones wait for the consumer (or a forced refresh, POST …/validate).
    return and_(
        connections.c.refresh_due_at <= now,
        connections.c.credentials_sealed.is_not(None),
        connections.c.validation_error.is_(None),
        connections.c.enabled.is_(True),
    )


async def due_connections(connection: AsyncConnection, *, now: int, limit: int) -> list[DueConnection]:
    """The connections whose refresh is due, most overdue first; nothing is opened or locked."""
    query = (
        select(
            connections.c.pk,
            connections.c.application_id,
            connections.c.consumer_id,
            connections.c.unified_api,
            connections.c.service_id,
        )
        .where(_due(now))
        .order_by(connections.c.refresh_due_at, connections.c.pk)
        .limit(limit)
    )
    return [
        DueConnection(row.pk, row.application_id, row.consumer_id, row.unified_api, row.service_id)
        for row in await connection.execute(query)
    ]


async def claim_due_connection(
    connection: AsyncConnection, *, pk: int, now: int, ring: MasterKeyRing
) -> ConnectionRecord | None:
    """The connection, locked for this transaction, if it is still due and nobody else holds it.
    On PostgreSQL ``SKIP LOCKED`` passes over a row another instance is refreshing (its keeper
    or a read); once that one commits, the row is no longer due. SQLite has one writer."""
    query = select(connections).where(connections.c.pk == pk, _due(now)).with_for_update(skip_locked=True)
    row = (await connection.execute(query)).first()
    return record_from_row(row, ring) if row else None


async def set_refresh_due(connection: AsyncConnection, *, pk: int, due_at: int | None) -> None:
    await connection.execute(update(connections).where(connections.c.pk == pk).values(refresh_due_at=due_at))


async def record_refresh_failure(
    connection: AsyncConnection,
    *,
    pk: int,
    failures: int,
    failed_at: int,
    retry_at: int | None,
    credentials_expire_at: int | None,
) -> None:
    """A refresh failed: count it, and try again at ``retry_at`` (None: not any more)."""
    await connection.execute(
        update(connections)
        .where(connections.c.pk == pk)
        .values(
            refresh_failures=failures,
            last_refresh_failed_at=failed_at,
            refresh_due_at=retry_at,
            credentials_expire_at=credentials_expire_at,
        )
    )
