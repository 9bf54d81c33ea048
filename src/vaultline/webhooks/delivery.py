"""The delivery worker: claims due outbox events under a lease, POSTs each signed body to the
application's webhook URL, and records every attempt; failures retry with exponential backoff
and jitter until ``webhook_max_attempts``, then the event is dead-lettered.

Every serving process runs one; leases keep instances from sending the same event at once.
A commit that enqueued an event wakes this process's worker; other instances poll.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import time
from typing import Any

import httpx
import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline import __version__
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.net_guard import UnresolvableHost, UnsafeUrl, check_public_url
from vaultline.store.webhook_outbox import (
    Attempt,
    OutboxEvent,
    claim_due_events,
    has_due_events,
    record_attempt,
    release_event,
)
from vaultline.store.webhooks import get_webhook
from vaultline.webhooks.events import EVENTS_ENQUEUED
from vaultline.webhooks.signing import SIGNATURE_HEADER, apideck_signature, signature_header

log = logging.getLogger(__name__)

BATCH = 20
# After a wake-up the commit may still be in flight (SQLAlchemy's commit hook runs just before
# the database commits): look again briefly before going back to polling.
_WAKE_RETRIES, _WAKE_RETRY_SECONDS = 25, 0.02


def render_body(stored: dict[str, Any], attempt: int) -> bytes:
    """The exact bytes sent: the stored event with this attempt's ``execution_attempt``."""
    body = {**stored, "payload": {**stored["payload"], "execution_attempt": attempt}}
    return orjson.dumps(body)


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Wait before the retry after failed attempt ``attempt`` (1-based): base·2^(n-1), ±25 %, capped."""
    wait: float = base * 2.0 ** min(attempt - 1, 40) * random.uniform(0.75, 1.25)
    return min(cap, wait)


def delivery_headers(event: OutboxEvent, body: bytes, secret: str, attempt: int) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": f"Vaultline-Webhooks/{__version__}",
        SIGNATURE_HEADER: signature_header(secret, body),
        "x-vaultline-event-id": event.id,
        "x-vaultline-event-type": event.type,
        "x-vaultline-attempt": str(attempt),
        # Apideck's headers, for receivers written against Apideck: its signature is the hex
        # HMAC-SHA256 of the body alone (no timestamp, so no replay protection).
        "x-apideck-event-type": event.type,
        "x-apideck-idempotency-key": event.id,
        "x-apideck-signature": apideck_signature(secret, body),
    }


class WebhookDeliverer:
    def __init__(
        self,
        engine: AsyncEngine,
        ring: MasterKeyRing,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.engine = engine
        self.ring = ring
        self.settings = settings
        self.worker_id = f"{socket.gethostname()[:24]}:{os.getpid()}:{secrets.token_hex(3)}"
        self._transport = transport
        self._wake = asyncio.Event()
        self._next_retry_at: int | None = None  # the earliest retry this worker scheduled
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._lease_ms = int((2 * settings.webhook_timeout_seconds + 1) * 1000)

    def install_commit_hook(self) -> None:
        """Wake this worker when a transaction that enqueued an event commits."""

        def on_commit(connection: Connection) -> None:
            if connection.info.pop(EVENTS_ENQUEUED, False):
                self._wake.set()

        def on_rollback(connection: Connection) -> None:
            connection.info.pop(EVENTS_ENQUEUED, None)

        event.listen(self.engine.sync_engine, "commit", on_commit)
        event.listen(self.engine.sync_engine, "rollback", on_rollback)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.install_commit_hook()
        self._task = asyncio.create_task(self.run(), name="vaultline-webhook-delivery")

    async def close(self) -> None:
        """Finish the attempts in flight (their results are recorded), then stop; a worker that
        does not stop in time is cancelled, and its leased events are retried after the lease."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._task, timeout=self.settings.webhook_timeout_seconds + 1)
        except TimeoutError:
            pass

    async def run(self) -> None:
        timeout = httpx.Timeout(self.settings.webhook_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=self._transport) as client:
            while not self._stopping:
                woken = await self._wait()
                for _ in range(_WAKE_RETRIES if woken else 1):
                    if self._stopping:
                        return
                    if await self._deliver_due_safely(client):
                        while not self._stopping and await self._deliver_due_safely(client):
                            pass
                        break
                    await asyncio.sleep(_WAKE_RETRY_SECONDS)

    async def _wait(self) -> bool:
        timeout = self.settings.webhook_poll_seconds
        if self._next_retry_at is not None:
            timeout = max(0.0, min(timeout, (self._next_retry_at - now_ms()) / 1000))
            self._next_retry_at = None
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except TimeoutError:
            return False
        self._wake.clear()
        return True

    async def _deliver_due_safely(self, client: httpx.AsyncClient) -> int:
        try:
            return await self.deliver_due(client)
        except Exception:  # the database may be briefly unreachable: keep the worker alive
            log.exception("webhook delivery pass failed; retrying at the next poll")
            return 0

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """Claim the due events and attempt each once, concurrently; how many were claimed."""
        async with self.engine.connect() as connection:
            if not await has_due_events(connection, now=now_ms()):
                return 0
        async with self.engine.begin() as connection:
            claimed = await claim_due_events(
                connection, worker_id=self.worker_id, now=now_ms(), lease_ms=self._lease_ms, limit=BATCH
            )
        if claimed:
            await asyncio.gather(*(self._attempt(client, item) for item in claimed))
        return len(claimed)

    async def _attempt(self, client: httpx.AsyncClient, item: OutboxEvent) -> None:
        async with self.engine.connect() as connection:
            endpoint = await get_webhook(connection, application_id=item.application_id, ring=self.ring)
        if endpoint is None or not endpoint.enabled:
            async with self.engine.begin() as connection:
                await release_event(
                    connection, event_id=item.id, next_attempt_at=now_ms(), reason="webhook disabled or removed"
                )
            return
        number = item.attempts + 1
        body = render_body(item.payload, number)
        started, at = time.monotonic(), now_ms()
        status_code: int | None = None
        error: str | None = None
        try:
            await check_public_url(endpoint.url, allow_private=self.settings.allow_private_webhooks)
            headers = delivery_headers(item, body, endpoint.secret, number)
            async with client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                status_code = response.status_code  # the receiver's body is never read
        except UnresolvableHost as exc:
            error = str(exc)  # retried: names come (back) into DNS
        except UnsafeUrl as exc:
            error = f"refused: {exc}"
        except httpx.TimeoutException:
            error = f"timed out after {self.settings.webhook_timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        delivered = status_code is not None and 200 <= status_code < 300
        if status_code is not None and not delivered:
            error = f"HTTP {status_code}"
        retry_at: int | None = None
        if not delivered and number < self.settings.webhook_max_attempts:
            wait = backoff_seconds(
                number, base=self.settings.webhook_retry_base_seconds, cap=self.settings.webhook_retry_max_seconds
            )
            retry_at = now_ms() + int(wait * 1000)
            self._next_retry_at = min(retry_at, self._next_retry_at or retry_at)
        attempt = Attempt(item.id, number, at, status_code, error, int((time.monotonic() - started) * 1000))
        async with self.engine.begin() as connection:
            await record_attempt(connection, attempt=attempt, delivered=delivered, next_attempt_at=retry_at)
        if not delivered:
            outcome = f"retry in {(retry_at - now_ms()) / 1000:.1f} s" if retry_at else "dead-lettered"
            log.warning("webhook %s (%s) attempt %d failed: %s; %s", item.id, item.type, number, error, outcome)
