"""The email delivery worker: claims due messages of the outbox under a lease, sends each over
SMTP, and records the outcome; failures retry with exponential backoff and jitter until
``email_max_attempts``. A message whose link was revoked or has expired is not sent.

Every serving process with ``VAULTLINE_SMTP_URL`` runs one; a commit that enqueued a message
wakes this process's worker, other instances poll. Built like webhooks/delivery.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.crypto.envelope import DecryptionError, open_sealed
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.mail.smtp import PlainEmail, SmtpFailure, send_plain_email
from vaultline.smtp_url import SmtpTarget
from vaultline.store.email_outbox import OutboxEmail, claim_due_emails, has_due_emails, record_email_attempt
from vaultline.webhooks.delivery import backoff_seconds

log = logging.getLogger(__name__)

BATCH = 10
# Set on the database connection when a message was enqueued (see mail/outbox.py).
EMAILS_ENQUEUED = "vaultline_emails_enqueued"
_WAKE_RETRIES, _WAKE_RETRY_SECONDS = 25, 0.02


def message_context(email_id: str) -> str:
    """The sealing context of a message: a sealed message copied to another row does not open."""
    return f"email-outbox:{email_id}"


class EmailDeliverer:
    def __init__(self, engine: AsyncEngine, ring: MasterKeyRing, settings: Settings, target: SmtpTarget) -> None:
        self.engine = engine
        self.ring = ring
        self.settings = settings
        self.target = target
        self.worker_id = f"{socket.gethostname()[:24]}:{os.getpid()}:{secrets.token_hex(3)}"
        self._wake = asyncio.Event()
        self._next_retry_at: int | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._lease_ms = int((2 * settings.email_timeout_seconds + 5) * 1000)

    def start(self) -> None:
        def on_commit(connection: Connection) -> None:
            if connection.info.pop(EMAILS_ENQUEUED, False):
                self._wake.set()

        def on_rollback(connection: Connection) -> None:
            connection.info.pop(EMAILS_ENQUEUED, None)

        event.listen(self.engine.sync_engine, "commit", on_commit)
        event.listen(self.engine.sync_engine, "rollback", on_rollback)
        self._task = asyncio.create_task(self.run(), name="vaultline-email-delivery")

    async def close(self) -> None:
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._task, timeout=self.settings.email_timeout_seconds + 1)
        except TimeoutError:
            self._task.cancel()

    async def run(self) -> None:
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

    async def _deliver_due_safely(self) -> int:
        try:
            return await self.deliver_due()
        except Exception:  # the database may be briefly unreachable: keep the worker alive
            log.exception("email delivery pass failed; retrying at the next poll")
            return 0

    async def deliver_due(self) -> int:
        async with self.engine.connect() as connection:
            if not await has_due_emails(connection, now=now_ms()):
                return 0
        async with self.engine.begin() as connection:
            claimed = await claim_due_emails(
                connection, worker_id=self.worker_id, now=now_ms(), lease_ms=self._lease_ms, limit=BATCH
            )
        for item in claimed:  # one at a time: an SMTP server limits connections per client
            await self._attempt(item)
        return len(claimed)

    async def _attempt(self, item: OutboxEmail) -> None:
        number = item.attempts + 1
        sealed = item.message_sealed
        if item.link_dead or sealed is None:
            async with self.engine.begin() as connection:
                await record_email_attempt(
                    connection,
                    email_id=item.id,
                    attempt=item.attempts,
                    at=now_ms(),
                    error="not sent: the link was revoked or has expired",
                    next_attempt_at=None,
                    cancelled=True,
                )
            return
        error: str | None = None
        permanent = False
        try:
            email = _open_message(self.ring, item, sealed)
            await send_plain_email(self.target, email, timeout=self.settings.email_timeout_seconds)
        except SmtpFailure as exc:
            error, permanent = str(exc), exc.permanent
        except DecryptionError as exc:
            error, permanent = f"message cannot be opened: {exc}", True
        retry_at: int | None = None
        if error is not None and not permanent and number < self.settings.email_max_attempts:
            wait = backoff_seconds(
                number, base=self.settings.email_retry_base_seconds, cap=self.settings.email_retry_max_seconds
            )
            retry_at = now_ms() + int(wait * 1000)
            self._next_retry_at = min(retry_at, self._next_retry_at or retry_at)
        async with self.engine.begin() as connection:
            await record_email_attempt(
                connection, email_id=item.id, attempt=number, at=now_ms(), error=error, next_attempt_at=retry_at
            )
        if error is not None:
            outcome = f"retry in {(retry_at - now_ms()) / 1000:.1f} s" if retry_at else "given up"
            log.warning("email %s attempt %d failed: %s; %s", item.id, number, error, outcome)


def _open_message(ring: MasterKeyRing, item: OutboxEmail, sealed: str) -> PlainEmail:
    fields = orjson.loads(open_sealed(ring, sealed, context=message_context(item.id)))
    return PlainEmail(
        sender=fields["sender"],
        recipient=item.recipient,
        subject=fields["subject"],
        body=fields["body"],
        language=fields.get("language"),
    )
