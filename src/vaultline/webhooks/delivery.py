"""The delivery worker: claims due outbox events under a lease, POSTs each signed body to the
application's webhook URL, and records every attempt; failures retry with exponential backoff
and jitter until ``webhook_max_attempts``, then the event is dead-lettered.

Every serving process runs one; leases keep instances from sending the same event at once.
A commit that enqueued an event wakes this process's worker; other instances poll.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vaultline import __version__
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.net_guard import UnresolvableHost, UnsafeUrl, check_public_url
from vaultline.outbox_worker import OutboxWorker, backoff_seconds
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


def render_body(stored: dict[str, Any], attempt: int) -> bytes:
    """The exact bytes sent: the stored event with this attempt's ``execution_attempt``."""
    body = {**stored, "payload": {**stored["payload"], "execution_attempt": attempt}}
    return orjson.dumps(body)


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


class WebhookDeliverer(OutboxWorker[OutboxEvent]):
    what = "webhook"
    enqueued_flag = EVENTS_ENQUEUED
    concurrent = True  # each application has its own receiver

    def __init__(
        self,
        engine: AsyncEngine,
        ring: MasterKeyRing,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            engine,
            poll_seconds=settings.webhook_poll_seconds,
            stop_seconds=settings.webhook_timeout_seconds + 1,
            lease_ms=int((2 * settings.webhook_timeout_seconds + 1) * 1000),
        )
        self.ring = ring
        self.settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        timeout = httpx.Timeout(self.settings.webhook_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=self._transport) as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None

    async def has_due(self, connection: AsyncConnection, now: int) -> bool:
        return await has_due_events(connection, now=now)

    async def claim_due(self, connection: AsyncConnection, now: int) -> list[OutboxEvent]:
        return await claim_due_events(
            connection, worker_id=self.worker_id, now=now, lease_ms=self.lease_ms, limit=BATCH
        )

    async def attempt(self, item: OutboxEvent) -> None:
        if self._client is None:
            raise RuntimeError("webhook attempts run inside run(), which holds their HTTP client")
        await self._attempt(self._client, item)

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
            self.retry_at(retry_at)
        attempt = Attempt(item.id, number, at, status_code, error, int((time.monotonic() - started) * 1000))
        async with self.engine.begin() as connection:
            await record_attempt(connection, attempt=attempt, delivered=delivered, next_attempt_at=retry_at)
        if not delivered:
            outcome = f"retry in {(retry_at - now_ms()) / 1000:.1f} s" if retry_at else "dead-lettered"
            log.warning("webhook %s (%s) attempt %d failed: %s; %s", item.id, item.type, number, error, outcome)
