"""Group commit for minted sessions.

Minting a session writes two small rows (the consumer upsert and the session record) and
must not answer before they are durable: revocation and listing depend on them. One
transaction per request would make the commit the bottleneck, so requests queue their rows
and a single writer commits everything queued so far in one transaction, then wakes each
waiting request. Under load batches grow by themselves; with one request in flight the
batch is one request, so no latency is added. If a batch fails, its items are retried one
by one so a bad row only fails its own request.

A batch runs on the driver where it can (db/driver_writes.py, with the statements of
store/session_batches.py): SQLAlchemy's own compiled statements and bind processors without its
per-execute work, in one hand-over to a writer thread on SQLite. Any other database (an
in-memory SQLite) goes through SQLAlchemy as before.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.db.driver_writes import DriverWriter
from vaultline.errors import ServiceUnavailable
from vaultline.store.consumers import ConsumerUpsert, upsert_consumers
from vaultline.store.session_batches import SessionBatchWrites, compile_session_batch_writes
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
        self._driver = DriverWriter(engine)
        self._writes: SessionBatchWrites | None = None

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
        self._driver.close()  # a late record() goes through SQLAlchemy

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
        if self._driver.on_driver:
            if self._writes is None:
                self._writes = compile_session_batch_writes(self._engine.dialect)
            await self._driver.write(self._writes.batch(consumers, records))
            return
        async with self._engine.begin() as connection:
            await upsert_consumers(connection, consumers)
            await insert_sessions(connection, records)


def _settle(item: _Pending, *, error: bool = False) -> None:
    if item.done.done():
        return
    if error:
        item.done.set_exception(_storage_error())
    else:
        item.done.set_result(None)


def _storage_error() -> ServiceUnavailable:
    return ServiceUnavailable("The session could not be stored; please retry", headers={"Retry-After": "1"})
