"""Token verification: one named regression test per known attack or failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwcrypto import jwk, jws  # an independent JOSE implementation

from tests.seed_example import SEED_SESSION_BODY
from tests.support.tenants import Tenant
from vaultline.runtime import Runtime
from vaultline.sessions.verification import verify_session
from vaultline.store.signing_keys import rotate_signing_key
from vaultline.tokens.session_tokens import (
    SESSION_AUDIENCE,
    SessionTokenError,
    SessionTokenExpired,
    SessionTokenNotYetValid,
    SessionTokenRevoked,
    UnknownSigningKey,
    session_claims_ignoring_time,
    verify_session_token,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def mint(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any] | None = None) -> str:
    response = await client.post("/vault/sessions", headers=tenant.headers(), json=body or {})
    assert response.status_code == 200
    token: str = response.json()["data"]["session_token"]
    return token


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def sign_with_current_key(runtime: Runtime, claims: dict[str, Any]) -> str:
    key = runtime.keyring.signing_key
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


def valid_claims(runtime: Runtime, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": runtime.settings.public_url,
        "aud": SESSION_AUDIENCE,
        "sub": "c",
        "jti": "j" * 24,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "application_id": "app",
        "consumer_id": "c",
        "settings": {},
    }
    claims.update(overrides)
    return claims


async def test_valid_token_verifies_with_the_session_record(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    token = await mint(client, tenant, SEED_SESSION_BODY)
    session = await verify_session(runtime_of(app), token)
    assert session.consumer_id == "test-consumer" and session.application_id == tenant.application_id
    assert session.settings["unified_apis"] == ["crm"]


async def test_token_verifies_against_jwks_with_an_independent_library(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await mint(client, tenant, SEED_SESSION_BODY)
    keys = jwk.JWKSet.from_json((await client.get("/.well-known/jwks.json")).text)
    kid = jwt.get_unverified_header(token)["kid"]
    verifier = jws.JWS()
    verifier.deserialize(token)
    verifier.verify(keys.get_key(kid), alg="EdDSA")
    claims = json.loads(verifier.payload)
    assert claims["consumer_id"] == "test-consumer" and claims["theme"]["vault_name"] == "Intercom"
    assert {"iss", "aud", "sub", "jti", "iat", "exp"} <= set(claims)


async def test_alg_none_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": runtime.keyring.signing_key.kid}).encode())
    payload = b64url(json.dumps(valid_claims(runtime)).encode())
    with pytest.raises(SessionTokenError):
        verify_session_token(runtime.keyring, f"{header}.{payload}.", issuer=runtime.settings.public_url)


async def test_hs256_signed_with_the_public_key_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    kid = runtime.keyring.signing_key.kid
    public_x = next(k["x"] for k in runtime.keyring.jwks()["keys"] if k["kid"] == kid)
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64url(json.dumps(valid_claims(runtime)).encode())
    for secret in (public_x.encode(), base64.urlsafe_b64decode(public_x + "=")):
        signature = b64url(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        with pytest.raises(SessionTokenError):
            verify_session_token(runtime.keyring, f"{header}.{payload}.{signature}", issuer=runtime.settings.public_url)


async def test_another_keys_signature_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    forged = jwt.encode(
        valid_claims(runtime),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": runtime.keyring.signing_key.kid},
    )
    with pytest.raises(SessionTokenError) as caught:
        verify_session_token(runtime.keyring, forged, issuer=runtime.settings.public_url)
    assert type(caught.value) is SessionTokenError


async def test_expired_token_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    now = int(time.time())
    token = sign_with_current_key(runtime, valid_claims(runtime, iat=now - 7200, nbf=now - 7200, exp=now - 3600))
    with pytest.raises(SessionTokenExpired):
        verify_session_token(runtime.keyring, token, issuer=runtime.settings.public_url)


async def test_not_yet_valid_token_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    now = int(time.time())
    token = sign_with_current_key(runtime, valid_claims(runtime, iat=now, nbf=now + 3600, exp=now + 7200))
    with pytest.raises(SessionTokenNotYetValid):
        verify_session_token(runtime.keyring, token, issuer=runtime.settings.public_url)


@pytest.mark.parametrize(
    "override",
    [{"aud": "someone-else"}, {"aud": ["vaultline-session", "x"]}, {"iss": "https://evil.example"}],
    ids=["wrong-aud", "aud-list", "wrong-iss"],
)
async def test_wrong_audience_or_issuer_is_rejected(app: FastAPI, override: dict[str, Any]) -> None:
    runtime = runtime_of(app)
    token = sign_with_current_key(runtime, valid_claims(runtime, **override))
    with pytest.raises(SessionTokenError):
        verify_session_token(runtime.keyring, token, issuer=runtime.settings.public_url)


async def test_missing_required_claim_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    claims = valid_claims(runtime)
    del claims["exp"]
    with pytest.raises(SessionTokenError):
        verify_session_token(
            runtime.keyring, sign_with_current_key(runtime, claims), issuer=runtime.settings.public_url
        )


async def test_unknown_kid_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    token = jwt.encode(valid_claims(runtime), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "nope"})
    with pytest.raises(UnknownSigningKey):
        verify_session_token(runtime.keyring, token, issuer=runtime.settings.public_url)


async def test_tampered_kid_pointing_at_another_real_key_is_rejected(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    runtime = runtime_of(app)
    token = await mint(client, tenant)
    async with runtime.engine.begin() as connection:
        await rotate_signing_key(connection, ring=runtime.master_keys)
    await runtime.keyring.load()
    _, payload, signature = token.split(".")
    other_kid = runtime.keyring.signing_key.kid
    header = b64url(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": other_kid}).encode())
    with pytest.raises(SessionTokenError):
        verify_session_token(runtime.keyring, f"{header}.{payload}.{signature}", issuer=runtime.settings.public_url)


async def test_tampered_payload_is_rejected(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    runtime = runtime_of(app)
    token = await mint(client, tenant, {"settings": {"allow_actions": []}})
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["settings"]["allow_actions"] = ["delete"]
    claims["exp"] += 86400
    forged_payload = b64url(json.dumps(claims).encode())
    with pytest.raises(SessionTokenError):
        verify_session_token(
            runtime.keyring, f"{header}.{forged_payload}.{signature}", issuer=runtime.settings.public_url
        )


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "eyJhbGciOiJFZERTQSJ9.e30.", "null", "undefined"])
async def test_garbage_is_rejected(app: FastAPI, garbage: str) -> None:
    runtime = runtime_of(app)
    with pytest.raises(SessionTokenError):
        verify_session_token(runtime.keyring, garbage, issuer=runtime.settings.public_url)


async def test_revoked_session_is_rejected(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    token = await mint(client, tenant)
    session_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    await verify_session(runtime_of(app), token)
    response = await client.delete(f"/vault/sessions/{session_id}", headers=tenant.headers())
    assert response.status_code == 200 and response.json()["data"]["state"] == "revoked"
    with pytest.raises(SessionTokenRevoked):
        await verify_session(runtime_of(app), token)


async def test_validly_signed_token_with_no_session_record_is_rejected(app: FastAPI) -> None:
    runtime = runtime_of(app)
    token = sign_with_current_key(runtime, valid_claims(runtime))
    verify_session_token(runtime.keyring, token, issuer=runtime.settings.public_url)  # signature is fine
    with pytest.raises(SessionTokenError):
        await verify_session(runtime, token)


# "Expired, but say who it was": the Hosted Vault's error page reads an expired token's claims to
# offer the way back. Only the time is not checked; everything else is, as for a live session.


def expired_claims(runtime: Runtime, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return valid_claims(runtime, iat=now - 7200, nbf=now - 7200, exp=now - 3600, **overrides)


async def test_claims_ignoring_time_read_an_expired_token(app: FastAPI) -> None:
    runtime = runtime_of(app)
    token = sign_with_current_key(runtime, expired_claims(runtime, redirect_uri="https://mysaas.com/back"))
    claims = session_claims_ignoring_time(runtime.keyring, token, issuer=runtime.settings.public_url)
    assert claims["redirect_uri"] == "https://mysaas.com/back" and claims["application_id"] == "app"


@pytest.mark.parametrize(
    "override",
    [
        {"aud": "vaultline-oauth-link"},
        {"aud": ["vaultline-session", "x"]},
        {"iss": "https://evil.example"},
        {"application_id": None},
    ],
    ids=["another-audience", "aud-list", "wrong-iss", "missing-claim"],
)
async def test_claims_ignoring_time_still_check_audience_issuer_and_required_claims(
    app: FastAPI, override: dict[str, Any]
) -> None:
    runtime = runtime_of(app)
    claims = {k: v for k, v in expired_claims(runtime, **override).items() if v is not None}
    token = sign_with_current_key(runtime, claims)
    with pytest.raises(SessionTokenError):
        session_claims_ignoring_time(runtime.keyring, token, issuer=runtime.settings.public_url)


async def test_claims_ignoring_time_refuse_another_keys_signature(app: FastAPI) -> None:
    runtime = runtime_of(app)
    forged = jwt.encode(
        expired_claims(runtime),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": runtime.keyring.signing_key.kid},
    )
    with pytest.raises(SessionTokenError):
        session_claims_ignoring_time(runtime.keyring, forged, issuer=runtime.settings.public_url)


async def test_claims_ignoring_time_refuse_alg_none(app: FastAPI) -> None:
    runtime = runtime_of(app)
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": runtime.keyring.signing_key.kid}).encode())
    payload = b64url(json.dumps(expired_claims(runtime)).encode())
    with pytest.raises(SessionTokenError):
        session_claims_ignoring_time(runtime.keyring, f"{header}.{payload}.", issuer=runtime.settings.public_url)
