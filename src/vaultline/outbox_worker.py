"""The skeleton of a worker that delivers a durable outbox (webhook events, emails).

Rows are enqueued in the same transaction as the change that causes them; the worker claims
due rows under a lease (so instances never deliver the same row at once), attempts each and
records the outcome, retrying failures with backoff. A commit that enqueued a row wakes this
process's worker at once (a flag on the database connection, read by a commit hook); other
instances find the row at their next poll. A subclass says how to find, claim and attempt rows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vaultline.clock import now_ms

log = logging.getLogger(__name__)

Item = TypeVar("Item")

# After a wake-up the commit may still be in flight (SQLAlchemy's commit hook runs just before
# the database commits): look again briefly before going back to polling.
_WAKE_RETRIES, _WAKE_RETRY_SECONDS = 25, 0.02


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Wait before the retry after failed attempt ``attempt`` (1-based): base·2^(n-1), ±25 %, capped."""
    wait: float = base * 2.0 ** min(attempt - 1, 40) * random.uniform(0.75, 1.25)
    return min(cap, wait)


class OutboxWorker(ABC, Generic[Item]):
    what: str  # for logs: "webhook", "email"
    enqueued_flag: str  # set in ``connection.info`` by whoever enqueues a row
    concurrent: bool  # attempt a claimed batch at once, or one row after another

    def __init__(self, engine: AsyncEngine, *, poll_seconds: float, stop_seconds: float, lease_ms: int) -> None:
        self.engine = engine
        self.worker_id = f"{socket.gethostname()[:24]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.lease_ms = lease_ms
        self._poll_seconds = poll_seconds
        self._stop_seconds = stop_seconds
        self._wake = asyncio.Event()
        self._next_retry_at: int | None = None  # the earliest retry this worker scheduled
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def has_due(self, connection: AsyncConnection, now: int) -> bool:
        """A cheap look, so an idle poll takes no write lock."""

    @abstractmethod
    async def claim_due(self, connection: AsyncConnection, now: int) -> Sequence[Item]:
        """Lease a batch of due rows to this worker (inside a transaction)."""

    @abstractmethod
    async def attempt(self, item: Item) -> None:
        """Deliver one claimed row once and record the outcome (calling ``retry_at`` for a retry)."""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Held while the worker runs: a subclass opens what its attempts share (an HTTP client)."""
        yield

    def install_commit_hook(self) -> None:
        """Wake this worker when a transaction that enqueued a row commits."""

        def on_commit(connection: Connection) -> None:
            if connection.info.pop(self.enqueued_flag, False):
                self._wake.set()

        def on_rollback(connection: Connection) -> None:
            connection.info.pop(self.enqueued_flag, None)

        event.listen(self.engine.sync_engine, "commit", on_commit)
        event.listen(self.engine.sync_engine, "rollback", on_rollback)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.install_commit_hook()
        self._task = asyncio.create_task(self.run(), name=f"vaultline-{self.what}-delivery")

    async def close(self) -> None:
        """Finish the attempts in flight (their results are recorded), then stop; a worker that
        does not stop in time is cancelled, and its leased rows are retried after the lease."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._task, timeout=self._stop_seconds)
        except TimeoutError:
            pass  # wait_for cancelled it

    def retry_at(self, at_ms: int) -> None:
        """A retry is due at ``at_ms``: wake up for it even if that is before the next poll."""
        self._next_retry_at = min(at_ms, self._next_retry_at or at_ms)

    async def run(self) -> None:
        async with self.running():
            while not self._stopping:
                woken = await self._wait()
                for _ in range(_WAKE_RETRIES if woken else 1):
                    if self._stopping:
                        return
                    if await self._deliver_due_safely():
                        while not self._stopping and await self._deliver_due_safely():
                            pass
                        break
                    await asyncio.sleep(_WAKE_RETRY_SECONDS)

    async def deliver_due(self) -> int:
        """Claim the due rows and attempt each once; how many were claimed."""
        async with self.engine.connect() as connection:
            if not await self.has_due(connection, now_ms()):
                return 0
        async with self.engine.begin() as connection:
            claimed = await self.claim_due(connection, now_ms())
        if self.concurrent:
            await asyncio.gather(*(self.attempt(item) for item in claimed))
        else:
            for item in claimed:
                await self.attempt(item)
        return len(claimed)

    async def _wait(self) -> bool:
        timeout = self._poll_seconds
        if self._next_retry_at is not None:
            timeout = max(0.0, min(timeout, (self._next_retry_at - now_ms()) / 1000))
            self._next_retry_at = None
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except TimeoutError:
            return False
        self._wake.clear()
        return True

    async def _deliver_due_safely(self) -> int:
        try:
            return await self.deliver_due()
        except Exception:  # the database may be briefly unreachable: keep the worker alive
            log.exception("%s delivery pass failed; retrying at the next poll", self.what)
            return 0
