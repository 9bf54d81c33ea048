"""Consumers' connections to integrations. Settings and OAuth tokens are sealed per row under
the master key (context = the row's random ``uid``); every other column is plain."""

from __future__ import annotations

import secrets
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.connection_ids import connection_id
from vaultline.crypto.envelope import open_sealed, seal
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.hot_queries import HotQuery, hot_rows
from vaultline.db.schema import applications, connections
from vaultline.store.dialect import insert_for
from vaultline.store.provider_marks import ProviderMarks


@dataclass(frozen=True, slots=True, repr=False)
class ConnectionRecord:
    pk: int
    uid: str
    application_id: str
    consumer_id: str
    unified_api: str
    service_id: str
    enabled: bool
    settings: dict[str, Any]
    oauth_credentials: dict[str, Any] | None
    metadata: dict[str, Any] | None
    configuration: list[dict[str, Any]] | None
    validation_error: str | None
    created_at: int
    updated_at: int
    confirm_token_hash: str | None = None  # set while the connection waits for POST …/confirm
    confirm_expires_at: int | None = None
    consents: tuple[dict[str, Any], ...] = ()  # consent records, oldest first
    # The token keeper's schedule (store/token_refresh.py); its failure marks are in ``provider``.
    refresh_due_at: int | None = None
    refresh_failures: int = 0
    provider: ProviderMarks = ProviderMarks()  # what calling the provider taught (health)

    def __repr__(self) -> str:  # settings hold credentials: keep them out of logs and tracebacks
        return f"ConnectionRecord(id={connection_id(self.unified_api, self.service_id)}, consumer={self.consumer_id!r})"


@dataclass(frozen=True, slots=True)
class ConnectionChanges:
    """The writable part of a connection, as the caller wants it stored."""

    enabled: bool
    settings: dict[str, Any]
    metadata: dict[str, Any] | None
    configuration: list[dict[str, Any]] | None
    validation_error: str | None = None
    # What the provider said of these settings (connections/verification.py); None: unchanged.
    provider: ProviderMarks | None = None


def settings_context(uid: str) -> str:
    return f"connection_settings:{uid}"


def credentials_context(uid: str) -> str:
    return f"connection_credentials:{uid}"


def _open_json(ring: MasterKeyRing, sealed: str | None, context: str) -> dict[str, Any] | None:
    if sealed is None:
        return None
    value: dict[str, Any] = orjson.loads(open_sealed(ring, sealed, context=context))
    return value


def _from_row(row: Row[Any], ring: MasterKeyRing) -> ConnectionRecord:
    return ConnectionRecord(
        pk=row.pk,
        uid=row.uid,
        application_id=row.application_id,
        consumer_id=row.consumer_id,
        unified_api=row.unified_api,
        service_id=row.service_id,
        enabled=bool(row.enabled),
        settings=_open_json(ring, row.settings_sealed, settings_context(row.uid)) or {},
        oauth_credentials=_open_json(ring, row.credentials_sealed, credentials_context(row.uid)),
        metadata=row.metadata,
        configuration=row.configuration,
        validation_error=row.validation_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        confirm_token_hash=row.confirm_token_hash,
        confirm_expires_at=row.confirm_expires_at,
        consents=tuple(row.consents or ()),
        refresh_due_at=row.refresh_due_at,
        refresh_failures=row.refresh_failures or 0,
        provider=ProviderMarks(
            verified_at=row.verified_at,
            last_downstream_error_at=row.last_downstream_error_at,
            downstream_error=row.downstream_error,
            verification_failures=row.verification_failures or 0,
            next_verification_at=row.next_verification_at,
            last_refresh_failed_at=row.last_refresh_failed_at,
            credentials_expire_at=row.credentials_expire_at,
        ),
    )


def record_from_row(row: Row[Any], ring: MasterKeyRing) -> ConnectionRecord:
    """A ``connections`` row read elsewhere in the store (e.g. claimed by the token keeper)."""
    return _from_row(row, ring)


def _owner(application_id: str, consumer_id: str) -> Any:
    return (connections.c.application_id == application_id) & (connections.c.consumer_id == consumer_id)


# Hot statements are built once, with bound parameters: building a select() per call cost more
# than SQLite's answer to it.
_LIST_CONNECTIONS = HotQuery(
    select(connections)
    .where(_owner(bindparam("application_id"), bindparam("consumer_id")))  # type: ignore[arg-type]
    .order_by(connections.c.pk)
)

_CONNECTION = HotQuery(
    select(connections).where(
        _owner(bindparam("application_id"), bindparam("consumer_id")),  # type: ignore[arg-type]
        connections.c.unified_api == bindparam("unified_api"),
        connections.c.service_id == bindparam("service_id"),
    )
)


async def list_connections(
    connection: AsyncConnection,
    *,
    application_id: str,
    consumer_id: str,
    ring: MasterKeyRing,
    only: Container[tuple[str, str]] | None = None,
) -> list[ConnectionRecord]:
    """The consumer's connections; with ``only``, just those whose ``(unified_api, service_id)``
    is in it: the others' sealed settings are not opened."""
    rows = await hot_rows(connection, _LIST_CONNECTIONS, {"application_id": application_id, "consumer_id": consumer_id})
    if only is not None:
        rows = [row for row in rows if (row.unified_api, row.service_id) in only]
    return [_from_row(row, ring) for row in rows]


async def get_connection(
    connection: AsyncConnection,
    *,
    application_id: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    ring: MasterKeyRing,
    for_update: bool = False,
) -> ConnectionRecord | None:
    parameters = {
        "application_id": application_id,
        "consumer_id": consumer_id,
        "unified_api": unified_api,
        "service_id": service_id,
    }
    if for_update:  # PostgreSQL row lock; SQLite serializes writers anyway
        row = (await connection.execute(_CONNECTION.statement.with_for_update(), parameters)).first()
    else:  # the reads of one connection's page or popup: on the driver (db/hot_queries.py)
        rows = await hot_rows(connection, _CONNECTION, parameters)
        row = rows[0] if rows else None  # the unique (owner, unified_api, service_id): one at most
    return _from_row(row, ring) if row else None


async def reread_connection(
    connection: AsyncConnection, *, record: ConnectionRecord, ring: MasterKeyRing
) -> ConnectionRecord:
    """``record`` as stored now, read in the transaction that just wrote it (so it is there)."""
    row = (await connection.execute(select(connections).where(connections.c.pk == record.pk))).one()
    return _from_row(row, ring)


async def ensure_connection(
    connection: AsyncConnection, *, application_id: str, consumer_id: str, unified_api: str, service_id: str
) -> bool:
    """Create the connection (enabled, no settings) unless it exists; True when created.
    Race-safe: two first PATCHes at once create one row."""
    now = now_ms()
    stmt = insert_for(connection, connections).values(
        uid=secrets.token_hex(16),
        application_id=application_id,
        consumer_id=consumer_id,
        unified_api=unified_api,
        service_id=service_id,
        enabled=True,
        created_at=now,
        updated_at=now,
    )
    result = await connection.execute(
        stmt.on_conflict_do_nothing(index_elements=["application_id", "consumer_id", "unified_api", "service_id"])
    )
    return bool(result.rowcount)


async def save_connection(
    connection: AsyncConnection, *, record: ConnectionRecord, changes: ConnectionChanges, ring: MasterKeyRing
) -> None:
    # Re-sealed on every save: each version of the settings gets a fresh data key and nonce.
    sealed = (
        seal(ring, orjson.dumps(changes.settings), context=settings_context(record.uid)) if changes.settings else None
    )
    await connection.execute(
        update(connections)
        .where(connections.c.pk == record.pk)
        .values(
            enabled=changes.enabled,
            settings_sealed=sealed,
            metadata=changes.metadata,
            configuration=changes.configuration,
            validation_error=changes.validation_error,
            updated_at=max(now_ms(), record.updated_at + 1),
        )
    )


async def set_validation_error(
    connection: AsyncConnection, *, pk: int, error: str | None, updated_at: int | None = None
) -> None:
    values: dict[str, Any] = {"validation_error": error}
    if updated_at is not None:
        values["updated_at"] = updated_at
    await connection.execute(update(connections).where(connections.c.pk == pk).values(**values))


async def delete_connection(
    connection: AsyncConnection, *, application_id: str, consumer_id: str, unified_api: str, service_id: str
) -> bool:
    result = await connection.execute(
        delete(connections).where(
            _owner(application_id, consumer_id),
            connections.c.unified_api == unified_api,
            connections.c.service_id == service_id,
        )
    )
    return bool(result.rowcount)


async def delete_consumer_connections(connection: AsyncConnection, *, application_id: str, consumer_id: str) -> int:
    result = await connection.execute(delete(connections).where(_owner(application_id, consumer_id)))
    return int(result.rowcount)


async def connected_service_ids(
    connection: AsyncConnection, *, application_id: str, consumer_ids: list[str]
) -> dict[str, list[str]]:
    """Each consumer's connected services, without opening any credentials (for listings)."""
    if not consumer_ids:
        return {}
    query = (
        select(connections.c.consumer_id, connections.c.service_id)
        .where(connections.c.application_id == application_id, connections.c.consumer_id.in_(consumer_ids))
        .order_by(connections.c.pk)
    )
    services: dict[str, list[str]] = {}
    for row in await connection.execute(query):
        services.setdefault(row.consumer_id, []).append(row.service_id)
    return services


async def set_oauth_credentials(
    connection: AsyncConnection,
    *,
    record: ConnectionRecord,
    credentials: dict[str, Any] | None,
    ring: MasterKeyRing,
    validation_error: str | None = None,
    refresh_due_at: int | None = None,
) -> None:
    """Store (or, with None, clear) the provider's tokens, sealed under a fresh data key, and
    set the validation verdict with them: new tokens clear an old ``invalid``. New tokens also
    start the keeper's bookkeeping afresh: next refresh at ``refresh_due_at`` (None: never),
    no failures, no retention window."""
    sealed = (
        seal(ring, orjson.dumps(credentials), context=credentials_context(record.uid))
        if credentials is not None
        else None
    )
    await connection.execute(
        update(connections)
        .where(connections.c.pk == record.pk)
        .values(
            credentials_sealed=sealed,
            validation_error=validation_error,
            refresh_due_at=refresh_due_at,
            refresh_failures=0,
            last_refresh_failed_at=None,
            credentials_expire_at=None,
            updated_at=max(now_ms(), record.updated_at + 1),
        )
    )


_CONNECTION_WITH_CONFIG_VERSION = HotQuery(
    select(applications.c.config_version, connections)
    .select_from(
        applications.outerjoin(
            connections,
            (connections.c.application_id == applications.c.id)
            & (connections.c.consumer_id == bindparam("consumer_id"))
            & (connections.c.unified_api == bindparam("unified_api"))
            & (connections.c.service_id == bindparam("service_id")),
        )
    )
    .where(applications.c.id == bindparam("application_id"))
)


async def get_connection_with_config_version(
    connection: AsyncConnection,
    *,
    application_id: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    ring: MasterKeyRing,
) -> tuple[int | None, ConnectionRecord | None]:
    """The application's config version (None: no such application) and the consumer's
    connection, in one statement: the credentials read's only round trip."""
    parameters = {
        "application_id": application_id,
        "consumer_id": consumer_id,
        "unified_api": unified_api,
        "service_id": service_id,
    }
    rows = await hot_rows(connection, _CONNECTION_WITH_CONFIG_VERSION, parameters)
    if not rows:
        return None, None
    row = rows[0]
    return int(row.config_version), _from_row(row, ring) if row.pk is not None else None
