"""One ``sqlite3`` connection on its own thread, for a writer that runs a whole transaction per call.

Through SQLAlchemy's aiosqlite adapter, every driver call of a transaction (cursor, execute,
close, commit, the pool's reset) is a hand-over to aiosqlite's thread and back: a group commit
of three statements took a dozen, each a cross-thread wake-up and a GIL hand-over costing more
than SQLite's work. ``SqliteWriter.run`` hands a whole transaction over once. The connection
has the engine's pragmas (WAL, ``synchronous=NORMAL``, the busy timeout, foreign keys), so it
waits for other writers (the engine's connections, other processes) exactly as they do.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from vaultline.db.engine import sqlite_pragmas
from vaultline.db.sqlite_files import keep_owner_only

T = TypeVar("T")


class SqliteWriter:
    def __init__(self, database_file: Path) -> None:
        self._file = database_file
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vaultline-sqlite-writer")
        self._connection: sqlite3.Connection | None = None  # used on the writer's thread only

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` on the writer's thread; its result or its exception."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._connection is None:
            self._connection = self._open()
        return work(self._connection)

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit BEGIN; the work says BEGIN and COMMIT itself.
        connection = sqlite3.connect(self._file, isolation_level=None)
        keep_owner_only(self._file)  # as the engine's connections do, before WAL creates its files
        sqlite_pragmas(connection, None)
        return connection

    def close(self) -> None:
        """Close the connection (on its thread) and stop the thread."""
        self._thread.submit(self._close).result()
        self._thread.shutdown(wait=True)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
