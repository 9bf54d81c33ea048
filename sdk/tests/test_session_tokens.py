"""Offline verification: the pure-Python Ed25519 against RFC 8032 and ``cryptography``, real
server tokens against the real JWKS, and one named test per known attack on JWTs."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultline_sdk import (
    AsyncSDK,
    ExpiredSessionTokenError,
    InvalidSessionTokenError,
    UnknownSigningKeyError,
    verify_session_token,
)
from vaultline_sdk._ed25519 import verify_ed25519
from vaultline_sdk.session_tokens import JWKSCache

ISSUER = "http://vault.test"

# RFC 8032 section 7.1, tests 1 to 3: (public key, message, signature).
RFC8032_VECTORS = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(("public", "message", "signature"), RFC8032_VECTORS)
def test_rfc8032_vectors(public: str, message: str, signature: str) -> None:
    key, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    assert verify_ed25519(key, msg, sig)
    assert not verify_ed25519(key, msg + b"!", sig)
    assert not verify_ed25519(key, msg, sig[:-1] + bytes([sig[-1] ^ 1]))


def test_agrees_with_cryptography_on_random_keys_and_tamperings() -> None:
    for size in range(0, 200, 7):
        private = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        message = os.urandom(size)
        signature = private.sign(message)
        assert verify_ed25519(public, message, signature)
        flipped = bytearray(signature)
        flipped[size % 64] ^= 1 << (size % 8)
        assert not verify_ed25519(public, message, bytes(flipped))
        other = (
            Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        assert not verify_ed25519(other, message, signature)


def test_malleable_signature_with_s_plus_l_is_refused() -> None:
    public, message, signature = (bytes.fromhex(v) for v in RFC8032_VECTORS[0])
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(signature[32:], "little") + order
    assert not verify_ed25519(public, message, signature[:32] + s.to_bytes(32, "little"))


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
