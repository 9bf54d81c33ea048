"""Verify a Vaultline session token offline, against the server's published JWKS.

For a SaaS backend that receives a session token (from its front end, say) and wants to know it
is genuine without a round trip. Signature, algorithm, issuer, audience and times are checked in
one call, and no claim is returned unless all pass. Offline verification cannot see a
revocation: ask the server (``sessions.get``) when that matters.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from vaultline_sdk._constants import SESSION_TOKEN_AUDIENCE
from vaultline_sdk._ed25519 import verify_ed25519
from vaultline_sdk._exceptions import ExpiredSessionTokenError, InvalidSessionTokenError, UnknownSigningKeyError
from vaultline_sdk.models.shared._base import ResponseModel

__all__ = ["JWKSCache", "SessionTokenClaims", "token_key_id", "verify_session_token"]

ALGORITHM = "EdDSA"  # the only one accepted: never "none", never an HMAC, never the token's choice
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_REQUIRED_CLAIMS = ("iss", "aud", "sub", "jti", "iat", "exp")
# Keys are re-fetched when this old, and at most this often when a token names an unknown kid
# (so a flood of forged kids cannot turn into a flood of JWKS requests).
JWKS_MAX_AGE = 300.0
JWKS_MIN_REFETCH_INTERVAL = 10.0


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


def _b64decode(segment: str) -> bytes:
    if not _B64URL.fullmatch(segment):
        raise InvalidSessionTokenError("The token is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSessionTokenError("The token is not base64url") from None


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (ValueError, UnicodeDecodeError):
        raise InvalidSessionTokenError(f"The token's {what} is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidSessionTokenError(f"The token's {what} is not a JSON object")
    return value


def _segments(token: str) -> tuple[str, str, str]:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise InvalidSessionTokenError("A session token has three dot-separated parts")
    return parts[0], parts[1], parts[2]


def token_key_id(token: str) -> str | None:
    """The ``kid`` the token claims, read without verifying: only to choose which key to check with."""
    header = _json_object(_segments(token)[0], "header")
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _public_key(jwks: Mapping[str, Any], kid: str) -> bytes:
    keys = jwks.get("keys")
    for key in keys if isinstance(keys, list) else []:
        if not isinstance(key, dict) or key.get("kid") != kid:
            continue
        if key.get("kty") != "OKP" or key.get("crv") != "Ed25519" or key.get("alg", ALGORITHM) != ALGORITHM:
            raise InvalidSessionTokenError(f"Key {kid!r} is not an Ed25519 signing key")
        if key.get("use", "sig") != "sig" or not isinstance(key.get("x"), str):
            raise InvalidSessionTokenError(f"Key {kid!r} is not usable for signatures")
        return _b64decode(key["x"])
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

    Args:
        token: the session JWT.
        jwks: ``{"keys": [...]}`` as the server publishes it.
        issuer: the server's public URL, exactly as in the tokens' ``iss``.
        audience: the expected ``aud``.
        leeway: seconds of clock skew tolerated on ``exp`` and ``nbf`` (as the server does).
        now: the current epoch time (for tests); defaults to ``time.time()``.

    Raises:
        ExpiredSessionTokenError: ``exp`` has passed.
        UnknownSigningKeyError: the token's ``kid`` is not in ``jwks``.
        InvalidSessionTokenError: anything else (bad signature, algorithm, issuer, audience…).
    """
    header_segment, payload_segment, signature_segment = _segments(token)
    header = _json_object(header_segment, "header")
    if header.get("alg") != ALGORITHM:
        raise InvalidSessionTokenError(f"Algorithm {header.get('alg')!r} is not accepted; session tokens use EdDSA")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidSessionTokenError("The token names no signing key (kid)")
    public_key = _public_key(jwks, kid)
    signed = f"{header_segment}.{payload_segment}".encode("ascii")
    if not verify_ed25519(public_key, signed, _b64decode(signature_segment)):
        raise InvalidSessionTokenError("The token's signature is not valid")
    claims = _json_object(payload_segment, "payload")
    _check_claims(claims, issuer=issuer, audience=audience, leeway=leeway, now=time.time() if now is None else now)
    return SessionTokenClaims.model_validate(claims)


def _check_claims(claims: dict[str, Any], *, issuer: str, audience: str, leeway: float, now: float) -> None:
    missing = [name for name in _REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise InvalidSessionTokenError(f"The token lacks the claim(s) {', '.join(missing)}")
    for name in ("exp", "iat", "nbf"):
        if name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], int | float)):
            raise InvalidSessionTokenError(f"The token's {name} is not a number")
    if claims["iss"] != issuer:
        raise InvalidSessionTokenError(f"The token was issued by {claims['iss']!r}, not {issuer!r}")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if audience not in audiences:
        raise InvalidSessionTokenError(f"The token is not meant for {audience!r}")
    if now > claims["exp"] + leeway:
        raise ExpiredSessionTokenError("The session token has expired")
    if "nbf" in claims and now + leeway < claims["nbf"]:
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
