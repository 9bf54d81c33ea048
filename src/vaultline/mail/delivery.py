"""The email delivery worker: claims due messages of the outbox under a lease, sends each over
SMTP, and records the outcome; failures retry with exponential backoff and jitter until
``email_max_attempts``. A message whose link was revoked or has expired is not sent.

Every serving process with ``VAULTLINE_SMTP_URL`` runs one; a commit that enqueued a message
wakes this process's worker, other instances poll (outbox_worker.py, shared with webhooks).
"""

from __future__ import annotations

import logging

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.crypto.envelope import DecryptionError, open_sealed
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.mail.smtp import PlainEmail, SmtpFailure, send_plain_email
from vaultline.outbox_worker import OutboxWorker, backoff_seconds
from vaultline.smtp_url import SmtpTarget
from vaultline.store.email_outbox import OutboxEmail, claim_due_emails, has_due_emails, record_email_attempt

log = logging.getLogger(__name__)

BATCH = 10
# Set on the database connection when a message was enqueued (see mail/outbox.py).
EMAILS_ENQUEUED = "vaultline_emails_enqueued"


def message_context(email_id: str) -> str:
    """The sealing context of a message: a sealed message copied to another row does not open."""
    return f"email-outbox:{email_id}"


class EmailDeliverer(OutboxWorker[OutboxEmail]):
    what = "email"
    enqueued_flag = EMAILS_ENQUEUED
    concurrent = False  # one at a time: an SMTP server limits connections per client

    def __init__(self, engine: AsyncEngine, ring: MasterKeyRing, settings: Settings, target: SmtpTarget) -> None:
        super().__init__(
            engine,
            poll_seconds=settings.webhook_poll_seconds,
            stop_seconds=settings.email_timeout_seconds + 1,
            lease_ms=int((2 * settings.email_timeout_seconds + 5) * 1000),
        )
        self.ring = ring
        self.settings = settings
        self.target = target

    async def has_due(self, connection: AsyncConnection, now: int) -> bool:
        return await has_due_emails(connection, now=now)

    async def claim_due(self, connection: AsyncConnection, now: int) -> list[OutboxEmail]:
        return await claim_due_emails(
            connection, worker_id=self.worker_id, now=now, lease_ms=self.lease_ms, limit=BATCH
        )

    async def attempt(self, item: OutboxEmail) -> None:
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
            self.retry_at(retry_at)
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
