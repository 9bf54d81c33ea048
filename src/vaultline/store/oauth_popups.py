"""Sign-in popups of Vault JS: the embedded modal asks for one (its session cookie proves who it
is) and gets a single-use start token for the popup's first request, since a popup is a
top-level window that may not see the iframe's (partitioned) cookies. The callback records the
outcome here, which the modal reads when the popup cannot tell it (the provider severed
``window.opener``). Only the token's SHA-256 is stored; claiming it marks it used in the same
statement that checks it, so a replayed token finds nothing, on every instance."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.schema import oauth_popups

# The popup's first request follows the click within a second; two minutes allow a slow machine.
START_TTL_MS = 120 * 1000
# A sign-in may take the link's and the provider state's 10 minutes each; the modal waits as long.
POPUP_TTL_MS = 20 * 60 * 1000
_KEEP_MS = 24 * 3600 * 1000

PopupOutcome = Literal["connected", "reauthorized", "denied", "failed"]


@dataclass(frozen=True, slots=True)
class OAuthPopup:
    id: str
    session_id: str
    unified_api: str
    service_id: str
    outcome: str | None
    message: str | None
    reported: bool
    expires_at: int

    @property
    def status(self) -> str:
        """``pending`` until the callback records an outcome; ``expired`` once nobody can finish it."""
        if self.outcome is not None:
            return self.outcome
        return "expired" if self.expires_at <= now_ms() else "pending"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _popup(row: object) -> OAuthPopup:
    return OAuthPopup(
        row.id, row.session_id, row.unified_api, row.service_id,  # type: ignore[attr-defined]
        row.outcome, row.message, row.reported_at is not None, row.expires_at,  # type: ignore[attr-defined]
    )  # fmt: skip


async def create_oauth_popup(
    connection: AsyncConnection, *, session_id: str, unified_api: str, service_id: str
) -> tuple[OAuthPopup, str]:
    """A new popup and its start token (returned once, stored only as a hash)."""
    now = now_ms()
    await connection.execute(delete(oauth_popups).where(oauth_popups.c.expires_at < now - _KEEP_MS))
    popup_id, token = secrets.token_urlsafe(18), secrets.token_urlsafe(32)
    await connection.execute(
        oauth_popups.insert().values(
            id=popup_id,
            session_id=session_id,
            unified_api=unified_api,
            service_id=service_id,
            start_hash=_hash(token),
            start_expires_at=now + START_TTL_MS,
            created_at=now,
            expires_at=now + POPUP_TTL_MS,
        )
    )
    popup = OAuthPopup(popup_id, session_id, unified_api, service_id, None, None, False, now + POPUP_TTL_MS)
    return popup, token


async def claim_popup_start(connection: AsyncConnection, *, token: str) -> OAuthPopup | None:
    """The popup this start token opens, marked started now; None when unknown, expired or used."""
    now, t = now_ms(), oauth_popups
    digest = _hash(token)
    claimed = await connection.execute(
        update(t).where(t.c.start_hash == digest, t.c.started_at.is_(None), t.c.start_expires_at > now)
        .values(started_at=now)
    )  # fmt: skip
    if not claimed.rowcount:
        return None
    return _popup((await connection.execute(select(t).where(t.c.start_hash == digest))).one())


async def record_popup_outcome(
    connection: AsyncConnection, *, popup_id: str, session_id: str, outcome: PopupOutcome, message: str | None = None
) -> None:
    """The first outcome wins: a replayed callback cannot turn a success into a failure."""
    t = oauth_popups
    await connection.execute(
        update(t).where(t.c.id == popup_id, t.c.session_id == session_id, t.c.outcome.is_(None))
        .values(outcome=outcome, message=message)
    )  # fmt: skip


async def get_oauth_popup(connection: AsyncConnection, *, popup_id: str, session_id: str) -> OAuthPopup | None:
    t = oauth_popups
    row = (await connection.execute(select(t).where(t.c.id == popup_id))).first()
    # ``session_id`` comes from the URL path: compared here, never sent to the database.
    if row is None or row.session_id != session_id:
        return None
    return _popup(row)


async def mark_popup_reported(connection: AsyncConnection, *, popup_id: str) -> bool:
    """True the first time only: the modal's notice ("Connected.") is shown once per outcome."""
    t = oauth_popups
    marked = await connection.execute(
        update(t).where(t.c.id == popup_id, t.c.reported_at.is_(None), t.c.outcome.is_not(None))
        .values(reported_at=now_ms())
    )  # fmt: skip
    return bool(marked.rowcount)
