"""Verifying a session token with failed attempts counted against the caller's address, for the
API's session-token calls and the Hosted Vault's session links alike (rules: auth_throttle.py
and api/auth.py's docstring)."""

from __future__ import annotations

from vaultline.auth_throttle import AuthThrottle
from vaultline.sessions.services import SessionServices
from vaultline.sessions.verification import VerifiedSession, session_for_claims
from vaultline.tokens.session_tokens import (
    SessionTokenError,
    SessionTokenExpired,
    SessionTokenNotYetValid,
    UnknownSigningKey,
    verify_session_token,
    verify_session_token_refreshing,
)


async def verify_session_throttled(
    services: SessionServices, throttle: AuthThrottle, token: str, *, address: str
) -> VerifiedSession:
    issuer = services.settings.public_url
    try:
        try:
            claims = verify_session_token(services.keyring, token, issuer=issuer)
        except UnknownSigningKey:
            await throttle.refuse_if_throttled(address)  # the key ring reload reads the database
            claims = await verify_session_token_refreshing(services.keyring, token, issuer=issuer)
    except (SessionTokenExpired, SessionTokenNotYetValid):
        raise  # genuinely ours: not an attempt to guess
    except SessionTokenError:
        await throttle.record_failure(address)
        raise
    return await session_for_claims(services, claims)
