"""Group commit for minted sessions.

Minting a session writes two small rows (the consumer upsert and the session record) and
must not answer before they are durable: revocation and listing depend on them. One
transaction per request would make the commit the bottleneck, so requests queue their rows
and a single writer commits everything queued so far in one transaction, then wakes each
waiting request. Under load batches grow by themselves; with one request in flight the
batch is one request, so no latency is added. If a batch fails, its items are retried one
by one so a bad row only fails its own request.

A batch runs on the driver (store/session_batches.py: SQLAlchemy's own compiled statements and
bind processors, without its per-execute work): on an SQLite file as one hand-over to a writer
thread with its own connection (db/sqlite_writer.py), on PostgreSQL with asyncpg's
``executemany`` on a pooled connection. Any other database (an in-memory SQLite) goes through
SQLAlchemy as before.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.db.sqlite_files import sqlite_database_file
from vaultline.db.sqlite_writer import SqliteWriter
from vaultline.errors import ServiceUnavailable
from vaultline.store.consumers import ConsumerUpsert, upsert_consumers
from vaultline.store.session_batches import (
    BatchWrites,
    compile_batch_writes,
    write_batch_asyncpg,
    write_batch_sqlite,
)
from vaultline.store.sessions import SessionRecord, insert_sessions

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    consumer: ConsumerUpsert
    session: SessionRecord
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class SessionRecorder:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._queue: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._writes: BatchWrites | None = None
        self._sqlite: SqliteWriter | None = None
        self._on_asyncpg = engine.dialect.driver == "asyncpg"
        if engine.dialect.name == "sqlite":
            database_file = sqlite_database_file(engine.url.render_as_string(hide_password=False))
            self._sqlite = SqliteWriter(database_file) if database_file is not None else None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="vaultline-session-recorder")

    async def record(self, consumer: ConsumerUpsert, session: SessionRecord) -> None:
        """Return once both rows are committed; raise what the database raised otherwise."""
        if self._task is None or self._closing:
            try:
                await self._write([_Pending(consumer, session)])
            except Exception as exc:
                log.exception("could not record a minted session")
                raise _storage_error() from exc
            return
        pending = _Pending(consumer, session)
        self._queue.append(pending)
        self._wakeup.set()
        await asyncio.shield(pending.done)  # a disconnecting client must not cancel others' commit

    async def close(self) -> None:
        """Commit whatever is queued, then stop the writer."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
        sqlite, self._sqlite = self._sqlite, None  # a late record() goes through SQLAlchemy
        if sqlite is not None:
            sqlite.close()

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._queue = self._queue, []
            if batch:
                await self._commit(batch)
            if self._closing and not self._queue:
                return

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            await self._write(batch)
        except Exception:
            if len(batch) == 1:
                log.exception("could not record a minted session")
                _settle(batch[0], error=True)
                return
            for item in batch:  # isolate the bad row: everyone else still succeeds
                await self._commit([item])
            return
        for item in batch:
            _settle(item)

    async def _write(self, batch: list[_Pending]) -> None:
        consumers = [item.consumer for item in batch]
        records = [item.session for item in batch]
        sqlite = self._sqlite
        if sqlite is not None:
            writes = self._batch_writes()
            await sqlite.run(lambda connection: write_batch_sqlite(connection, writes, consumers, records))
        elif self._on_asyncpg:
            await self._write_asyncpg(consumers, records)
        else:
            async with self._engine.begin() as connection:
                await upsert_consumers(connection, consumers)
                await insert_sessions(connection, records)

    async def _write_asyncpg(self, consumers: list[ConsumerUpsert], records: list[SessionRecord]) -> None:
        writes = self._batch_writes()
        # Nothing runs through SQLAlchemy on this connection, so it opens no transaction of its
        # own and the pool's reset on return has nothing to roll back.
        async with self._engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            try:
                await write_batch_asyncpg(driver, writes, consumers, records)
            except Exception:
                if driver.is_closed():  # a lost connection must not go back to the pool
                    await connection.invalidate()
                raise

    def _batch_writes(self) -> BatchWrites:
        if self._writes is None:
            self._writes = compile_batch_writes(self._engine.dialect)
        return self._writes


def _settle(item: _Pending, *, error: bool = False) -> None:
    if item.done.done():
        return
    if error:
        item.done.set_exception(_storage_error())
    else:
        item.done.set_result(None)


def _storage_error() -> ServiceUnavailable:
    return ServiceUnavailable("The session could not be stored; please retry", headers={"Retry-After": "1"})
