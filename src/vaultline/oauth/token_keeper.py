"""The token keeper: a background worker in every serving process that refreshes OAuth tokens
before anyone asks for them (docs/token-refresh.md).

Every ``token_refresh_poll_seconds`` it lists the connections whose ``refresh_due_at`` has
come (scheduled when their tokens were stored: a margin before expiry, at least daily for
providers that revoke idle refresh tokens, later after a failure) and refreshes each under the
same two locks a read takes: this process's per-connection lock, then the row lock, which on
PostgreSQL is taken with ``SKIP LOCKED`` so instances pass over a row another one is
refreshing. A claimed row is due by definition, and a refresh moves its due time on before the
lock is released, so one connection is refreshed once however many instances run.

``run_once`` is one pass (tests call it, with ``at_ms`` to move time on); ``start`` runs
passes until ``close``. A failing pass (database unreachable) is logged and the next one
comes at the usual interval: the loop never dies and never spins.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from vaultline.clock import now_ms
from vaultline.connection_ids import connection_id
from vaultline.oauth.refresh_outcomes import refresh_locked
from vaultline.runtime import Runtime
from vaultline.store.token_refresh import DueConnection, claim_due_connection, due_connections, set_refresh_due

log = logging.getLogger(__name__)

# Refreshes in flight at once: each holds a database connection while the provider answers.
CONCURRENCY = 4


@dataclass
class KeeperPass:
    """What one pass did: ``skipped`` rows were taken by another instance (or a read) first."""

    refreshed: int = 0
    failed: int = 0
    needs_auth: int = 0
    skipped: int = 0
    unscheduled: int = 0
    due: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)


class TokenKeeper:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.passes = 0  # completed passes, so a test can see the loop turn
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="vaultline-token-keeper")

    async def close(self) -> None:
        """Stop after the refreshes in flight (they finish and commit, or roll back on cancel)."""
        if self._task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, timeout=15)
        except TimeoutError:
            log.warning("token keeper did not stop within 15 s; its refreshes are retried by the next pass")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        settings = self.runtime.settings
        while not self._stop.is_set():
            full = False
            try:
                done = await self.run_once()
                full = done.due >= settings.token_refresh_batch
            except Exception:  # the database may be briefly unreachable: keep the keeper alive
                log.exception("token keeper pass failed; trying again at the next one")
            self.passes += 1
            if full:  # more are due than one pass takes: go on at once (but let others run)
                await asyncio.sleep(0)
                continue
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=settings.token_refresh_poll_seconds)
            except TimeoutError:
                pass

    async def run_once(self, *, at_ms: int | None = None) -> KeeperPass:
        """One pass: refresh every connection due at ``at_ms`` (now), up to the batch size."""
        at = at_ms or now_ms()
        async with self.runtime.engine.connect() as connection:
            due = await due_connections(connection, now=at, limit=self.runtime.settings.token_refresh_batch)
        result = KeeperPass(due=len(due))
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(item: DueConnection) -> None:
            async with gate:
                if self._stop.is_set():
                    return
                try:
                    outcome = await self._refresh(item, at)
                except Exception:  # one connection's trouble must not stop the others
                    failed = connection_id(item.unified_api, item.service_id)
                    log.exception("token keeper: refreshing %s failed", failed)
                    outcome = "failed"
                result.outcomes[f"{item.application_id}/{item.consumer_id}/{item.service_id}"] = outcome
                setattr(result, outcome, getattr(result, outcome) + 1)

        await asyncio.gather(*(one(item) for item in due))
        return result

    async def _refresh(self, item: DueConnection, at: int) -> str:
        runtime = self.runtime
        definition = runtime.catalog.find(unified_api=item.unified_api, service_id=item.service_id)
        async with runtime.oauth_refresh_locks.hold((item.application_id, item.pk)):
            async with runtime.engine.begin() as connection:
                current = await claim_due_connection(connection, pk=item.pk, now=at, ring=runtime.master_keys)
                if current is None:
                    return "skipped"  # refreshed by another instance or a read, or changed meanwhile
                credentials = current.oauth_credentials or {}
                if definition is None or definition.oauth is None or not credentials.get("refresh_token"):
                    # Removed from the catalog, or nothing to refresh with (tokens imported without one).
                    await set_refresh_due(connection, pk=item.pk, due_at=None)
                    return "unscheduled"
                refreshed = await refresh_locked(connection, runtime, definition, current, at_ms=at)
        return refreshed.outcome
