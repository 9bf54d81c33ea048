"""The email outbox: a message inserted in the transaction that created what it announces, claimed
under a lease by one delivery worker at a time (across instances), retried, and erased once sent
or given up (it holds a link's URL, a secret)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.db.schema import email_outbox, vault_links

PENDING, SENT, DEAD, CANCELLED = "pending", "sent", "dead", "cancelled"


@dataclass(frozen=True, slots=True)
class OutboxEmail:
    id: str
    application_id: str
    link_id: str | None
    recipient: str
    message_sealed: str | None
    attempts: int
    # The link it carries was revoked or has expired meanwhile: not worth sending any more.
    link_dead: bool


async def insert_email(
    connection: AsyncConnection,
    *,
    email_id: str,
    application_id: str,
    link_id: str | None,
    recipient: str,
    message_sealed: str,
    at: int,
) -> None:
    await connection.execute(
        email_outbox.insert().values(
            id=email_id,
            application_id=application_id,
            link_id=link_id,
            recipient=recipient,
            message_sealed=message_sealed,
            status=PENDING,
            created_at=at,
            next_attempt_at=at,
            attempts=0,
        )
    )


async def has_due_emails(connection: AsyncConnection, *, now: int) -> bool:
    query = select(email_outbox.c.id).where(email_outbox.c.status == PENDING, email_outbox.c.next_attempt_at <= now)
    return (await connection.execute(query.limit(1))).first() is not None


async def claim_due_emails(
    connection: AsyncConnection, *, worker_id: str, now: int, lease_ms: int, limit: int
) -> list[OutboxEmail]:
    """Lease up to ``limit`` due messages to this worker (the conditional UPDATE is the claim, as
    in store/webhook_outbox.py)."""
    free = or_(email_outbox.c.locked_until.is_(None), email_outbox.c.locked_until < now)
    due = and_(email_outbox.c.status == PENDING, email_outbox.c.next_attempt_at <= now, free)
    candidates = (
        select(email_outbox.c.id)
        .where(due)
        .order_by(email_outbox.c.next_attempt_at, email_outbox.c.created_at, email_outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=email_outbox)
    )
    claim = f"{worker_id}:{uuid.uuid4().hex[:12]}"
    result = await connection.execute(
        update(email_outbox)
        .where(email_outbox.c.id.in_(candidates.scalar_subquery()), due)
        .values(locked_until=now + lease_ms, claimed_by=claim)
    )
    if not result.rowcount:
        return []
    link_dead = or_(vault_links.c.revoked_at.is_not(None), vault_links.c.expires_at <= now)
    rows = await connection.execute(
        select(email_outbox, link_dead.label("link_dead"))
        .select_from(email_outbox.outerjoin(vault_links, vault_links.c.id == email_outbox.c.link_id))
        .where(email_outbox.c.claimed_by == claim)
        .order_by(email_outbox.c.created_at, email_outbox.c.id)
    )
    return [
        OutboxEmail(r.id, r.application_id, r.link_id, r.recipient, r.message_sealed, r.attempts, bool(r.link_dead))
        for r in rows
    ]


async def record_email_attempt(
    connection: AsyncConnection,
    *,
    email_id: str,
    attempt: int,
    at: int,
    error: str | None,
    next_attempt_at: int | None,
    cancelled: bool = False,
) -> None:
    """The attempt's outcome: sent (``error`` None), retried at ``next_attempt_at``, dead (no
    retry), or cancelled (not attempted). Every final state erases the sealed message."""
    values: dict[str, Any] = {"attempts": attempt, "locked_until": None, "claimed_by": None, "last_error": error}
    if cancelled:
        values.update(status=CANCELLED, message_sealed=None)
    elif error is None:
        values.update(status=SENT, sent_at=at, message_sealed=None)
    elif next_attempt_at is None:
        values.update(status=DEAD, message_sealed=None)
    else:
        values["next_attempt_at"] = next_attempt_at
    await connection.execute(update(email_outbox).where(email_outbox.c.id == email_id).values(values))


async def count_emails_by_status(connection: AsyncConnection, *, link_id: str) -> dict[str, int]:
    query = (
        select(email_outbox.c.status, func.count())
        .where(email_outbox.c.link_id == link_id)
        .group_by(email_outbox.c.status)
    )
    return {str(status): int(count) for status, count in (await connection.execute(query)).all()}


async def latest_email_of_link(connection: AsyncConnection, *, link_id: str) -> dict[str, Any] | None:
    query = (
        select(email_outbox.c.status, email_outbox.c.attempts, email_outbox.c.sent_at, email_outbox.c.last_error)
        .where(email_outbox.c.link_id == link_id)
        .order_by(email_outbox.c.created_at.desc())
        .limit(1)
    )
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    return {"status": row.status, "attempts": row.attempts, "sent_at": row.sent_at, "last_error": row.last_error}
