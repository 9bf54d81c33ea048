"""Where ``vaultline serve`` writes its log lines: standard error, flushed once per turn of the
event loop instead of once per line, with the same lines as ``logging.basicConfig`` writes.

Every request logs an access line; written and flushed on its own it costs a ``write`` system
call each. Under load the loop serves many requests per turn, so their lines go out together.
A line waits at most until the loop's next turn; outside a running loop (start-up, other
threads, shutdown) a line is flushed at once, as before.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TextIO


class LoopFlushedStreamHandler(logging.StreamHandler[TextIO]):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._flush_scheduled_on: asyncio.AbstractEventLoop | None = None

    def flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            super().flush()
            return
        # Compared by loop: a flush left pending by a loop that stopped must not block the next one's.
        if self._flush_scheduled_on is not loop:
            self._flush_scheduled_on = loop
            loop.call_soon(self._flush_now)

    def _flush_now(self) -> None:
        self._flush_scheduled_on = None
        super().flush()  # takes the handler's lock

    def close(self) -> None:
        super().flush()
        super().close()


class SecondCachingFormatter(logging.Formatter):
    """``%(asctime)s`` from one ``strftime`` per second rather than per line; the same text."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self._second = -1
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = second
        msec_format = self.default_msec_format
        return msec_format % (self._second_text, record.msecs) if msec_format else self._second_text


def buffered_stderr() -> TextIO:
    """Standard error's file, block-buffered: the handler above decides when it is flushed."""
    return open(  # noqa: SIM115 (lives as long as the process; closefd=False leaves fd 2 open)
        sys.stderr.fileno(),
        "w",
        buffering=64 * 1024,
        encoding=sys.stderr.encoding,
        errors=sys.stderr.errors,
        closefd=False,
    )


def log_to_stderr(fmt: str) -> None:
    """``logging.basicConfig(level=INFO, format=fmt)``, written through the handler above."""
    handler = LoopFlushedStreamHandler(buffered_stderr())
    handler.setFormatter(SecondCachingFormatter(fmt))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
