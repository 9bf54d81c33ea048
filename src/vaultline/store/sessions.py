"""Session records: one row per minted token (id = the token's jti), for listing and revocation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Row, bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.hot_queries import HotQuery, hot_rows
from vaultline.db.schema import applications, sessions

SessionState = Literal["active", "expired", "revoked"]


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    application_id: str
    consumer_id: str
    kid: str
    settings: dict[str, Any]
    redirect_uri: str | None
    created_at: int
    expires_at: int
    revoked_at: int | None = None

    def state(self, at_ms: int) -> SessionState:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > at_ms else "expired"


def record_from_row(row: Row[Any]) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        application_id=row.application_id,
        consumer_id=row.consumer_id,
        kid=row.kid,
        settings=row.settings,
        redirect_uri=row.redirect_uri,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


SESSION_COLUMNS = (
    "id",
    "application_id",
    "consumer_id",
    "kid",
    "settings",
    "redirect_uri",
    "created_at",
    "expires_at",
    "revoked_at",
)


def session_values(record: SessionRecord) -> dict[str, Any]:
    """The row a minted session inserts (``SESSION_COLUMNS``)."""
    return {
        "id": record.id,
        "application_id": record.application_id,
        "consumer_id": record.consumer_id,
        "kid": record.kid,
        "settings": record.settings,
        "redirect_uri": record.redirect_uri,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "revoked_at": None,
    }


async def insert_sessions(connection: AsyncConnection, records: list[SessionRecord]) -> None:
    await connection.execute(sessions.insert(), [session_values(r) for r in records])


async def get_session(connection: AsyncConnection, *, session_id: str) -> SessionRecord | None:
    row = (await connection.execute(select(sessions).where(sessions.c.id == session_id))).first()
    return record_from_row(row) if row else None


# Built once: the session-token hot path runs it on every call.
_SESSION_WITH_CONFIG_VERSION = HotQuery(
    select(sessions, applications.c.config_version)
    .select_from(sessions.join(applications, applications.c.id == sessions.c.application_id))
    .where(sessions.c.id == bindparam("session_id"))
)


async def get_session_with_config_version(
    connection: AsyncConnection, *, session_id: str
) -> tuple[SessionRecord, int] | None:
    """The session and its application's config version (store/app_config.py) in one statement."""
    rows = await hot_rows(connection, _SESSION_WITH_CONFIG_VERSION, {"session_id": session_id})
    return (record_from_row(rows[0]), int(rows[0].config_version)) if rows else None


async def list_sessions(
    connection: AsyncConnection,
    *,
    application_id: str,
    consumer_id: str,
    before: tuple[int, str] | None,
    limit: int,
) -> tuple[list[SessionRecord], tuple[int, str] | None]:
    """Newest first; ``before`` is the (created_at, id) of the last row of the previous page."""
    query = select(sessions).where(sessions.c.application_id == application_id, sessions.c.consumer_id == consumer_id)
    if before is not None:
        query = query.where(tuple_(sessions.c.created_at, sessions.c.id) < tuple_(*before))
    query = query.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(limit + 1)
    rows = (await connection.execute(query)).all()
    page = [record_from_row(row) for row in rows[:limit]]
    cursor = (page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return page, cursor


async def revoke_session(connection: AsyncConnection, *, application_id: str, session_id: str) -> SessionRecord | None:
    """Revoke (idempotently) and return the session, or None when the application has no such session."""
    await connection.execute(
        update(sessions)
        .where(
            sessions.c.id == session_id,
            sessions.c.application_id == application_id,
            sessions.c.revoked_at.is_(None),
        )
        .values(revoked_at=now_ms())
    )
    record = await get_session(connection, session_id=session_id)
    return record if record and record.application_id == application_id else None


async def revoke_consumer_sessions(connection: AsyncConnection, *, application_id: str, consumer_id: str) -> int:
    result = await connection.execute(
        update(sessions)
        .where(
            sessions.c.application_id == application_id,
            sessions.c.consumer_id == consumer_id,
            sessions.c.revoked_at.is_(None),
        )
        .values(revoked_at=now_ms())
    )
    return int(result.rowcount)
