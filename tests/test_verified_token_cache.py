"""The verified-token cache (tokens/verified_tokens.py) skips only the signature check of a
token seen before: revocation is still seen by the next request of every instance, a retired
key stops its cached tokens, and time claims are checked on every hit."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from tests.support.connections import session_headers
from tests.support.tenants import create_tenant
from tests.test_app_config_freshness import running
from vaultline.config import Settings
from vaultline.db.schema import signing_keys
from vaultline.runtime import Runtime
from vaultline.store.signing_keys import create_signing_key
from vaultline.tokens.session_tokens import SessionTokenError, UnknownSigningKey, verify_session_token
from vaultline.tokens.verified_tokens import VerifiedTokens


def _runtime(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


@pytest.fixture
async def instances(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient]]:
    async with running(settings) as (app_a, http_a), running(settings) as (app_b, http_b):
        yield app_a, http_a, app_b, http_b


async def test_a_session_revoked_on_another_instance_is_refused_by_the_next_request_despite_the_cache(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, app_b, http_b = instances
    tenant = await create_tenant(app_a, name="Acme SaaS")
    browser = await session_headers(http_a, tenant)
    token = browser["Authorization"].removeprefix("Bearer ")
    for _ in range(2):  # the second request is answered from A's cache
        assert (await http_a.get("/vault/connections", headers=browser)).status_code == 200
    assert len(_runtime(app_a).keyring.verified_tokens) == 1

    session_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    revoked = await http_b.delete(f"/vault/sessions/{session_id}", headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text

    response = await http_a.get("/vault/connections", headers=browser)
    assert response.status_code == 401, response.text


async def test_a_cached_token_stops_verifying_when_its_key_leaves_the_ring(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, app_b, _ = instances
    runtime_a = _runtime(app_a)
    tenant = await create_tenant(app_a, name="Acme SaaS")
    browser = await session_headers(http_a, tenant)
    token = browser["Authorization"].removeprefix("Bearer ")
    assert (await http_a.get("/vault/connections", headers=browser)).status_code == 200
    old_kid = runtime_a.keyring.signing_key.kid

    # Instance B's operator rotates and the old key is dropped; A re-reads its ring.
    runtime_b = _runtime(app_b)
    async with runtime_b.engine.begin() as connection:
        await create_signing_key(connection, ring=runtime_b.master_keys)
        await connection.execute(delete(signing_keys).where(signing_keys.c.kid == old_kid))
    await runtime_a.keyring.load(create_if_empty=False)

    with pytest.raises(UnknownSigningKey):
        verify_session_token(runtime_a.keyring, token, issuer=runtime_a.settings.public_url)
    assert (await http_a.get("/vault/connections", headers=browser)).status_code == 401


async def test_a_cached_token_is_refused_by_another_issuer(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, _, _ = instances
    runtime = _runtime(app_a)
    tenant = await create_tenant(app_a, name="Acme SaaS")
    token = (await session_headers(http_a, tenant))["Authorization"].removeprefix("Bearer ")
    verify_session_token(runtime.keyring, token, issuer=runtime.settings.public_url)
    with pytest.raises(SessionTokenError):
        verify_session_token(runtime.keyring, token, issuer="https://elsewhere.example")


def _claims(now: int) -> dict[str, object]:
    return {"iat": now, "nbf": now, "exp": now + 600, "jti": "s", "settings": {"x": 1}}


def test_time_claims_are_checked_on_every_hit() -> None:
    cache = VerifiedTokens()
    key = cache.key("token")
    public_key = object()
    now = int(time.time())
    cache.put(key, kid="k", issuer="i", public_key=public_key, claims=_claims(now))  # type: ignore[arg-type]

    def ring(_kid: str) -> object:
        return public_key

    assert cache.get(key, issuer="i", public_key_for=ring, leeway=5, now=now + 10) is not None
    assert cache.get(key, issuer="i", public_key_for=ring, leeway=5, now=now + 605) is None  # expired
    assert cache.get(key, issuer="i", public_key_for=ring, leeway=5, now=now - 6) is None  # not yet valid
    assert cache.get(key, issuer="i", public_key_for=lambda _: object(), leeway=5, now=now) is None  # other key


def test_a_hit_hands_out_a_copy_and_the_cache_stays_bounded() -> None:
    cache = VerifiedTokens(max_entries=2)
    now = int(time.time())
    public_key = object()
    for token in ("a", "b", "c"):
        cache.put(cache.key(token), kid="k", issuer="i", public_key=public_key, claims=_claims(now))  # type: ignore[arg-type]
    assert len(cache) == 2
    assert cache.get(cache.key("a"), issuer="i", public_key_for=lambda _: public_key, leeway=5) is None
    hit = cache.get(cache.key("c"), issuer="i", public_key_for=lambda _: public_key, leeway=5)
    assert hit is not None
    hit["jti"] = "changed"
    again = cache.get(cache.key("c"), issuer="i", public_key_for=lambda _: public_key, leeway=5)
    assert again is not None and again["jti"] == "s"
