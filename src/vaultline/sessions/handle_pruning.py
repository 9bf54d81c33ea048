"""Hosted Vault handles (store/hosted_handles.py) outlive nothing: a handle stops with its
session, and no session lasts longer than ``MAX_SESSION_SECONDS``. Handles older than that (and
a day, for clocks and leeway) are deleted in the background (db/pruning.py), so the table holds
about a week of openings, not every opening ever made."""

from __future__ import annotations

import functools

from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.clock import now_ms
from vaultline.config import MAX_SESSION_SECONDS
from vaultline.db.pruning import PRUNE_BATCH, keep_pruning, prune_in_batches
from vaultline.store.hosted_handles import delete_handles_before

HANDLE_KEPT_MS = (MAX_SESSION_SECONDS + 24 * 3600) * 1000


async def prune_hosted_handles(engine: AsyncEngine, *, batch_size: int = PRUNE_BATCH) -> int:
    cutoff = now_ms() - HANDLE_KEPT_MS
    return await prune_in_batches(
        engine,
        lambda connection, size: delete_handles_before(connection, cutoff_ms=cutoff, batch_size=size),
        batch_size=batch_size,
    )


async def keep_hosted_handles_pruned(engine: AsyncEngine) -> None:
    await keep_pruning("Hosted Vault handles of ended sessions", functools.partial(prune_hosted_handles, engine))
