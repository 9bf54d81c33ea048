"""Verify a Vaultline session token offline, against the server's published JWKS.

For a SaaS backend that receives a session token (from its front end, say) and wants to know it
is genuine without a round trip. Signature, algorithm, issuer, audience and times are checked in
one call, and no claim is returned unless all pass. Offline verification cannot see a
revocation: ask the server (``sessions.get``) when that matters.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from vaultline_sdk._constants import SESSION_TOKEN_AUDIENCE
from vaultline_sdk._exceptions import (
    ConfigurationError,
    ExpiredSessionTokenError,
    InvalidSessionTokenError,
    UnknownSigningKeyError,
)
from vaultline_sdk.models.shared._base import ResponseModel

if TYPE_CHECKING:
    import jwt

__all__ = ["JWKSCache", "SessionTokenClaims", "token_key_id", "verify_session_token"]

ALGORITHM = "EdDSA"  # the only one accepted: never "none", never an HMAC, never the token's choice
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "jti", "iat", "exp"]
# Keys are re-fetched when this old, and at most this often when a token names an unknown kid
# (so a flood of forged kids cannot turn into a flood of JWKS requests).
JWKS_MAX_AGE = 300.0
JWKS_MIN_REFETCH_INTERVAL = 10.0

VERIFY_EXTRA_MISSING = (
    "Verifying a session token offline needs PyJWT with its crypto backend, an optional extra of "
    "this SDK: pip install 'vaultline-sdk[verify]'"
)


class SessionTokenClaims(ResponseModel):
    """The verified claims of a session token."""

    iss: str
    """The server's public URL."""
    aud: str | list[str]
    sub: str
    """The consumer id."""
    jti: str
    """The session id (for ``sessions.get`` / ``sessions.revoke``)."""
    iat: int
    exp: int
    nbf: int | None = None
    application_id: str | None = None
    consumer_id: str | None = None
    consumer_metadata: dict[str, Any] = {}
    redirect_uri: str | None = None
    settings: dict[str, Any] = {}
    theme: dict[str, Any] = {}


def _require_pyjwt() -> None:
    """PyJWT is an optional extra, imported only here, so the SDK's core stays httpx + pydantic."""
    try:
        import jwt.algorithms
    except ImportError:
        raise ConfigurationError(VERIFY_EXTRA_MISSING) from None
    if not jwt.algorithms.has_crypto:
        raise ConfigurationError(VERIFY_EXTRA_MISSING)


def token_key_id(token: str) -> str | None:
    """The ``kid`` the token claims, read without verifying: only to choose which key to check with."""
    _require_pyjwt()
    import jwt

    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.DecodeError as exc:
        raise InvalidSessionTokenError(f"The token is malformed: {exc}") from None
    return kid if isinstance(kid, str) else None


def _signing_key(jwks: Mapping[str, Any], kid: str) -> jwt.PyJWK:
    import jwt

    keys = jwks.get("keys")
    for key in keys if isinstance(keys, list) else []:
        if not isinstance(key, dict) or key.get("kid") != kid:
            continue
        if key.get("kty") != "OKP" or key.get("crv") != "Ed25519" or key.get("alg", ALGORITHM) != ALGORITHM:
            raise InvalidSessionTokenError(f"Key {kid!r} is not an Ed25519 signing key")
        if key.get("use", "sig") != "sig":
            raise InvalidSessionTokenError(f"Key {kid!r} is not usable for signatures")
        try:
            return jwt.PyJWK(key, algorithm=ALGORITHM)
        except jwt.PyJWTError as exc:
            raise InvalidSessionTokenError(f"Key {kid!r} is not a valid Ed25519 key: {exc}") from None
    raise UnknownSigningKeyError(f"No key {kid!r} in the JWKS")


def verify_session_token(
    token: str,
    jwks: Mapping[str, Any],
    *,
    issuer: str,
    audience: str = SESSION_TOKEN_AUDIENCE,
    leeway: float = 5.0,
    now: float | None = None,
) -> SessionTokenClaims:
    """Verify ``token`` against ``jwks`` (the JSON of ``GET /.well-known/jwks.json``) and return its claims.

    Needs the ``verify`` extra (``pip install 'vaultline-sdk[verify]'``, which brings PyJWT).

    Args:
        token: the session JWT.
        jwks: ``{"keys": [...]}`` as the server publishes it.
        issuer: the server's public URL, exactly as in the tokens' ``iss``.
        audience: the expected ``aud``.
        leeway: seconds of clock skew tolerated on ``exp``, ``nbf`` and ``iat`` (as the server does).
        now: check the times as of this epoch time instead of the clock (for tests and replays).

    Raises:
        ExpiredSessionTokenError: ``exp`` has passed.
        UnknownSigningKeyError: the token's ``kid`` is not in ``jwks``.
        InvalidSessionTokenError: anything else (bad signature, algorithm, issuer, audience…).
        ConfigurationError: PyJWT (the ``verify`` extra) is not installed.
    """
    kid = token_key_id(token)  # also checks that PyJWT is there, before anything else
    import jwt

    if kid is None:
        raise InvalidSessionTokenError("The token names no signing key (kid)")
    key = _signing_key(jwks, kid)
    check_times = now is None  # PyJWT reads the clock itself; a given ``now`` is checked below
    try:
        claims = jwt.decode(
            token,
            key.key,  # the Ed25519 key itself: PyJWT 2.8 takes no PyJWK here
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={
                "require": _REQUIRED_CLAIMS,
                "verify_exp": check_times,
                "verify_nbf": check_times,
                "verify_iat": check_times,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise _session_token_error(exc, issuer=issuer, audience=audience) from None
    if now is not None:
        _check_times_at(claims, now=now, leeway=leeway)
    try:
        return SessionTokenClaims.model_validate(claims)
    except ValidationError as exc:
        raise InvalidSessionTokenError(f"The token's claims are not a session's: {exc.errors()[0]['msg']}") from None


def _session_token_error(exc: jwt.InvalidTokenError, *, issuer: str, audience: str) -> InvalidSessionTokenError:
    """PyJWT's verdict as this SDK's exception, with a message that says what to check."""
    import jwt

    if isinstance(exc, jwt.ExpiredSignatureError):
        return ExpiredSessionTokenError("The session token has expired")
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return InvalidSessionTokenError(f"The token's algorithm is not accepted; session tokens use {ALGORITHM} only")
    if isinstance(exc, jwt.InvalidSignatureError):
        return InvalidSessionTokenError("The token's signature is not valid")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return InvalidSessionTokenError(f"The token lacks the claim {exc.claim!r}")
    if isinstance(exc, jwt.InvalidIssuerError):
        return InvalidSessionTokenError(f"The token was not issued by {issuer!r}")
    if isinstance(exc, jwt.InvalidAudienceError):
        return InvalidSessionTokenError(f"The token is not meant for {audience!r}")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return InvalidSessionTokenError("The session token is not valid yet")
    return InvalidSessionTokenError(f"The session token is not valid: {exc}")


def _check_times_at(claims: Mapping[str, Any], *, now: float, leeway: float) -> None:
    # The same rules PyJWT applies to the clock, for a caller-chosen moment.
    for name in ("exp", "iat", "nbf"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidSessionTokenError(f"The token's {name} is not a number")
    if claims["exp"] <= now - leeway:
        raise ExpiredSessionTokenError("The session token has expired")
    if max(claims.get("nbf", claims["iat"]), claims["iat"]) > now + leeway:
        raise InvalidSessionTokenError("The session token is not valid yet")


class JWKSCache:
    """The last JWKS fetched, and when to fetch again. Pure state: the clients do the fetching."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] | None = None
        self._fetched_at = 0.0

    def needs_fetch(self, kid: str | None, *, now: float | None = None) -> bool:
        moment = time.monotonic() if now is None else now
        if self.jwks is None or moment - self._fetched_at > JWKS_MAX_AGE:
            return True
        known = any(isinstance(k, dict) and k.get("kid") == kid for k in self.jwks.get("keys", []))
        return not known and moment - self._fetched_at > JWKS_MIN_REFETCH_INTERVAL

    def store(self, jwks: Any, *, now: float | None = None) -> None:
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise InvalidSessionTokenError("The server's JWKS is not {'keys': [...]}")
        self.jwks = jwks
        self._fetched_at = time.monotonic() if now is None else now
