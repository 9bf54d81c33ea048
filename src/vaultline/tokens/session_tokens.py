"""Minting and verifying session JWTs (EdDSA over Ed25519, ``kid`` in the header).

Verification checks signature and every registered claim in one ``jwt.decode`` call and
never hands out unverified claims. Each way a token can be bad is its own subclass of
``SessionTokenError`` (a 401), so the Hosted Vault can tell the consumer which it was.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any, ClassVar

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from vaultline.errors import Unauthorized
from vaultline.store.signing_keys import ALGORITHM
from vaultline.tokens.keyring import KeyRing

SESSION_AUDIENCE = "vaultline-session"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "application_id", "consumer_id"]
# Tolerated clock difference between the instance that minted and the one that verifies.
LEEWAY_SECONDS = 5


class SessionTokenError(Unauthorized):
    reason: ClassVar[str] = "invalid"
    default_message = "Invalid session token"


class SessionTokenExpired(SessionTokenError):
    reason = "expired"
    default_message = "This session has expired"


class SessionTokenNotYetValid(SessionTokenError):
    reason = "not_yet_valid"
    default_message = "This session is not valid yet"


class SessionTokenRevoked(SessionTokenError):
    reason = "revoked"
    default_message = "This session has been revoked"


class UnknownSigningKey(SessionTokenError):
    default_message = "Session token signed by an unknown key"


def mint_session_token(keyring: KeyRing, claims: dict[str, Any]) -> tuple[str, str]:
    """Sign ``claims`` with the current key; returns (token, kid).

    The compact JWS is written here rather than by ``jwt.encode``, whose JSON and base64 work
    cost more than the Ed25519 signature itself on the hottest path; the signature is still
    made by ``cryptography`` and every token is verified by ``jwt.decode``. The output is what
    PyJWT writes: same header, compact JSON, ASCII-escaped as browsers' ``atob`` expects."""
    key = keyring.signing_key
    payload = orjson.dumps(claims)
    if not payload.isascii():
        payload = json.dumps(claims, separators=(",", ":")).encode()
    signing_input = _jws_header(key.kid) + b"." + _b64url(payload)
    signature = key.private_key.sign(signing_input)
    return (signing_input + b"." + _b64url(signature)).decode("ascii"), key.kid


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@lru_cache(maxsize=64)
def _jws_header(kid: str) -> bytes:
    return _b64url(json.dumps({"alg": ALGORITHM, "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())


def decode_signed_token(
    keyring: KeyRing, token: str, *, audience: str, issuer: str, required: list[str], verify_time: bool = True
) -> dict[str, Any]:
    """Any token signed by our key ring (sessions, OAuth states): signature and every claim in
    one ``jwt.decode``, the only call site; each failure is its own ``SessionTokenError``
    subclass. ``verify_time=False`` skips only ``exp``/``nbf``/``iat``: see
    ``session_claims_ignoring_time``."""
    return _decode_signed_token(
        keyring, token, audience=audience, issuer=issuer, required=required, verify_time=verify_time
    )[2]


def _decode_signed_token(
    keyring: KeyRing, token: str, *, audience: str, issuer: str, required: list[str], verify_time: bool = True
) -> tuple[str, Ed25519PublicKey, dict[str, Any]]:
    """As ``decode_signed_token``, also giving the kid and the public key that verified it."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise SessionTokenError(detail="The token is malformed") from exc
    if not isinstance(kid, str) or (public_key := keyring.public_key(kid)) is None:
        raise UnknownSigningKey()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={
                "require": required,
                "strict_aud": True,
                "verify_exp": verify_time,
                "verify_nbf": verify_time,
                "verify_iat": verify_time,
            },
        )
    except jwt.ExpiredSignatureError as exc:
        raise SessionTokenExpired() from exc
    except jwt.ImmatureSignatureError as exc:
        raise SessionTokenNotYetValid() from exc
    except jwt.PyJWTError as exc:
        raise SessionTokenError(detail=str(exc)) from exc
    return kid, public_key, claims


def verify_session_token(keyring: KeyRing, token: str, *, issuer: str) -> dict[str, Any]:
    """Signature, claims and time; a token verified before by a key still in the ring skips the
    signature check and parsing, never the time checks (tokens/verified_tokens.py)."""
    cache = keyring.verified_tokens
    cache_key = cache.key(token)
    cached = cache.get(cache_key, issuer=issuer, public_key_for=keyring.public_key, leeway=LEEWAY_SECONDS)
    if cached is not None:
        return cached
    kid, public_key, claims = _decode_signed_token(
        keyring, token, audience=SESSION_AUDIENCE, issuer=issuer, required=REQUIRED_CLAIMS
    )
    cache.put(cache_key, kid=kid, issuer=issuer, public_key=public_key, claims=claims)
    return claims


def session_claims_ignoring_time(keyring: KeyRing, token: str, *, issuer: str) -> dict[str, Any]:
    """An expired (or not yet valid) session token's claims, everything but the time verified:
    enough to tell the consumer of an expired session the way back to their application, never
    enough to let the session in (``verify_session_token`` does that)."""
    return decode_signed_token(
        keyring, token, audience=SESSION_AUDIENCE, issuer=issuer, required=REQUIRED_CLAIMS, verify_time=False
    )


async def verify_session_token_refreshing(keyring: KeyRing, token: str, *, issuer: str) -> dict[str, Any]:
    """As ``verify_session_token``, re-reading the key ring once if the kid is not known yet
    (another instance may have rotated a second ago)."""
    try:
        return verify_session_token(keyring, token, issuer=issuer)
    except UnknownSigningKey:
        await keyring.reload_for_unknown_kid()
        return verify_session_token(keyring, token, issuer=issuer)
