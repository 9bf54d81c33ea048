"""Retention: consumer log rows older than ``VAULTLINE_LOG_RETENTION_DAYS`` are deleted by a
background task on every instance (deleting is idempotent, so instances need no coordination),
in bounded batches so no transaction holds a lock on the table for long."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.clock import now_ms
from vaultline.store.consumer_logs import delete_logs_before

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000
PRUNE_BATCH = 1_000
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_FIRST_AFTER_SECONDS = 60.0


async def prune_consumer_logs(engine: AsyncEngine, *, retention_days: int, batch_size: int = PRUNE_BATCH) -> int:
    """Delete every row older than the retention, one short transaction per batch."""
    cutoff = now_ms() - retention_days * DAY_MS
    total = 0
    while True:
        async with engine.begin() as connection:
            deleted = await delete_logs_before(connection, cutoff_ms=cutoff, batch_size=batch_size)
        total += deleted
        if deleted < batch_size:
            return total
        await asyncio.sleep(0)  # let requests in between batches


async def keep_consumer_logs_pruned(engine: AsyncEngine, *, retention_days: int) -> None:
    await asyncio.sleep(PRUNE_FIRST_AFTER_SECONDS)  # not during start-up; short-lived processes never need it
    while True:
        try:
            deleted = await prune_consumer_logs(engine, retention_days=retention_days)
            if deleted:
                log.info("pruned %d consumer log rows older than %d days", deleted, retention_days)
        except Exception:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # A driver turned our cancellation (shutdown) into an error: honour it, or the
                # runtime would wait on this task for a whole interval.
                raise asyncio.CancelledError from None
            # A database hiccup must not end retention for the life of the process.
            log.warning("could not prune consumer logs; retrying in %.0f s", PRUNE_EVERY_SECONDS, exc_info=True)
        await asyncio.sleep(PRUNE_EVERY_SECONDS)
