"""The group commit's writes (store/consumers.py's upsert, store/sessions.py's insert) compiled
once per dialect and run on the driver's own ``executemany``.

Minting's profile spent as much time in SQLAlchemy compiling, binding and wrapping each batch's
two or three statements, and in aiosqlite's per-call thread hand-overs, as SQLite spent writing
them. A ``CompiledWrite`` is the statement SQLAlchemy itself compiles (the same SQL text it
would send) with its bind processors (JSON serialisation through the engine's serializer), so
the rows written are the ones SQLAlchemy would write (tests/test_session_batches.py compares
them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

from vaultline.db.schema import consumers, sessions
from vaultline.store.consumers import ConsumerUpsert, consumer_upsert_groups, consumer_values
from vaultline.store.sessions import SESSION_COLUMNS, SessionRecord, session_values


@dataclass(frozen=True, slots=True)
class CompiledWrite:
    sql: str
    parameter_names: tuple[str, ...]  # in the order the driver's placeholders take them
    processors: tuple[Callable[[Any], Any] | None, ...]

    def rows(self, values: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's parameters as SQLAlchemy would bind them for the driver."""
        pairs = tuple(zip(self.parameter_names, self.processors, strict=True))
        return [
            tuple(value[name] if process is None else process(value[name]) for name, process in pairs)
            for value in values
        ]


@dataclass(frozen=True, slots=True)
class BatchWrites:
    """A dialect's three statements of the group commit."""

    upsert_with_metadata: CompiledWrite
    insert_missing_consumers: CompiledWrite
    insert_sessions: CompiledWrite

    def statements(
        self, consumer_upserts: Sequence[ConsumerUpsert], records: Sequence[SessionRecord]
    ) -> list[tuple[CompiledWrite, list[tuple[Any, ...]]]]:
        """What one batch runs, in order (the order store/consumers.py and store/sessions.py
        run them in): consumers first, since a session's consumer must exist."""
        with_metadata, without = consumer_upsert_groups(consumer_upserts)
        found: list[tuple[CompiledWrite, list[tuple[Any, ...]]]] = []
        if with_metadata:
            upsert = self.upsert_with_metadata
            found.append((upsert, upsert.rows(map(consumer_values, with_metadata))))
        if without:
            missing = self.insert_missing_consumers
            found.append((missing, missing.rows(map(consumer_values, without))))
        if records:
            found.append((self.insert_sessions, self.insert_sessions.rows(map(session_values, records))))
        return found


def _insert(dialect: Dialect, table: Table) -> Any:
    return postgresql.insert(table) if dialect.name == "postgresql" else sqlite.insert(table)


def compile_batch_writes(dialect: Dialect) -> BatchWrites:
    """The statements compiled for one engine's dialect (its JSON serializer is part of the bind
    processors): compile once per engine and keep."""
    consumer_keys = ["application_id", "consumer_id", "metadata", "custom_settings", "created_at", "modified_at"]
    upsert = _insert(dialect, consumers)
    upsert = upsert.on_conflict_do_update(
        index_elements=["application_id", "consumer_id"],
        set_={
            "metadata": upsert.excluded.metadata,
            "custom_settings": upsert.excluded.custom_settings,
            "modified_at": upsert.excluded.modified_at,
        },
    )
    missing = _insert(dialect, consumers).on_conflict_do_nothing(index_elements=["application_id", "consumer_id"])
    return BatchWrites(
        upsert_with_metadata=_compile(upsert, consumer_keys, dialect),
        insert_missing_consumers=_compile(missing, consumer_keys, dialect),
        insert_sessions=_compile(sessions.insert(), list(SESSION_COLUMNS), dialect),
    )


def _compile(statement: Insert, keys: list[str], dialect: Dialect) -> CompiledWrite:
    # As Connection.execute compiles a multi-row execute: sorted column keys, for executemany.
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys), for_executemany=True)
    positions = compiled.positiontup
    if positions is None or compiled.insert_prefetch or compiled.post_compile_params:
        raise ValueError(f"{dialect.name}: a batch write needs a positional paramstyle and no defaults to prefetch")
    processors = compiled._bind_processors  # noqa: SLF001 — the processors SQLAlchemy would apply
    return CompiledWrite(
        sql=compiled.string,
        parameter_names=tuple(positions),
        processors=tuple(_single(processors.get(name)) for name in positions),
    )


def _single(processor: object) -> Callable[[Any], Any] | None:
    if processor is None or callable(processor):
        return processor
    raise ValueError("a batch write binds no tuples")


def write_batch_sqlite(
    connection: sqlite3.Connection,
    writes: BatchWrites,
    consumer_upserts: Sequence[ConsumerUpsert],
    records: Sequence[SessionRecord],
) -> None:
    """One transaction on a ``sqlite3`` connection in autocommit mode (``isolation_level=None``).
    IMMEDIATE takes the write lock first, as the deferred BEGIN did at its first INSERT."""
    statements = writes.statements(consumer_upserts, records)
    connection.execute("BEGIN IMMEDIATE")
    try:
        for write, rows in statements:
            connection.executemany(write.sql, rows)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


async def write_batch_asyncpg(
    driver: Any,
    writes: BatchWrites,
    consumer_upserts: Sequence[ConsumerUpsert],
    records: Sequence[SessionRecord],
) -> None:
    """One transaction on an asyncpg connection (SQLAlchemy's own pooled one, with the JSON
    codecs its dialect sets up); asyncpg keeps each statement prepared per connection."""
    statements = writes.statements(consumer_upserts, records)
    async with driver.transaction():
        for write, rows in statements:
            await driver.executemany(write.sql, rows)
