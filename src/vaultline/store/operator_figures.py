"""What ``GET /metrics`` reads from the database once per scrape: two aggregate queries whose
answers are a handful of rows however many connections and events there are."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.db.schema import connections, webhook_events
from vaultline.store.webhook_outbox import PENDING

# What the columns alone tell of a connection's health, without opening its sealed values.
# ``unflagged``: none of the others (``ok``, or missing settings/consent, which need decrypting).
HEALTH_FROM_COLUMNS = ("revoked", "needs_auth", "pending_confirmation", "pending_refresh", "unflagged")


@dataclass(frozen=True, slots=True)
class ConnectionCount:
    enabled: bool
    health: str
    count: int


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    pending: int
    oldest_pending_created_at: int | None  # ms since the epoch


async def count_connections_by_health(connection: AsyncConnection, *, revoked_reason: str) -> list[ConnectionCount]:
    c = connections.c
    health = case(
        (c.validation_error == revoked_reason, "revoked"),
        (c.validation_error.is_not(None), "needs_auth"),
        (c.confirm_token_hash.is_not(None), "pending_confirmation"),
        (c.credentials_expire_at.is_not(None), "pending_refresh"),  # the token keeper's retention window
        (c.settings_sealed.is_(None) & c.credentials_sealed.is_(None), "needs_auth"),
        else_="unflagged",
    ).label("health")
    query = select(c.enabled, health, func.count()).group_by(c.enabled, health)
    rows = (await connection.execute(query)).all()
    return [ConnectionCount(bool(enabled), str(label), int(count)) for enabled, label, count in rows]


async def outbox_backlog(connection: AsyncConnection) -> OutboxBacklog:
    e = webhook_events.c
    query = select(func.count(), func.min(e.created_at)).where(e.status == PENDING)
    pending, oldest = (await connection.execute(query)).one()
    return OutboxBacklog(int(pending), None if oldest is None else int(oldest))
