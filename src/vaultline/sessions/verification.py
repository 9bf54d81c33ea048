"""Verifying a session on use: the signature and claims, then the session record — so a
revoked session (or one whose consumer was deleted) stops working at once, on every instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vaultline.sessions.services import SessionServices
from vaultline.store.sessions import SessionRecord, get_session_with_config_version
from vaultline.tokens.session_tokens import SessionTokenError, SessionTokenRevoked, verify_session_token_refreshing


@dataclass(frozen=True, slots=True)
class VerifiedSession:
    claims: dict[str, Any]
    record: SessionRecord
    # The application's config version read with the session row (store/app_config.py).
    config_version: int | None = None

    @property
    def application_id(self) -> str:
        return self.record.application_id

    @property
    def consumer_id(self) -> str:
        return self.record.consumer_id

    @property
    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self.claims["settings"]
        return settings


async def verify_session(runtime: SessionServices, token: str) -> VerifiedSession:
    claims = await verify_session_token_refreshing(runtime.keyring, token, issuer=runtime.settings.public_url)
    return await session_for_claims(runtime, claims)


async def session_for_claims(runtime: SessionServices, claims: dict[str, Any]) -> VerifiedSession:
    """The session record behind verified claims; a revoked or unknown session is refused."""
    async with runtime.reader() as connection:
        found = await get_session_with_config_version(connection, session_id=str(claims["jti"]))
    record, config_version = found if found else (None, None)
    if (
        record is None
        or record.application_id != claims["application_id"]
        or record.consumer_id != claims["consumer_id"]
    ):
        raise SessionTokenError(detail="This session is not known to the server")
    if record.revoked_at is not None:
        raise SessionTokenRevoked()
    return VerifiedSession(claims, record, config_version)
