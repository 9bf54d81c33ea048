"""OAuth authorizations in flight: one row per ``state`` sent to a provider, holding the sealed
PKCE verifier. ``consume_oauth_state`` marks it used in the same statement that checks it, so
a replayed state finds nothing, on every instance."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.crypto.envelope import open_sealed, seal
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.schema import oauth_states

# Used and expired rows are kept a day (to tell "replayed" from "unknown" in logs), then deleted.
_KEEP_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True, repr=False)
class PendingAuthorization:
    jti: str
    application_id: str
    consumer_id: str
    service_id: str
    code_verifier: str

    def __repr__(self) -> str:  # the verifier is a secret until the code is exchanged
        return f"PendingAuthorization(jti={self.jti!r}, service_id={self.service_id!r})"


def _context(jti: str) -> str:
    return f"oauth_state:{jti}"


async def insert_oauth_state(
    connection: AsyncConnection,
    *,
    jti: str,
    application_id: str,
    consumer_id: str,
    service_id: str,
    code_verifier: str,
    expires_at: int,
    ring: MasterKeyRing,
) -> None:
    now = now_ms()
    await connection.execute(delete(oauth_states).where(oauth_states.c.expires_at < now - _KEEP_MS))
    await connection.execute(
        oauth_states.insert().values(
            jti=jti,
            application_id=application_id,
            consumer_id=consumer_id,
            service_id=service_id,
            code_verifier_sealed=seal(ring, code_verifier.encode(), context=_context(jti)),
            created_at=now,
            expires_at=expires_at,
        )
    )


async def consume_oauth_state(
    connection: AsyncConnection, *, jti: str, ring: MasterKeyRing
) -> PendingAuthorization | None:
    """The authorization, marked used now; None when unknown, expired or already used."""
    now = now_ms()
    t = oauth_states
    claimed = await connection.execute(
        update(t).where(t.c.jti == jti, t.c.used_at.is_(None), t.c.expires_at > now).values(used_at=now)
    )
    if not claimed.rowcount:
        return None
    row = (await connection.execute(select(t).where(t.c.jti == jti))).one()
    verifier = open_sealed(ring, row.code_verifier_sealed, context=_context(jti)).decode()
    return PendingAuthorization(row.jti, row.application_id, row.consumer_id, row.service_id, verifier)
