"""The signing key ring across rotations and instances."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from tests.support.tenants import Tenant
from vaultline.app import create_app
from vaultline.config import MAX_SESSION_SECONDS, Settings
from vaultline.db.schema import signing_keys
from vaultline.runtime import Runtime
from vaultline.sessions.verification import verify_session
from vaultline.store.signing_keys import StoredSigningKey, load_signing_keys, retired_kids, rotate_signing_key

WEEK_MS = MAX_SESSION_SECONDS * 1000


@pytest.fixture
async def fast_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"key_refresh_seconds": 0.1, "api_key_cache_seconds": 0.1})


@pytest.fixture
async def two_instances(fast_settings: Settings) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two servers on one database, as two machines behind a load balancer would be."""
    first, second = create_app(fast_settings), create_app(fast_settings)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        yield first, second


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://vault.test")


async def wait_for(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def mint(app: FastAPI, tenant: Tenant) -> str:
    async with client_for(app) as client:
        response = await client.post("/vault/sessions", headers=tenant.headers())
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["session_token"]
    return token


async def test_rotation_reaches_every_instance_and_old_tokens_keep_working(
    two_instances: tuple[FastAPI, FastAPI],
) -> None:
    from tests.support.tenants import create_tenant

    first, second = two_instances
    tenant = await create_tenant(first, name="Rotating")
    old_token = await mint(first, tenant)
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    runtime: Runtime = first.state.runtime
    async with runtime.engine.begin() as connection:  # what `vaultline keys rotate` does
        new_kid, _ = await rotate_signing_key(connection, ring=runtime.master_keys)
    for app in (first, second):
        ring = app.state.runtime.keyring
        await wait_for(lambda ring=ring: ring.signing_key.kid == new_kid)

    new_token = await mint(second, tenant)
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid != old_kid
    for app in (first, second):
        for token in (old_token, new_token):
            await verify_session(app.state.runtime, token)
    async with client_for(second) as client:
        kids = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new_kid} <= kids


async def test_revocation_is_immediate_on_every_instance(two_instances: tuple[FastAPI, FastAPI]) -> None:
    from tests.support.tenants import create_tenant

    first, second = two_instances
    tenant = await create_tenant(first, name="Revoking")
    token = await mint(first, tenant)
    await verify_session(second.state.runtime, token)
    session_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    async with client_for(first) as client:
        assert (await client.delete(f"/vault/sessions/{session_id}", headers=tenant.headers())).status_code == 200
    from vaultline.tokens.session_tokens import SessionTokenRevoked

    with pytest.raises(SessionTokenRevoked):
        await verify_session(second.state.runtime, token)  # no wait: checked against the database


async def test_instance_that_has_not_refreshed_yet_fetches_an_unknown_kid(settings: Settings) -> None:
    slow = settings.model_copy(update={"key_refresh_seconds": 3600})
    first, second = create_app(slow), create_app(slow)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        from tests.support.tenants import create_tenant

        tenant = await create_tenant(first, name="Lagging")
        runtime: Runtime = first.state.runtime
        async with runtime.engine.begin() as connection:
            new_kid, _ = await rotate_signing_key(connection, ring=runtime.master_keys)
        await runtime.keyring.load()
        token = await mint(first, tenant)
        assert jwt.get_unverified_header(token)["kid"] == new_kid
        second.state.runtime.keyring._last_load = 0.0  # its one-per-second reload budget is available
        session = await verify_session(second.state.runtime, token)
        assert session.application_id == tenant.application_id


def stored(kid: str, created_at: int) -> StoredSigningKey:
    return StoredSigningKey(kid=kid, public_key="x", private_key_sealed="s", created_at=created_at)


def test_retirement_keeps_keys_that_may_have_signed_a_live_session() -> None:
    now = 100 * WEEK_MS
    keys = [
        stored("ancient", now - 3 * WEEK_MS),
        stored("old", now - 2 * WEEK_MS),  # superseded a week and 20 minutes ago: retire
        stored("recent", now - WEEK_MS - 20 * 60_000),  # superseded a minute short of a week ago: keep
        stored("current", now - WEEK_MS + 60_000),
    ]
    assert retired_kids(keys, now) == ["ancient", "old"]
    assert retired_kids(keys[-1:], now) == []  # the newest key is never retired


async def test_rotate_retires_keys_past_the_longest_session(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    old_kid = runtime.keyring.signing_key.kid
    async with runtime.engine.begin() as connection:
        middle_kid, retired = await rotate_signing_key(connection, ring=runtime.master_keys)
        assert retired == []
        # Pretend both keys are old: the first was superseded more than a week ago.
        long_ago = int(time.time() * 1000) - 3 * WEEK_MS
        await connection.execute(update(signing_keys).where(signing_keys.c.kid == old_kid).values(created_at=long_ago))
        await connection.execute(
            update(signing_keys).where(signing_keys.c.kid == middle_kid).values(created_at=long_ago + 1000)
        )
        newest_kid, retired = await rotate_signing_key(connection, ring=runtime.master_keys)
        assert retired == [old_kid]
        remaining = [key.kid for key in await load_signing_keys(connection)]
    assert remaining == [middle_kid, newest_kid]
    await runtime.keyring.load()
    assert old_kid not in {key["kid"] for key in runtime.keyring.jwks()["keys"]}


async def test_private_keys_are_sealed_in_the_database(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        keys = await load_signing_keys(connection)
    assert keys and all(key.private_key_sealed.startswith("v1:mk_") for key in keys)
