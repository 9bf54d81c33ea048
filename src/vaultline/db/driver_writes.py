"""Batched INSERTs of the group-commit writers (minted sessions, consumer logs) compiled once per
dialect and run on the driver's own ``executemany``, one transaction per batch.

Minting's profile spent as much time in SQLAlchemy compiling, binding and wrapping each batch's
statements, and in aiosqlite's per-call thread hand-overs, as the database spent writing them.
A ``CompiledWrite`` is the statement SQLAlchemy itself compiles (the same SQL text it would send
for that executemany) with its bind processors (JSON through the engine's serializer), so the
rows are the ones SQLAlchemy would write (tests/test_session_batches.py compares them).

``DriverWriter`` runs a batch on an SQLite file as one hand-over to a writer thread with its own
connection (db/sqlite_writer.py), and on PostgreSQL with asyncpg's ``executemany`` on a pooled
connection. Elsewhere (an in-memory SQLite) ``on_driver`` is false and callers write through
SQLAlchemy as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import Insert

from vaultline.db.sqlite_files import sqlite_database_file
from vaultline.db.sqlite_writer import SqliteWriter


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


# What a batch writes, in order: each statement with its rows' values (column key → value).
Batch = Sequence[tuple[CompiledWrite, Sequence[dict[str, Any]]]]


def compile_write(statement: Insert, keys: Iterable[str], dialect: Dialect) -> CompiledWrite:
    """``statement`` for rows of exactly ``keys``, as ``Connection.execute`` compiles a
    multi-row execute (sorted column keys, for executemany), for one engine's ``dialect``."""
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys), for_executemany=True)
    positions = compiled.positiontup
    if positions is None or compiled.insert_prefetch or compiled.post_compile_params:
        raise ValueError(f"{dialect.name}: a driver write needs a positional paramstyle and no defaults to prefetch")
    processors = compiled._bind_processors  # noqa: SLF001 — the processors SQLAlchemy would apply
    return CompiledWrite(
        sql=compiled.string,
        parameter_names=tuple(positions),
        processors=tuple(_single(processors.get(name)) for name in positions),
    )


def _single(processor: object) -> Callable[[Any], Any] | None:
    if processor is None or callable(processor):
        return processor
    raise ValueError("a driver write binds no tuples")


class DriverWriter:
    """One engine's route to the driver for batched writes; ``close`` when the engine closes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._asyncpg = engine.dialect.driver == "asyncpg"
        self._sqlite: SqliteWriter | None = None
        if engine.dialect.name == "sqlite":
            database_file = sqlite_database_file(engine.url.render_as_string(hide_password=False))
            self._sqlite = SqliteWriter(database_file) if database_file is not None else None

    @property
    def on_driver(self) -> bool:
        """False: write through SQLAlchemy instead (an in-memory SQLite, another driver, closed)."""
        return self._sqlite is not None or self._asyncpg

    async def write(self, batch: Batch) -> None:
        """Everything in ``batch`` in one transaction, committed when this returns."""
        if not self.on_driver:
            raise RuntimeError("no driver route: write through SQLAlchemy")
        # Bound here, on the loop's thread: the SQLite writer's thread then runs only the driver,
        # which lets go of the GIL while SQLite works, instead of competing with the loop for it.
        statements = [(write.sql, write.rows(values)) for write, values in batch]
        sqlite = self._sqlite
        if sqlite is not None:
            await sqlite.run(lambda connection: _write_sqlite(connection, statements))
        else:
            await self._write_asyncpg(statements)

    async def _write_asyncpg(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        # Nothing runs through SQLAlchemy on this connection, so it opens no transaction of its
        # own and the pool's reset on return has nothing to roll back. asyncpg keeps each
        # statement prepared per connection; the JSON codecs are the ones SQLAlchemy set up.
        async with self._engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            try:
                async with driver.transaction():
                    for sql, rows in statements:
                        await driver.executemany(sql, rows)
            except Exception:
                if driver.is_closed():  # a lost connection must not go back to the pool
                    await connection.invalidate()
                raise

    def close(self) -> None:
        """Stop the SQLite writer thread; later writes go through SQLAlchemy (``on_driver``)."""
        sqlite, self._sqlite = self._sqlite, None
        self._asyncpg = False
        if sqlite is not None:
            sqlite.close()


def _write_sqlite(connection: sqlite3.Connection, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    """One transaction on a ``sqlite3`` connection in autocommit mode (``isolation_level=None``).
    IMMEDIATE takes the write lock first, as pysqlite's deferred BEGIN did at the first INSERT."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in statements:
            connection.executemany(sql, rows)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
