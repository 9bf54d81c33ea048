"""Deleting what is no longer needed, in the background on every instance: deleting is
idempotent, so instances need no coordination, and it goes in bounded batches so no transaction
holds a lock on a table for long."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

PRUNE_BATCH = 1_000
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_FIRST_AFTER_SECONDS = 60.0

# Deletes at most ``batch_size`` rows and says how many went.
DeleteBatch = Callable[[AsyncConnection, int], Awaitable[int]]


async def prune_in_batches(engine: AsyncEngine, delete_batch: DeleteBatch, *, batch_size: int = PRUNE_BATCH) -> int:
    """Run ``delete_batch`` until a batch comes back short, one short transaction per batch."""
    total = 0
    while True:
        async with engine.begin() as connection:
            deleted = await delete_batch(connection, batch_size)
        total += deleted
        if deleted < batch_size:
            return total
        await asyncio.sleep(0)  # let requests in between batches


async def keep_pruning(what: str, prune: Callable[[], Awaitable[int]]) -> None:
    """Call ``prune`` a minute after start-up, then hourly, for the life of the process."""
    await asyncio.sleep(PRUNE_FIRST_AFTER_SECONDS)  # not during start-up; short-lived processes never need it
    while True:
        try:
            deleted = await prune()
            if deleted:
                log.info("pruned %d %s", deleted, what)
        except Exception:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # A driver turned our cancellation (shutdown) into an error: honour it, or the
                # runtime would wait on this task for a whole interval.
                raise asyncio.CancelledError from None
            # A database hiccup must not end pruning for the life of the process.
            log.warning("could not prune %s; retrying in %.0f s", what, PRUNE_EVERY_SECONDS, exc_info=True)
        await asyncio.sleep(PRUNE_EVERY_SECONDS)
