"""Retention: consumer log rows older than ``VAULTLINE_LOG_RETENTION_DAYS`` are deleted by a
background task on every instance (db/pruning.py)."""

from __future__ import annotations

import functools

from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.clock import now_ms
from vaultline.db.pruning import PRUNE_BATCH, keep_pruning, prune_in_batches
from vaultline.store.consumer_logs import delete_logs_before

DAY_MS = 24 * 3600 * 1000


async def prune_consumer_logs(engine: AsyncEngine, *, retention_days: int, batch_size: int = PRUNE_BATCH) -> int:
    """Delete every row older than the retention."""
    cutoff = now_ms() - retention_days * DAY_MS
    return await prune_in_batches(
        engine,
        lambda connection, size: delete_logs_before(connection, cutoff_ms=cutoff, batch_size=size),
        batch_size=batch_size,
    )


async def keep_consumer_logs_pruned(engine: AsyncEngine, *, retention_days: int) -> None:
    prune = functools.partial(prune_consumer_logs, engine, retention_days=retention_days)
    await keep_pruning(f"consumer log rows older than {retention_days} days", prune)
