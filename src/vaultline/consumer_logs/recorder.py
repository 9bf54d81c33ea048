"""Group commit for consumer log rows, off the request path.

The middleware hands each finished call to ``LogRecorder.enqueue``, which only appends to a
list: no await, no I/O. One writer task commits everything queued so far in one transaction,
after letting a batch gather for ``LINGER_SECONDS``, so a busy server pays one commit for many
calls instead of one each (a log row may show up that much later). Unlike minted sessions, a log
row is not worth failing or slowing a request for: when the database refuses a batch it is
dropped (and counted), and when the queue is full new rows are dropped rather than let
memory grow while the database is down.

A batch is written on the driver where it can be (db/driver_writes.py): SQLAlchemy's compiled
INSERT without its per-row work, in one hand-over to a writer thread on SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.db.driver_writes import CompiledWrite, DriverWriter
from vaultline.store.consumer_logs import LogEntry, compile_log_insert, insert_logs, log_values

log = logging.getLogger(__name__)

MAX_QUEUED = 10_000
MAX_BATCH = 1_000  # one INSERT stays well under both backends' parameter limits
LINGER_SECONDS = 0.05


class LogRecorder:
    def __init__(
        self, engine: AsyncEngine, *, max_queued: int = MAX_QUEUED, linger_seconds: float = LINGER_SECONDS
    ) -> None:
        self._engine = engine
        self._driver = DriverWriter(engine)
        self._insert: CompiledWrite | None = None
        self._max_queued = max_queued
        self._linger = linger_seconds
        self._hurry = asyncio.Event()  # flush() and close() skip the linger
        self._queue: list[LogEntry] = []
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.dropped = 0  # rows lost to a full queue or a failed write, since start

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="vaultline-consumer-log-writer")

    def enqueue(self, entry: LogEntry) -> None:
        if len(self._queue) >= self._max_queued:
            self.dropped += 1
            return
        self._queue.append(entry)
        self._idle.clear()
        self._wakeup.set()

    async def flush(self) -> None:
        """Wait until every row queued so far is committed (or dropped). For tests and shutdown."""
        if self._task is None or self._task.done():
            await self._drain()
            return
        self._hurry.set()
        await self._idle.wait()

    async def close(self) -> None:
        self._closing = True
        self._hurry.set()
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._drain()
        self._driver.close()

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), self._linger)
            self._wakeup.clear()
            self._hurry.clear()
            await self._drain()
            if self._closing:
                return

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self.write(batch)
            except Exception:
                self.dropped += len(batch)
                log.warning("could not record %d consumer log row(s); dropped", len(batch), exc_info=True)
        self._idle.set()

    async def write(self, batch: list[LogEntry]) -> None:
        if self._driver.on_driver:
            if self._insert is None:
                self._insert = compile_log_insert(self._engine.dialect)
            await self._driver.write([(self._insert, [log_values(entry) for entry in batch])])
            return
        async with self._engine.begin() as connection:
            await insert_logs(connection, batch)
