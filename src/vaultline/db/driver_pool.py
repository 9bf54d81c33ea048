"""PostgreSQL: a small pool of asyncpg connections of its own for the hot paths' reads.

A hot read through the engine checked a connection out of SQLAlchemy's pool (greenlet hops for
the checkout and for the raw connection, pool events, reset and isolation level on return):
~70 µs of CPU before asyncpg's ``fetch`` (~25 µs) ran, twice on the paths that read twice.
asyncpg's own ``Pool`` costs ~35 µs more than a list per checkout (its release runs in a task
of its own under ``asyncio.shield``, and by default sends a reset query). The hot reads need
none of that: each is one SELECT in autocommit that leaves nothing behind on the connection
(no transaction, no session settings, no LISTEN), so a connection goes back as it came.

What it keeps: at most ``size`` connections, opened when first needed with the engine's own
connect arguments and JSON codecs (so rows decode as through SQLAlchemy), never closed while
usable. A connection comes back to the pool only if its last statement finished or failed on
the server with the connection idle; anything else (a cancelled request, a lost socket, an
error on the client side) terminates it, and a waiting request opens another in its place.
``close`` closes the idle ones and terminates any still out; nothing is opened after it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

_CLOSE_TIMEOUT_SECONDS = 5


def driver_pool_size(db_pool_size: int) -> int:
    """The hot reads' share of ``VAULTLINE_DB_POOL_SIZE``; the engine keeps the rest (db/engine.py),
    so a process still opens at most ``1.25 × db_pool_size`` connections (the engine's overflow)."""
    return max(1, db_pool_size // 2)


class DriverPoolClosed(RuntimeError):
    """A read asked for a connection after the runtime closed its pool."""


class DriverPool:
    """At most ``size`` asyncpg connections, handed out one per reader (db/inline_reads.py)."""

    def __init__(self, engine: AsyncEngine, size: int) -> None:
        args, options = engine.dialect.create_connect_args(engine.url)
        # What SQLAlchemy's adapter takes for itself before calling asyncpg.connect.
        options.pop("prepared_statement_cache_size", None)
        options.pop("prepared_statement_name_func", None)
        self._connect_with: Callable[..., Awaitable[Any]] = options.pop("async_creator_fn", asyncpg.connect)
        self._connect_args = (tuple(args), options)
        # The asyncpg dialect's codec hooks are untyped.
        self._dialect: Any = engine.dialect
        self._size = size
        self._opened = 0  # connections open or being opened, idle or out
        self._idle: list[Any] = []  # the most recently used last: it is the warmest
        self._out: set[Any] = set()
        # Readers waiting for a connection: each is handed one, or None (a slot to open one in).
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._closed = False

    async def acquire(self) -> Any:
        while True:
            if self._closed:
                raise DriverPoolClosed("the hot reads' connection pool is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    self._out.add(connection)
                    return connection
                connection.terminate()  # closed by the server while idle: free what is left of it
                self._opened -= 1
            if self._opened < self._size:
                return await self._open()
            handed = await self._wait()
            if handed is not None:
                self._out.add(handed)
                return handed

    def release(self, connection: Any, *, reusable: bool) -> None:
        """Back to the pool, or terminated unless ``reusable`` and idle on the server."""
        self._out.discard(connection)
        if self._closed:
            connection.terminate()
            return
        if not reusable or connection.is_closed() or connection.is_in_transaction():
            connection.terminate()
            self._opened -= 1
            self._hand_over(None)
            return
        self._hand_over(connection)

    async def close(self) -> None:
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(DriverPoolClosed("the hot reads' connection pool is closed"))
        for connection in self._out:  # a request still reading while the server stops
            connection.terminate()
        self._out.clear()
        idle, self._idle = self._idle, []
        self._opened = 0
        results = await asyncio.gather(
            *(connection.close(timeout=_CLOSE_TIMEOUT_SECONDS) for connection in idle), return_exceptions=True
        )
        for connection, result in zip(idle, results, strict=True):
            if isinstance(result, BaseException):
                connection.terminate()

    async def _open(self) -> Any:
        self._opened += 1
        try:
            args, options = self._connect_args
            connection = await self._connect_with(*args, **options)
            try:
                await self._set_codecs(connection)
            except BaseException:
                connection.terminate()
                raise
        except BaseException:
            self._opened -= 1
            self._hand_over(None)
            raise
        if self._closed:
            connection.terminate()
            raise DriverPoolClosed("the hot reads' connection pool is closed")
        self._out.add(connection)
        return connection

    async def _set_codecs(self, connection: Any) -> None:
        # The codecs SQLAlchemy's adapter sets on each of its connections (JSON decoded by the
        # driver, with the engine's deserializer), through the dialect's own hooks.
        adapted = SimpleNamespace(_connection=connection)
        await self._dialect.setup_asyncpg_json_codec(adapted)
        await self._dialect.setup_asyncpg_jsonb_codec(adapted)
        if getattr(self._dialect, "_native_inet_types", None) is False:  # as the dialect's on_connect
            await self._dialect._disable_asyncpg_inet_codecs(adapted)  # noqa: SLF001

    async def _wait(self) -> Any:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Handed a connection (or a slot) just as this reader was cancelled: pass it on.
                self._hand_over(waiter.result())
            else:
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    pass
            raise

    def _hand_over(self, connection: Any) -> None:
        """``connection`` (or, with None, the slot of one that was dropped) to the first waiter."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is None:
            return
        if self._closed:  # a reader handed it was cancelled while the pool closed
            connection.terminate()
        else:
            self._idle.append(connection)
