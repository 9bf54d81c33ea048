"""The webhook outbox: events inserted with the change they describe, claimed under a lease by
one delivery worker at a time (across instances), and every delivery attempt recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.db.schema import application_webhooks, webhook_attempts, webhook_events

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: str
    application_id: str
    type: str
    payload: dict[str, Any]
    attempts: int
    created_at: int


@dataclass(frozen=True, slots=True)
class Attempt:
    event_id: str
    attempt: int
    at: int
    status_code: int | None
    error: str | None
    duration_ms: int


async def insert_event(
    connection: AsyncConnection, *, event_id: str, application_id: str, type: str, payload: dict[str, Any], at: int
) -> None:
    await connection.execute(
        webhook_events.insert().values(
            id=event_id,
            application_id=application_id,
            type=type,
            payload=payload,
            status=PENDING,
            created_at=at,
            next_attempt_at=at,
            attempts=0,
        )
    )


async def has_due_events(connection: AsyncConnection, *, now: int) -> bool:
    """A cheap read first, so an idle worker does not take SQLite's write lock every poll."""
    query = (
        select(webhook_events.c.id)
        .where(webhook_events.c.status == PENDING, webhook_events.c.next_attempt_at <= now)
        .limit(1)
    )
    return (await connection.execute(query)).first() is not None


async def claim_due_events(
    connection: AsyncConnection, *, worker_id: str, now: int, lease_ms: int, limit: int
) -> list[OutboxEvent]:
    """Lease up to ``limit`` due events of enabled webhooks to this worker. The conditional
    UPDATE is the claim: a row another worker leased meanwhile no longer matches. PostgreSQL
    skips rows locked by a concurrent claim; SQLite has one writer at a time anyway."""
    free = or_(webhook_events.c.locked_until.is_(None), webhook_events.c.locked_until < now)
    due = and_(webhook_events.c.status == PENDING, webhook_events.c.next_attempt_at <= now, free)
    enabled = select(application_webhooks.c.application_id).where(application_webhooks.c.enabled.is_(True))
    candidates = (
        select(webhook_events.c.id)
        .where(due, webhook_events.c.application_id.in_(enabled))
        .order_by(webhook_events.c.next_attempt_at, webhook_events.c.created_at, webhook_events.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=webhook_events)
    )
    # One statement, so SQLite takes its write lock up front (busy_timeout then queues the
    # instances) instead of failing a read-then-write upgrade.
    claim = f"{worker_id}:{uuid.uuid4().hex[:12]}"
    result = await connection.execute(
        update(webhook_events)
        .where(webhook_events.c.id.in_(candidates.scalar_subquery()), due)
        .values(locked_until=now + lease_ms, claimed_by=claim)
    )
    if not result.rowcount:
        return []
    rows = await connection.execute(
        select(webhook_events)
        .where(webhook_events.c.claimed_by == claim)
        .order_by(webhook_events.c.created_at, webhook_events.c.id)
    )
    return [OutboxEvent(r.id, r.application_id, r.type, r.payload, r.attempts, r.created_at) for r in rows]


async def record_attempt(
    connection: AsyncConnection, *, attempt: Attempt, delivered: bool, next_attempt_at: int | None
) -> None:
    """Store the attempt and the event's new state: delivered, retried at ``next_attempt_at``,
    or dead (``next_attempt_at`` None). Releases the lease."""
    await connection.execute(
        webhook_attempts.insert().values(
            event_id=attempt.event_id,
            attempt=attempt.attempt,
            at=attempt.at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )
    )
    values: dict[str, Any] = {"attempts": attempt.attempt, "locked_until": None, "claimed_by": None}
    if delivered:
        values.update(status=DELIVERED, delivered_at=attempt.at, last_error=None)
    else:
        values["last_error"] = attempt.error or f"HTTP {attempt.status_code}"
        if next_attempt_at is None:
            values["status"] = DEAD
        else:
            values["next_attempt_at"] = next_attempt_at
    await connection.execute(update(webhook_events).where(webhook_events.c.id == attempt.event_id).values(values))


async def release_event(connection: AsyncConnection, *, event_id: str, next_attempt_at: int, reason: str) -> None:
    """Give the event back without an attempt (e.g. the webhook was removed meanwhile)."""
    await connection.execute(
        update(webhook_events)
        .where(webhook_events.c.id == event_id)
        .values(locked_until=None, claimed_by=None, next_attempt_at=next_attempt_at, last_error=reason)
    )


async def count_events_by_status(connection: AsyncConnection, *, application_id: str) -> dict[str, int]:
    query = (
        select(webhook_events.c.status, func.count())
        .where(webhook_events.c.application_id == application_id)
        .group_by(webhook_events.c.status)
    )
    return {str(status): int(count) for status, count in (await connection.execute(query)).all()}


async def list_events(connection: AsyncConnection, *, application_id: str, limit: int = 50) -> list[dict[str, Any]]:
    query = (
        select(webhook_events)
        .where(webhook_events.c.application_id == application_id)
        .order_by(webhook_events.c.created_at.desc(), webhook_events.c.id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def list_attempts(connection: AsyncConnection, *, event_id: str) -> list[Attempt]:
    query = select(webhook_attempts).where(webhook_attempts.c.event_id == event_id).order_by(webhook_attempts.c.pk)
    return [
        Attempt(r.event_id, r.attempt, r.at, r.status_code, r.error, r.duration_ms)
        for r in await connection.execute(query)
    ]
