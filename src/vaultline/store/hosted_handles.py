"""Hosted Vault handles: the short value a consumer's browser keeps for an opened session,
instead of the session token (whose theme and redirect_uri can make it larger than a cookie).

A handle is ``<id>.<secret>``: ``id`` names a row of ``hosted_handles``, the 32-byte random
``secret`` is stored only as its SHA-256. Every opening of a session link makes a new handle,
so each tab or browser that opened the link keeps working; all of a session's handles stop
with the session (its row's ``revoked_at`` and ``expires_at`` are read with the handle).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.hot_queries import HotQuery, hot_rows
from vaultline.db.schema import applications, hosted_handles, sessions
from vaultline.store.sessions import SessionRecord, record_from_row

# token_urlsafe(12) and token_urlsafe(32): 16 and 43 characters of the URL-safe alphabet.
# Whoever holds a session link can open it in a loop: only the newest handles of a session are
# kept (a browser whose handle was dropped opens the link again), so that costs no unbounded rows.
MAX_HANDLES_PER_SESSION = 32
_HANDLE = re.compile(r"([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True, slots=True)
class HostedHandle:
    id: str
    secret: str

    @property
    def cookie_value(self) -> str:
        return f"{self.id}.{self.secret}"

    @classmethod
    def parse(cls, value: str) -> HostedHandle | None:
        """None for anything that is not the shape we issue (checked before any query)."""
        match = _HANDLE.fullmatch(value)
        return cls(match.group(1), match.group(2)) if match else None


@dataclass(frozen=True, slots=True)
class HostedSession:
    """A session as its pages see it: the record, plus the claims stored when it was opened."""

    record: SessionRecord
    theme: dict[str, Any]
    consumer_metadata: dict[str, Any]
    # The application's, read with the handle (store/app_config.py); None: the application is gone.
    config_version: int | None = None

    @property
    def application_id(self) -> str:
        return self.record.application_id

    @property
    def consumer_id(self) -> str:
        return self.record.consumer_id


def _secret_hash(secret: str) -> str:
    # A plain hash suffices: the secret is 256 random bits, nothing to guess or precompute.
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


async def issue_hosted_handle(
    connection: AsyncConnection, *, session_id: str, theme: dict[str, Any], consumer_metadata: dict[str, Any]
) -> HostedHandle:
    """Record the claims the pages need (signed, so the same at every opening: written once)
    and a new handle for this browser."""
    await connection.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.theme.is_(None))
        .values(theme=theme, consumer_metadata=consumer_metadata)
    )
    handle = HostedHandle(secrets.token_urlsafe(12), secrets.token_urlsafe(32))
    await connection.execute(
        hosted_handles.insert().values(
            id=handle.id, session_id=session_id, secret_hash=_secret_hash(handle.secret), created_at=now_ms()
        )
    )
    beyond_the_newest = (
        select(hosted_handles.c.id)
        .where(hosted_handles.c.session_id == session_id)
        .order_by(hosted_handles.c.created_at.desc(), hosted_handles.c.id.desc())
        .offset(MAX_HANDLES_PER_SESSION)
    )
    await connection.execute(delete(hosted_handles).where(hosted_handles.c.id.in_(beyond_the_newest)))
    return handle


# Built once: every Hosted Vault page runs it.
_HOSTED_SESSION = HotQuery(
    select(sessions, hosted_handles.c.secret_hash, applications.c.config_version)
    .select_from(
        hosted_handles.join(sessions, sessions.c.id == hosted_handles.c.session_id).outerjoin(
            applications, applications.c.id == sessions.c.application_id
        )
    )
    .where(hosted_handles.c.id == bindparam("handle_id"))
)


async def find_hosted_session(connection: AsyncConnection, *, session_id: str, cookie: str) -> HostedSession | None:
    """The session ``cookie`` is a handle of, if it is one of ``session_id``'s: one primary-key
    lookup joined to the session row, whatever the session's state (the caller decides)."""
    handle = HostedHandle.parse(cookie)
    if handle is None:
        return None
    rows = await hot_rows(connection, _HOSTED_SESSION, {"handle_id": handle.id})
    row = rows[0] if rows else None
    # ``session_id`` comes from the URL path: compared here, never sent to the database (where a
    # NUL or an over-long id would be an error, not a miss).
    if row is None or row.id != session_id or not hmac.compare_digest(row.secret_hash, _secret_hash(handle.secret)):
        return None
    return HostedSession(record_from_row(row), row.theme or {}, row.consumer_metadata or {}, row.config_version)


async def delete_handles_before(connection: AsyncConnection, *, cutoff_ms: int, batch_size: int) -> int:
    """Delete at most ``batch_size`` handles made before ``cutoff_ms``; returns how many went."""
    c = hosted_handles.c
    oldest = select(c.id).where(c.created_at < cutoff_ms).limit(batch_size)
    result = await connection.execute(delete(hosted_handles).where(c.id.in_(oldest.scalar_subquery())))
    return int(result.rowcount)
