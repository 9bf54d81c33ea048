"""Putting a message in the email outbox, sealed, in the caller's transaction: it exists exactly
when what it announces was committed, and survives any crash until it is sent."""

from __future__ import annotations

import secrets

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.crypto.envelope import seal
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.mail.delivery import EMAILS_ENQUEUED, message_context
from vaultline.mail.smtp import PlainEmail
from vaultline.store.email_outbox import insert_email


async def enqueue_email(
    connection: AsyncConnection, *, ring: MasterKeyRing, application_id: str, link_id: str | None, email: PlainEmail
) -> str:
    email_id = "eml_" + secrets.token_urlsafe(12)
    fields = {"sender": email.sender, "subject": email.subject, "body": email.body, "language": email.language}
    sealed = seal(ring, orjson.dumps(fields), context=message_context(email_id))
    await insert_email(
        connection,
        email_id=email_id,
        application_id=application_id,
        link_id=link_id,
        recipient=email.recipient,
        message_sealed=sealed,
        at=now_ms(),
    )
    connection.info[EMAILS_ENQUEUED] = True
    return email_id
