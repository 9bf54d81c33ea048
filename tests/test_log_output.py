"""``vaultline serve``'s log output: the same lines as ``logging.basicConfig`` writes, flushed
once per turn of the event loop while one runs and at once otherwise."""

from __future__ import annotations

import asyncio
import io
import logging

from vaultline.cli.log_output import LoopFlushedStreamHandler, SecondCachingFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def record_at(created: float) -> logging.LogRecord:
    record = logging.LogRecord("vaultline.access", logging.INFO, "", 0, "GET %s %d", ("/vault/x", 200), None)
    record.created = created
    record.msecs = float(int((created - int(created)) * 1000))
    return record


def test_lines_are_those_of_the_standard_formatter_across_seconds() -> None:
    standard, caching = logging.Formatter(FORMAT), SecondCachingFormatter(FORMAT)
    for step in range(40):
        record = record_at(1_764_100_000.5 + step * 0.37)
        assert caching.format(record) == standard.format(record)


async def test_lines_logged_in_one_loop_turn_are_flushed_once_after_it() -> None:
    stream = CountingStream()
    handler = LoopFlushedStreamHandler(stream)
    handler.setFormatter(SecondCachingFormatter(FORMAT))
    for _ in range(3):
        handler.handle(record_at(1_764_100_000.5))
    assert stream.flushes == 0
    await asyncio.sleep(0)
    assert stream.flushes == 1
    assert stream.getvalue().count("INFO vaultline.access: GET /vault/x 200\n") == 3


def test_outside_a_running_loop_each_line_is_flushed_at_once() -> None:
    stream = CountingStream()
    handler = LoopFlushedStreamHandler(stream)
    handler.handle(record_at(1_764_100_000.5))
    assert stream.flushes == 1
    asyncio.run(asyncio.sleep(0))  # a loop that ends with no flush pending leaves nothing behind
    handler.handle(record_at(1_764_100_001.5))
    assert stream.flushes == 2


def test_a_flush_left_pending_by_a_stopped_loop_does_not_hold_back_the_next_loops() -> None:
    stream = CountingStream()
    handler = LoopFlushedStreamHandler(stream)

    async def log_without_yielding() -> None:
        handler.handle(record_at(1_764_100_000.5))

    async def log_and_yield() -> None:
        handler.handle(record_at(1_764_100_001.5))
        await asyncio.sleep(0)

    with asyncio.Runner() as runner:
        runner.run(log_without_yielding())  # the loop stops before its flush runs... or just after
    flushes = stream.flushes
    asyncio.run(log_and_yield())
    assert stream.flushes > flushes
