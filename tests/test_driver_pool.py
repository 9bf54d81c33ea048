"""The hot reads' own asyncpg pool on PostgreSQL (db/driver_pool.py): bounded with the engine's
pool to what VAULTLINE_DB_POOL_SIZE promises, closed with the runtime, and never handing out a
connection that a cancelled or failed read left in an unknown state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import Integer, bindparam, func, literal_column, select

from vaultline.config import Settings
from vaultline.db.driver_pool import DriverPoolClosed, driver_pool_size
from vaultline.db.hot_queries import HotQuery, hot_rows
from vaultline.runtime import Runtime

# 2 connections for the hot reads, 2 (+ 4 overflow) for the engine.
POOL_SIZE = 4
HOT_SIZE = 2
_ANSWER = HotQuery(select((literal_column("40") + bindparam("n", type_=Integer)).label("answer")))
_SLEEP = HotQuery(select(func.pg_sleep(bindparam("seconds")).label("slept")))
_DIVIDE = HotQuery(select(func.div(literal_column("12"), bindparam("by", type_=Integer)).label("quotient")))


def _small_pool(settings: Settings) -> Settings:
    if settings.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite reads inline (db/inline_reads.py)")
    return settings.model_copy(update={"db_pool_size": POOL_SIZE})


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    opened = await Runtime.open(_small_pool(settings), background=False)
    try:
        yield opened
    finally:
        await opened.close()


async def _hot(runtime: Runtime, query: HotQuery, **parameters: Any) -> list[Any]:
    async with runtime.reader() as reader:
        return await hot_rows(reader, query, parameters)


async def _answer(runtime: Runtime, n: int) -> int:
    answer: int = (await _hot(runtime, _ANSWER, n=n))[0].answer
    return answer


async def _backends(settings: Settings) -> int:
    """Connections to the test database, but for the one asking."""
    observer = await asyncpg.connect(settings.database_url)
    try:
        count: int = await observer.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await observer.close()
    return count


def _driver_connections_out(runtime: Runtime) -> int:
    return len(runtime._reads._driver_pool._out)  # type: ignore[union-attr]  # noqa: SLF001


def test_the_hot_reads_take_half_the_pool_size() -> None:
    assert [driver_pool_size(size) for size in (1, 2, POOL_SIZE, 32)] == [1, 1, HOT_SIZE, 16]


async def test_many_concurrent_reads_stay_within_the_pool_size_and_close_with_the_runtime(settings: Settings) -> None:
    runtime = await Runtime.open(_small_pool(settings), background=False)
    try:
        answers = await asyncio.gather(*(_answer(runtime, n) for n in range(50)))
        assert answers == [40 + n for n in range(50)]
        # The hot reads' 2 and the engine's 2 + 4 overflow at most (background=False: nothing else runs).
        assert 1 <= await _backends(settings) <= POOL_SIZE + 4
    finally:
        await runtime.close()
    # A backend may outlive its closed socket for a moment: wait (boundedly) for it to go.
    for _ in range(200):
        if await _backends(settings) == 0:
            break
        await asyncio.sleep(0.05)
    assert await _backends(settings) == 0
    with pytest.raises(DriverPoolClosed):
        await _answer(runtime, 1)


async def test_a_read_cancelled_mid_statement_gives_its_place_to_a_new_connection(runtime: Runtime) -> None:
    sleepers = [asyncio.create_task(_hot(runtime, _SLEEP, seconds=5)) for _ in range(HOT_SIZE)]
    while _driver_connections_out(runtime) < HOT_SIZE:  # each sleeper holds one, its statement sent
        await asyncio.sleep(0.01)
    waiting = asyncio.create_task(_answer(runtime, 2))  # no connection left for it yet
    await asyncio.sleep(0.05)
    assert not waiting.done()
    for task in sleepers:
        task.cancel()
    for task in sleepers:
        with pytest.raises(asyncio.CancelledError):
            await task
    # The cancelled reads' connections were terminated (never handed on mid-statement) and their
    # places given back: the waiting read and the next ones run on connections opened instead.
    assert await waiting == 42
    assert await asyncio.gather(*(_answer(runtime, n) for n in range(5))) == [40, 41, 42, 43, 44]
    assert _driver_connections_out(runtime) == 0


async def test_a_statement_the_server_refuses_leaves_a_usable_connection(runtime: Runtime) -> None:
    async with runtime.reader() as reader:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await hot_rows(reader, _DIVIDE, {"by": 0})
        assert (await hot_rows(reader, _DIVIDE, {"by": 4}))[0].quotient == 3  # the same reader goes on
    assert await _answer(runtime, 0) == 40


async def test_connections_the_server_closed_while_idle_are_replaced(runtime: Runtime, settings: Settings) -> None:
    assert await asyncio.gather(*(_answer(runtime, n) for n in range(HOT_SIZE * 3))) == [40 + n for n in range(6)]
    idle = list(runtime._reads._driver_pool._idle)  # type: ignore[union-attr]  # noqa: SLF001
    assert idle
    observer = await asyncpg.connect(settings.database_url)
    try:  # as a restarted server or an idle timeout would
        await observer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await observer.close()
    for _ in range(200):  # until the loop has read each connection's end
        if all(connection.is_closed() for connection in idle):
            break
        await asyncio.sleep(0.05)
    assert await asyncio.gather(*(_answer(runtime, n) for n in range(HOT_SIZE * 3))) == [40 + n for n in range(6)]
