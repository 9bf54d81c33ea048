"""Offline verification (PyJWT, the ``verify`` extra): real server tokens against the real JWKS,
one named test per known attack on JWTs, and the clear error when the extra is missing."""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultline_sdk import (
    AsyncSDK,
    ConfigurationError,
    ExpiredSessionTokenError,
    InvalidSessionTokenError,
    UnknownSigningKeyError,
    verify_session_token,
)
from vaultline_sdk.session_tokens import JWKSCache

ISSUER = "http://vault.test"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """Mints tokens the way the server does, to exercise every claim check."""

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.jwks = {
            "keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": kid, "alg": "EdDSA", "use": "sig"}]
        }

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": "vaultline-session",
            "sub": "c",
            "jti": "j",
            "iat": now,
            "nbf": now,
            "exp": now + 60,
            "consumer_id": "c",
            "application_id": "a",
        }
        claims.update(overrides)
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": self.kid})


def test_a_good_token_verifies() -> None:
    signer = Signer()
    claims = verify_session_token(signer.token(), signer.jwks, issuer=ISSUER)
    assert claims.sub == "c" and claims.application_id == "a"


def test_expired() -> None:
    signer = Signer()
    token = signer.token(exp=int(time.time()) - 60)
    with pytest.raises(ExpiredSessionTokenError):
        verify_session_token(token, signer.jwks, issuer=ISSUER)
    assert verify_session_token(token, signer.jwks, issuer=ISSUER, leeway=120).sub == "c"


def test_not_yet_valid() -> None:
    signer = Signer()
    with pytest.raises(InvalidSessionTokenError, match="not valid yet"):
        verify_session_token(signer.token(nbf=int(time.time()) + 600), signer.jwks, issuer=ISSUER)


@pytest.mark.parametrize(("claim", "value"), [("iss", "http://evil.test"), ("aud", "someone-else")])
def test_wrong_issuer_or_audience(claim: str, value: str) -> None:
    signer = Signer()
    with pytest.raises(InvalidSessionTokenError):
        verify_session_token(signer.token(**{claim: value}), signer.jwks, issuer=ISSUER)


def test_missing_required_claim() -> None:
    signer = Signer()
    token = jwt.encode({"iss": ISSUER, "aud": "vaultline-session"}, signer.private, "EdDSA", {"kid": signer.kid})
    with pytest.raises(InvalidSessionTokenError, match="lacks"):
        verify_session_token(token, signer.jwks, issuer=ISSUER)


def test_alg_none_is_refused() -> None:
    signer = Signer()
    payload = signer.token().split(".")[1]
    header = b64(json.dumps({"alg": "none", "kid": signer.kid}).encode())
    with pytest.raises(InvalidSessionTokenError, match="not accepted"):
        verify_session_token(f"{header}.{payload}.", signer.jwks, issuer=ISSUER)


def test_hmac_with_the_public_key_as_secret_is_refused() -> None:
    signer = Signer()
    public_x = signer.jwks["keys"][0]["x"]
    header = b64(json.dumps({"alg": "HS256", "kid": signer.kid, "typ": "JWT"}).encode())
    payload = signer.token().split(".")[1]
    import hashlib
    import hmac

    forged_sig = hmac.new(public_x.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidSessionTokenError, match="not accepted"):
        verify_session_token(f"{header}.{payload}.{b64(forged_sig)}", signer.jwks, issuer=ISSUER)


def test_tampered_payload_is_refused() -> None:
    signer = Signer()
    header, _, signature = signer.token().split(".")
    forged = b64(json.dumps({"iss": ISSUER, "aud": "vaultline-session", "sub": "admin"}).encode())
    with pytest.raises(InvalidSessionTokenError, match="signature"):
        verify_session_token(f"{header}.{forged}.{signature}", signer.jwks, issuer=ISSUER)


def test_tampered_kid_is_refused() -> None:
    signer, attacker = Signer("real"), Signer("real")
    with pytest.raises(InvalidSessionTokenError, match="signature"):
        verify_session_token(attacker.token(), signer.jwks, issuer=ISSUER)
    with pytest.raises(UnknownSigningKeyError):
        verify_session_token(Signer("unknown").token(), signer.jwks, issuer=ISSUER)


def test_a_key_under_the_kid_that_is_not_ed25519_is_refused() -> None:
    signer = Signer()
    jwks = {"keys": [{**signer.jwks["keys"][0], "crv": "X25519"}]}
    with pytest.raises(InvalidSessionTokenError, match="not an Ed25519 signing key"):
        verify_session_token(signer.token(), jwks, issuer=ISSUER)


def test_times_are_checked_at_a_given_moment() -> None:
    signer = Signer()
    token = signer.token()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert verify_session_token(token, signer.jwks, issuer=ISSUER, now=claims["exp"] - 1).sub == "c"
    with pytest.raises(ExpiredSessionTokenError):
        verify_session_token(token, signer.jwks, issuer=ISSUER, now=claims["exp"] + 10)
    with pytest.raises(InvalidSessionTokenError, match="not valid yet"):
        verify_session_token(token, signer.jwks, issuer=ISSUER, now=claims["nbf"] - 10)
    with pytest.raises(InvalidSessionTokenError, match="signature"):  # the signature is still checked
        verify_session_token(token[:-4] + "AAAA", signer.jwks, issuer=ISSUER, now=claims["iat"])


@pytest.mark.parametrize("missing", ["jwt", "jwt.algorithms"])
def test_without_the_verify_extra_the_error_says_what_to_install(missing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer()
    token = signer.token()
    monkeypatch.setitem(sys.modules, missing, None)  # what importing looks like when PyJWT is absent
    with pytest.raises(ConfigurationError, match=r"pip install 'vaultline-sdk\[verify\]'"):
        verify_session_token(token, signer.jwks, issuer=ISSUER)


def test_pyjwt_without_its_crypto_backend_is_the_same_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer()
    token = signer.token()
    monkeypatch.setattr(jwt.algorithms, "has_crypto", False)
    with pytest.raises(ConfigurationError, match="vaultline-sdk"):
        verify_session_token(token, signer.jwks, issuer=ISSUER)


async def test_without_the_verify_extra_verify_token_fails_before_fetching_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = Signer().token()
    monkeypatch.setitem(sys.modules, "jwt", None)
    # Nothing listens there: reaching the network would be an APIConnectionError instead.
    async with AsyncSDK(server_url="http://127.0.0.1:9", max_retries=0) as offline:
        with pytest.raises(ConfigurationError, match="vaultline-sdk"):
            await offline.sessions.verify_token(token)


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c.d", "!!!.e30.", "e30.e30.e30"])
def test_garbage_is_an_invalid_token(garbage: str) -> None:
    with pytest.raises(InvalidSessionTokenError):
        verify_session_token(garbage, Signer().jwks, issuer=ISSUER)


def test_jwks_cache_refetches_when_stale_or_for_a_new_kid_but_not_in_a_flood() -> None:
    cache = JWKSCache()
    assert cache.needs_fetch("k1", now=0)
    cache.store({"keys": [{"kid": "k1"}]}, now=100)
    assert not cache.needs_fetch("k1", now=101)
    assert not cache.needs_fetch("k2", now=105)  # too soon after the last fetch
    assert cache.needs_fetch("k2", now=111)
    assert cache.needs_fetch("k1", now=1000)


async def test_real_server_tokens_verify_against_its_jwks(async_sdk: AsyncSDK) -> None:
    token = (await async_sdk.sessions.create("token-owner")).session_token
    claims = await async_sdk.sessions.verify_token(token)
    assert claims.consumer_id == claims.sub == "token-owner"
    assert claims.settings["show_logs"] is True
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["consumer_id"] = "someone-else"
    with pytest.raises(InvalidSessionTokenError):
        await async_sdk.sessions.verify_token(f"{header}.{b64(json.dumps(body).encode())}.{signature}")
    with pytest.raises(InvalidSessionTokenError, match="issued by"):
        await async_sdk.sessions.verify_token(token, issuer="https://other.example")
