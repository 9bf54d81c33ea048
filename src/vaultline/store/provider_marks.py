"""What calling the provider taught about a connection, kept apart from its settings: when the
provider last accepted the credentials, since when it cannot be reached (health ``degraded``),
when the background verifier asks again, and the OAuth refresh failure marks. Written only
through ``connections/writes.write_connection_change``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.db.schema import connections


@dataclass(frozen=True, slots=True)
class ProviderMarks:
    verified_at: int | None = None
    last_downstream_error_at: int | None = None  # set: the provider could not be asked (degraded)
    downstream_error: str | None = None  # why, for people: "timed out after 10 s", "HTTP 503"
    verification_failures: int = 0  # unanswered verifications in a row, for the backoff
    next_verification_at: int | None = None  # when the background verifier asks again; None: never
    last_refresh_failed_at: int | None = None
    credentials_expire_at: int | None = None

    @property
    def degraded(self) -> bool:
        return self.last_downstream_error_at is not None


@dataclass(frozen=True, slots=True)
class DueConnection:
    pk: int
    application_id: str
    consumer_id: str
    unified_api: str
    service_id: str
    next_verification_at: int | None


async def set_provider_marks(connection: AsyncConnection, *, pk: int, marks: ProviderMarks) -> None:
    await connection.execute(
        update(connections)
        .where(connections.c.pk == pk)
        .values(
            verified_at=marks.verified_at,
            last_downstream_error_at=marks.last_downstream_error_at,
            downstream_error=marks.downstream_error,
            verification_failures=marks.verification_failures,
            next_verification_at=marks.next_verification_at,
            last_refresh_failed_at=marks.last_refresh_failed_at,
            credentials_expire_at=marks.credentials_expire_at,
        )
    )


async def due_for_verification(
    connection: AsyncConnection, *, now: int, service_ids: list[str], limit: int, include_never_verified: bool
) -> list[DueConnection]:
    """Enabled connections of these integrations whose next verification is due, oldest due
    first; with ``include_never_verified``, also those no verdict was ever written for (saved
    before this server verified credentials), which have no due time."""
    if not service_ids:
        return []
    c = connections.c
    due = c.next_verification_at <= now
    if include_never_verified:
        never = and_(
            c.next_verification_at.is_(None),
            c.verified_at.is_(None),
            c.last_downstream_error_at.is_(None),
            c.validation_error.is_(None),
            c.settings_sealed.is_not(None),
        )
        due = or_(due, never)
    query = (
        select(c.pk, c.application_id, c.consumer_id, c.unified_api, c.service_id, c.next_verification_at)
        .where(and_(due, c.enabled.is_(True), c.service_id.in_(service_ids)))
        .order_by(c.next_verification_at.is_(None), c.next_verification_at, c.pk)
        .limit(limit)
    )
    return [DueConnection(*row) for row in await connection.execute(query)]


async def claim_verification(
    connection: AsyncConnection, *, item: DueConnection, until: int | None, claimed_at: int | None = None
) -> bool:
    """Move the row's next verification to ``until`` if it is still ``claimed_at`` (by default
    what it was when found due): a lease, so other instances skip it, and no change of the
    connection itself (no event). False when another instance got there first."""
    c = connections.c
    expected = item.next_verification_at if claimed_at is None else claimed_at
    still = c.next_verification_at.is_(None) if expected is None else c.next_verification_at == expected
    result = await connection.execute(
        update(connections).where(c.pk == item.pk, still).values(next_verification_at=until)
    )
    return bool(result.rowcount)
