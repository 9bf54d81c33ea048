"""Consumers: an application's own customers, identified by the id the application chose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.schema import consumers
from vaultline.store.connections import delete_consumer_connections
from vaultline.store.dialect import insert_for_dialect
from vaultline.store.sessions import revoke_consumer_sessions


@dataclass(frozen=True, slots=True)
class Consumer:
    pk: int
    application_id: str
    consumer_id: str
    metadata: dict[str, Any]
    created_at: int
    modified_at: int
    creation_key: str | None = None


@dataclass(frozen=True, slots=True)
class ConsumerUpsert:
    """What minting a session writes about its consumer. ``metadata=None`` keeps what is stored."""

    application_id: str
    consumer_id: str
    metadata: dict[str, Any] | None
    custom_settings: dict[str, Any] | None
    at_ms: int


class ConsumerExists(Exception):
    pass


def _from_row(row: Row[Any]) -> Consumer:
    return Consumer(
        row.pk,
        row.application_id,
        row.consumer_id,
        row.metadata or {},
        row.created_at,
        row.modified_at,
        row.creation_key,
    )


async def upsert_consumers(connection: AsyncConnection, upserts: list[ConsumerUpsert]) -> None:
    """Create missing consumers and replace the metadata of those given new metadata."""
    with_metadata, without = consumer_upsert_groups(upserts)
    replacing, creating = consumer_upsert_statements(connection.dialect)
    if with_metadata:
        await connection.execute(replacing, [consumer_values(u) for u in with_metadata])
    if without:
        await connection.execute(creating, [consumer_values(u) for u in without])


def consumer_upsert_statements(dialect: Dialect) -> tuple[Any, Any]:
    """The two upserts of ``upsert_consumers`` (also compiled once for the group commit,
    store/session_batches.py): one creating or replacing the metadata, one only creating."""
    keys = ["application_id", "consumer_id"]
    replacing = insert_for_dialect(dialect, consumers)
    replacing = replacing.on_conflict_do_update(
        index_elements=keys,
        set_={
            "metadata": replacing.excluded.metadata,
            "custom_settings": replacing.excluded.custom_settings,
            "modified_at": replacing.excluded.modified_at,
        },
    )
    creating = insert_for_dialect(dialect, consumers).on_conflict_do_nothing(index_elements=keys)
    return replacing, creating


def consumer_upsert_groups(upserts: Iterable[ConsumerUpsert]) -> tuple[list[ConsumerUpsert], list[ConsumerUpsert]]:
    """The upserts that replace metadata and those that only create a missing consumer, one per
    consumer (the latest): PostgreSQL refuses to touch a row twice in one statement. Also the
    group commit's (store/session_batches.py)."""
    latest: dict[tuple[str, str], ConsumerUpsert] = {}
    for item in upserts:
        latest[(item.application_id, item.consumer_id)] = item
    with_metadata = [u for u in latest.values() if u.metadata is not None or u.custom_settings is not None]
    without = [u for u in latest.values() if u.metadata is None and u.custom_settings is None]
    return with_metadata, without


CONSUMER_UPSERT_COLUMNS = ("application_id", "consumer_id", "metadata", "custom_settings", "created_at", "modified_at")


def consumer_values(item: ConsumerUpsert) -> dict[str, Any]:
    """The row an upsert inserts (and, with metadata, the columns it replaces)."""
    return {
        "application_id": item.application_id,
        "consumer_id": item.consumer_id,
        "metadata": item.metadata or {},
        "custom_settings": item.custom_settings,
        "created_at": item.at_ms,
        "modified_at": item.at_ms,
    }


async def create_consumer(
    connection: AsyncConnection,
    *,
    application_id: str,
    consumer_id: str,
    metadata: dict[str, Any],
    creation_key: str | None = None,
) -> Consumer:
    """Create the consumer; ``ConsumerExists`` unless it exists from the same ``creation_key``
    (a retry of the same request), in which case the stored consumer is returned."""
    at = now_ms()
    try:
        async with connection.begin_nested():
            await connection.execute(
                consumers.insert().values(
                    application_id=application_id,
                    consumer_id=consumer_id,
                    metadata=metadata,
                    created_at=at,
                    modified_at=at,
                    creation_key=creation_key,
                )
            )
    except IntegrityError as exc:
        existing = await get_consumer(connection, application_id=application_id, consumer_id=consumer_id)
        if existing is None or creation_key is None or existing.creation_key != creation_key:
            raise ConsumerExists(consumer_id) from exc
        return existing
    return await _written_consumer(connection, application_id=application_id, consumer_id=consumer_id)


async def _written_consumer(connection: AsyncConnection, *, application_id: str, consumer_id: str) -> Consumer:
    """The consumer as stored now, read in the transaction that just wrote it (so it is there)."""
    query = select(consumers).where(
        consumers.c.application_id == application_id, consumers.c.consumer_id == consumer_id
    )
    return _from_row((await connection.execute(query)).one())


async def get_consumer(connection: AsyncConnection, *, application_id: str, consumer_id: str) -> Consumer | None:
    query = select(consumers).where(
        consumers.c.application_id == application_id, consumers.c.consumer_id == consumer_id
    )
    row = (await connection.execute(query)).first()
    return _from_row(row) if row else None


@dataclass(frozen=True, slots=True)
class ConsumersFilter:
    """Apideck's ``filter[consumer_id]`` (prefix of the id) and ``filter[search]`` (a substring,
    any case, of the id, email, account name or user name)."""

    id_prefix: str | None = None
    search: str | None = None


def _filter_conditions(wanted: ConsumersFilter) -> list[ColumnElement[bool]]:
    c = consumers.c
    found: list[ColumnElement[bool]] = []
    if wanted.id_prefix:
        found.append(c.consumer_id.startswith(wanted.id_prefix, autoescape=True))
    if wanted.search:
        needle = wanted.search.lower()
        searched = [c.consumer_id, *(c.metadata[key].as_string() for key in ("email", "account_name", "user_name"))]
        found.append(or_(*(func.lower(column).contains(needle, autoescape=True) for column in searched)))
    return found


async def list_consumers(
    connection: AsyncConnection,
    *,
    application_id: str,
    after_pk: int | None,
    limit: int,
    wanted: ConsumersFilter | None = None,
) -> tuple[list[Consumer], int | None]:
    """A page of consumers in creation order, and the pk to continue after (None at the end)."""
    query = select(consumers).where(consumers.c.application_id == application_id)
    conditions = _filter_conditions(wanted) if wanted is not None else []
    if conditions:
        query = query.where(*conditions)
    if after_pk is not None:
        query = query.where(consumers.c.pk > after_pk)
    rows = (await connection.execute(query.order_by(consumers.c.pk).limit(limit + 1))).all()
    page = [_from_row(row) for row in rows[:limit]]
    return page, (page[-1].pk if len(rows) > limit else None)


async def update_consumer_metadata(
    connection: AsyncConnection, *, application_id: str, consumer_id: str, metadata: dict[str, Any]
) -> Consumer:
    """Replace an existing consumer's metadata (the caller has read it in this transaction)."""
    await connection.execute(
        update(consumers)
        .where(consumers.c.application_id == application_id, consumers.c.consumer_id == consumer_id)
        .values(metadata=metadata, modified_at=now_ms())
    )
    return await _written_consumer(connection, application_id=application_id, consumer_id=consumer_id)


async def delete_consumer(connection: AsyncConnection, *, application_id: str, consumer_id: str) -> bool:
    """Delete the consumer, its connections, and revoke every session it holds, in the caller's
    transaction."""
    result = await connection.execute(
        delete(consumers).where(consumers.c.application_id == application_id, consumers.c.consumer_id == consumer_id)
    )
    await revoke_consumer_sessions(connection, application_id=application_id, consumer_id=consumer_id)
    await delete_consumer_connections(connection, application_id=application_id, consumer_id=consumer_id)
    return bool(result.rowcount)
