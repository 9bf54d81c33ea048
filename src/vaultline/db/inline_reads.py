"""The hot paths' reader connections: on SQLite, run on the event loop's own thread; on
PostgreSQL, straight on asyncpg (below).

aiosqlite runs every driver call on a worker thread and hands the result back through the
loop: one SELECT through SQLAlchemy's aiosqlite adapter costs four such hops (cursor, execute,
fetch, close) plus one for the reset when the connection goes back to the pool, each a
cross-thread wake-up and a GIL hand-over. The hot paths' reads are a few indexed lookups that
SQLite answers in tens of microseconds from its page cache, less than the hops around them, so
they run synchronously on the loop's thread through one plain ``sqlite3`` connection instead.

Why that is safe: with WAL, readers never wait for the writer, and each SELECT outside a
transaction sees everything committed before it (so a change committed by any process is seen
by the next read). The connection is ``query_only``: nothing can write through it. Writes stay
on the async engine. A reader waits only in SQLite's rare WAL recovery; ``busy_timeout`` bounds
that wait (and the loop's stall) to ``_BUSY_TIMEOUT_MS``.

PostgreSQL runs the hot queries on a connection of the reads' own asyncpg pool
(db/driver_pool.py), in autocommit, taken at the first hot query of a reader; anything else a
reader executes (an application's configuration after its version moved) goes through the
engine, on a connection in autocommit taken when first needed. In-memory or URI SQLite databases
read through the engine in autocommit. Either way each read statement sees everything committed
before it, which is all the hot paths ask.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection, SingletonThreadPool
from sqlalchemy.sql import Executable

from vaultline.db.driver_pool import DriverPool
from vaultline.db.hot_queries import HotQuery

_BUSY_TIMEOUT_MS = 2000


class _InlineConnection:
    """The part of ``AsyncConnection`` the store's read functions use, answered at once."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        return self._connection.execute(statement, parameters)

    async def run_hot(self, query: HotQuery, parameters: dict[str, Any]) -> list[Any]:
        """``query`` on the sqlite3 cursor itself (db/hot_queries.py)."""
        compiled = query.compiled_for(self._connection.dialect)
        cursor = _driver_of(self._connection.connection).execute(compiled.sql, compiled.parameters(parameters))
        try:
            return compiled.rows(cursor.fetchall())
        finally:
            cursor.close()


class _DriverConnection:
    """PostgreSQL: the hot queries straight on asyncpg (whose per-connection statement cache keeps
    them prepared), on a connection of the reads' pool; anything else through the engine."""

    __slots__ = ("_engine", "_dialect", "_pool", "_driver", "_reusable", "_engine_connection")

    def __init__(self, engine: AsyncEngine, dialect: Dialect, pool: DriverPool) -> None:
        self._engine = engine
        self._dialect = dialect
        self._pool = pool
        self._driver: Any = None
        self._reusable = True
        self._engine_connection: AsyncConnection | None = None

    async def __aenter__(self) -> _DriverConnection:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        driver, self._driver = self._driver, None
        if driver is not None:
            self._pool.release(driver, reusable=self._reusable)
        engine_connection, self._engine_connection = self._engine_connection, None
        if engine_connection is not None:
            await engine_connection.close()

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        connection = self._engine_connection
        if connection is None:
            connection = self._engine_connection = await self._engine.connect()
        return await connection.execute(statement, parameters)

    async def run_hot(self, query: HotQuery, parameters: dict[str, Any]) -> list[Any]:
        driver = self._driver
        if driver is None:
            driver = self._driver = await self._pool.acquire()
        compiled = query.compiled_for(self._dialect)
        try:
            raw = await driver.fetch(compiled.sql, *compiled.parameters(parameters))
        except asyncpg.PostgresError:
            raise  # the server refused the statement: the connection is idle again
        except BaseException:
            self._reusable = False  # cancelled mid-statement, lost, or refused before sending
            raise
        return compiled.rows(raw)


class Reads:
    """``connect()`` gives a connection for reads: inline on an SQLite file, on the reads' own
    asyncpg pool on PostgreSQL, else the engine's in autocommit."""

    def __init__(self, engine: AsyncEngine, sqlite_file: Path | None, *, driver_pool_size: int) -> None:
        # What reads through the engine share its pool; the isolation level is set on checkout and
        # undone on return.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._dialect = engine.dialect
        self._inline = None
        self._driver_pool = None
        if sqlite_file is not None:
            # One connection per thread that reads (the server's loop thread; a test or tool driving
            # the same runtime from another thread gets its own): sqlite3 objects stay in their thread.
            self._inline = create_engine(
                f"sqlite:///{sqlite_file}", poolclass=SingletonThreadPool, hide_parameters=True
            )
            event.listen(self._inline, "connect", _reader_pragmas)
        elif engine.dialect.driver == "asyncpg":
            self._driver_pool = DriverPool(engine, driver_pool_size)

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        if self._driver_pool is not None:
            reader = _DriverConnection(self._engine, self._dialect, self._driver_pool)
            return cast(AbstractAsyncContextManager[AsyncConnection], reader)
        if self._inline is not None:
            return self._connect_inline(self._inline)
        return self._engine.connect()

    @asynccontextmanager
    async def _connect_inline(self, inline: Engine) -> AsyncIterator[AsyncConnection]:
        with inline.connect() as connection:
            yield cast(AsyncConnection, _InlineConnection(connection))

    async def close(self) -> None:
        if self._driver_pool is not None:
            await self._driver_pool.close()
        if self._inline is not None:
            self._inline.dispose()


def _driver_of(pooled: PoolProxiedConnection) -> Any:
    """The DB-API driver's own connection under a checked-out pooled one (``None`` only once
    the pooled connection was invalidated, which cannot happen while it is checked out)."""
    driver = pooled.driver_connection
    if driver is None:
        raise RuntimeError("the database connection was invalidated while in use")
    return driver


def _reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()
