"""Failed authentication is throttled per client address: wrong API keys, forged session tokens
and forged /session/<token> links get 429 with Retry-After once an address is past the limit,
before any database query, while valid credentials from that address keep working. In memory
per instance, or shared through Redis."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.conftest import PUBLIC_URL
from tests.support.fuzz import assert_error_shape
from tests.support.tenants import Tenant, create_tenant
from vaultline.api import auth
from vaultline.app import create_app
from vaultline.auth_throttle import LocalFailureCounts
from vaultline.config import Settings
from vaultline.tokens.session_tokens import mint_session_token

LIMIT = 3
WRONG_KEY = "Bearer vl_live_" + "x" * 43


def throttled(settings: Settings, **overrides: Any) -> Settings:
    values = {**settings.model_dump(), "auth_throttle_failures": LIMIT, "auth_throttle_window_seconds": 60}
    return Settings.model_validate({**values, **overrides})


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def client_from(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


def random_address() -> str:
    """Tests sharing a Redis server with other runs count under addresses nobody else uses."""
    return "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))


def wrong_key_headers(tenant: Tenant) -> dict[str, str]:
    return {**tenant.headers(), "Authorization": WRONG_KEY}


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60
    if response.headers["content-type"].startswith("application/json"):
        assert_error_shape(response)
        assert response.json()["type_name"] == "TooManyRequestsError"


def count_key_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every API-key lookup that reaches the database, by key hash."""
    lookups: list[str] = []
    real_load = auth._load_key

    async def counting_load(runtime, key_hash):  # type: ignore[no-untyped-def]
        lookups.append(key_hash)
        return await real_load(runtime, key_hash)

    monkeypatch.setattr(auth, "_load_key", counting_load)
    return lookups


async def session_token(http: httpx.AsyncClient, tenant: Tenant) -> str:
    response = await http.post("/vault/sessions", headers=tenant.headers("throttle-consumer"))
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["session_token"]
    return token


def session_headers(tenant: Tenant, token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "x-apideck-app-id": tenant.application_id,
        "x-apideck-consumer-id": "throttle-consumer",
        "x-apideck-auth-type": "JWT",
    }


def tampered(token: str) -> str:
    head, payload, signature = token.split(".")
    return f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


# --- API keys -----------------------------------------------------------------------------


async def test_wrong_api_keys_are_throttled_before_the_database(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(throttled(settings)) as app, client_from(app, "203.0.113.7") as http:
        tenant = await create_tenant(app, name="Throttled")
        lookups = count_key_lookups(monkeypatch)
        for _ in range(LIMIT):
            response = await http.post("/vault/sessions", headers=wrong_key_headers(tenant))
            assert response.status_code == 401, response.text
        for _ in range(5):
            assert_throttled(await http.post("/vault/sessions", headers=wrong_key_headers(tenant)))
            assert_throttled(await http.get("/vault/consumers", headers=wrong_key_headers(tenant)))
        assert len(lookups) == LIMIT  # the flood past the limit cost no query


async def test_a_valid_key_from_a_throttled_address_still_works(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache of 0 s makes every call re-verify the key against the database: the path a key
    # takes every api_key_cache_seconds, which must not be refused either.
    async with running(throttled(settings, api_key_cache_seconds=0)) as app, client_from(app, "203.0.113.8") as http:
        tenant = await create_tenant(app, name="Shares an address with an attacker")
        assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
        for _ in range(LIMIT + 2):
            await http.post("/vault/sessions", headers=wrong_key_headers(tenant))
        assert_throttled(await http.get("/vault/consumers", headers=wrong_key_headers(tenant)))
        lookups = count_key_lookups(monkeypatch)
        for _ in range(3):
            assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
        assert len(lookups) == 3  # re-verified each time, never refused
        assert_throttled(await http.get("/vault/consumers", headers=wrong_key_headers(tenant)))


async def test_a_deleted_key_is_no_longer_let_through_a_throttled_address(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key stops being "known" once the database says it is gone, or a revoked key would be a
    way around the throttle that costs a query per request."""
    async with running(throttled(settings, api_key_cache_seconds=0)) as app, client_from(app, "203.0.113.9") as http:
        tenant = await create_tenant(app, name="Deletes its key")
        assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
        lookups = count_key_lookups(monkeypatch)

        async def missing(runtime, key_hash):  # type: ignore[no-untyped-def]
            lookups.append(key_hash)
            raise auth.Unauthorized("Invalid API key")

        monkeypatch.setattr(auth, "_load_key", missing)  # fault injection: the key was deleted
        statuses = [(await http.post("/vault/sessions", headers=tenant.headers())).status_code for _ in range(6)]
        assert statuses == [401] * LIMIT + [429] * 3
        assert len(lookups) == LIMIT


async def test_another_address_is_not_throttled(settings: Settings) -> None:
    async with running(throttled(settings)) as app:
        tenant = await create_tenant(app, name="Two networks")
        async with client_from(app, "203.0.113.10") as attacker:
            for _ in range(LIMIT + 1):
                last = await attacker.post("/vault/sessions", headers=wrong_key_headers(tenant))
            assert_throttled(last)
        async with client_from(app, "198.51.100.10") as bystander:
            assert (await bystander.post("/vault/sessions", headers=wrong_key_headers(tenant))).status_code == 401


async def test_an_ipv6_attacker_is_counted_per_64(settings: Settings) -> None:
    async with running(throttled(settings)) as app:
        tenant = await create_tenant(app, name="IPv6")
        for host in range(LIMIT):
            async with client_from(app, f"2001:db8:1:2::{host + 1}") as http:
                assert (await http.post("/vault/sessions", headers=wrong_key_headers(tenant))).status_code == 401
        async with client_from(app, "2001:db8:1:2:ffff::99") as http:
            assert_throttled(await http.post("/vault/sessions", headers=wrong_key_headers(tenant)))


# --- session tokens -----------------------------------------------------------------------


async def test_forged_session_tokens_are_throttled_and_a_valid_one_still_works(settings: Settings) -> None:
    async with running(throttled(settings)) as app, client_from(app, "203.0.113.11") as http:
        tenant = await create_tenant(app, name="Session flood")
        token = await session_token(http, tenant)
        forged = session_headers(tenant, tampered(token))
        for _ in range(LIMIT):
            assert (await http.get("/vault/connections", headers=forged)).status_code == 401
        for _ in range(3):
            assert_throttled(await http.get("/vault/connections", headers=forged))
        assert (await http.get("/vault/connections", headers=session_headers(tenant, token))).status_code == 200


async def test_expired_session_tokens_stay_401_and_are_not_counted(settings: Settings) -> None:
    """Browser clients read ``status_code == 401`` to reopen an expired vault: a genuinely signed
    expired token is not a guess, costs no query, and must never turn into a 429."""
    async with running(throttled(settings)) as app, client_from(app, "203.0.113.16") as http:
        tenant = await create_tenant(app, name="Expired tabs")
        claims = jwt.decode(await session_token(http, tenant), options={"verify_signature": False})
        past = int(time.time()) - 3600
        expired, _ = mint_session_token(
            app.state.runtime.keyring, {**claims, "iat": past, "nbf": past, "exp": past + 60}
        )
        for _ in range(LIMIT + 3):
            response = await http.get("/vault/connections", headers=session_headers(tenant, expired))
            assert response.status_code == 401 and response.json()["message"] == "This session has expired"
        forged = session_headers(tenant, tampered(expired))
        assert (await http.get("/vault/connections", headers=forged)).status_code == 401  # the first failure


async def test_unknown_signing_keys_do_not_reload_the_key_ring_once_throttled(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(throttled(settings)) as app, client_from(app, "203.0.113.12") as http:
        tenant = await create_tenant(app, name="Unknown kid")
        reloads = 0
        keyring = app.state.runtime.keyring
        real_reload = keyring.reload_for_unknown_kid

        async def counting_reload() -> None:
            nonlocal reloads
            reloads += 1
            await real_reload()

        monkeypatch.setattr(keyring, "reload_for_unknown_kid", counting_reload)
        unknown_kid = "eyJhbGciOiJFZERTQSIsImtpZCI6Im5vdC1vdXJzIiwidHlwIjoiSldUIn0.e30.c2lnbmF0dXJl"
        for _ in range(LIMIT):
            assert (
                await http.get("/vault/connections", headers=session_headers(tenant, unknown_kid))
            ).status_code == 401
        for _ in range(3):
            assert_throttled(await http.get("/vault/connections", headers=session_headers(tenant, unknown_kid)))
        assert reloads == LIMIT


async def test_forged_session_links_are_throttled_with_a_page(settings: Settings) -> None:
    async with running(throttled(settings)) as app, client_from(app, "203.0.113.13") as http:
        tenant = await create_tenant(app, name="Link flood")
        token = await session_token(http, tenant)
        for _ in range(LIMIT):
            assert (await http.get(f"/session/{tampered(token)}")).status_code == 401
        page = await http.get(f"/session/{tampered(token)}")
        assert_throttled(page)
        assert page.headers["content-type"].startswith("text/html") and "Traceback" not in page.text
        opened = await http.get(f"/session/{token}")
        assert opened.status_code == 303, opened.text


async def test_guessed_hosted_vault_handles_are_throttled_with_a_page(settings: Settings) -> None:
    async with running(throttled(settings)) as app, client_from(app, "203.0.113.15") as http:
        tenant = await create_tenant(app, name="Handle flood")
        opened = await http.get(f"/session/{await session_token(http, tenant)}")
        page = opened.headers["location"]
        real = http.cookies["vaultline_session"]
        session_path = page.rsplit("/", 1)[0]
        guesses = [f"{real.split('.')[0]}.{secrets.token_urlsafe(32)}" for _ in range(LIMIT + 1)]
        for guess in guesses[:LIMIT]:
            http.cookies.set("vaultline_session", guess, domain="vault.test", path=session_path)
            assert (await http.get(page)).status_code == 401
        http.cookies.set("vaultline_session", guesses[LIMIT], domain="vault.test", path=session_path)
        refused = await http.get(page)
        assert_throttled(refused)
        assert refused.headers["content-type"].startswith("text/html") and "Traceback" not in refused.text
        http.cookies.set("vaultline_session", real, domain="vault.test", path=session_path)
        assert (await http.get(page)).status_code == 200  # the real handle still opens its pages


# --- the client address ---------------------------------------------------------------------


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings: Settings) -> None:
    async with running(throttled(settings)) as app, client_from(app, "203.0.113.14") as http:
        tenant = await create_tenant(app, name="Spoofer")
        for n in range(LIMIT):
            spoofed = {**wrong_key_headers(tenant), "X-Forwarded-For": f"192.0.2.{n}"}
            assert (await http.post("/vault/sessions", headers=spoofed)).status_code == 401
        spoofed = {**wrong_key_headers(tenant), "X-Forwarded-For": "192.0.2.200"}
        assert_throttled(await http.post("/vault/sessions", headers=spoofed))


async def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(settings: Settings) -> None:
    trusting = throttled(settings, trusted_proxies=("10.0.0.0/8",))
    async with running(trusting) as app, client_from(app, "10.1.2.3") as proxy:
        tenant = await create_tenant(app, name="Behind a proxy")
        for _ in range(LIMIT):
            # A client cannot escape by prepending addresses: the nearest untrusted one counts.
            forwarded = {**wrong_key_headers(tenant), "X-Forwarded-For": f"{random_address()}, 198.51.100.20"}
            assert (await proxy.post("/vault/sessions", headers=forwarded)).status_code == 401
        forwarded = {**wrong_key_headers(tenant), "X-Forwarded-For": "198.51.100.20, 10.9.9.9"}
        assert_throttled(await proxy.post("/vault/sessions", headers=forwarded))
        other_client = {**wrong_key_headers(tenant), "X-Forwarded-For": "198.51.100.21"}
        assert (await proxy.post("/vault/sessions", headers=other_client)).status_code == 401


def test_trusted_proxies_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTLINE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    assert Settings().trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    monkeypatch.setenv("VAULTLINE_TRUSTED_PROXIES", "*")
    with pytest.raises(ValueError, match="not an IP address or network"):
        Settings()


# --- memory bound ---------------------------------------------------------------------------


def test_the_in_memory_counters_are_bounded() -> None:
    counts = LocalFailureCounts(window_seconds=60, max_addresses=100)
    for n in range(10_000):
        counts.add(f"198.51.{n // 256}.{n % 256}")
    assert len(counts) == 100
    assert counts.failures("198.51.39.15") == (1, pytest.approx(60, abs=1))  # the newest is kept
    assert counts.failures("198.51.0.0")[0] == 0  # the oldest was forgotten first


# --- Redis ------------------------------------------------------------------------------------


@pytest.mark.redis
async def test_two_instances_sharing_redis_see_each_others_failures(
    settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = throttled(settings, redis_url=redis_url)
    address = random_address()
    async with running(shared) as first, running(shared) as second:
        tenant = await create_tenant(first, name="Two instances")
        async with client_from(first, address) as http:
            # The backend behind this address used its key on the first instance before.
            assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
            for _ in range(LIMIT):
                assert (await http.post("/vault/sessions", headers=wrong_key_headers(tenant))).status_code == 401
        lookups = count_key_lookups(monkeypatch)
        async with client_from(second, address) as http:
            assert_throttled(await http.post("/vault/sessions", headers=wrong_key_headers(tenant)))
            assert lookups == []  # refused before the second instance's database query
            # The second instance never saw the valid key, but the first vouched for it in Redis.
            assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
            assert_throttled(await http.post("/vault/sessions", headers=wrong_key_headers(tenant)))
        async with client_from(second, random_address()) as http:
            assert (await http.post("/vault/sessions", headers=wrong_key_headers(tenant))).status_code == 401


@pytest.mark.redis
async def test_a_valid_cached_key_costs_no_redis_round_trip(settings: Settings, redis_url: str) -> None:
    async with running(throttled(settings, redis_url=redis_url)) as app, client_from(app, random_address()) as http:
        tenant = await create_tenant(app, name="Hot path")
        assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
        shared = app.state.auth_throttle._shared
        calls = 0
        real_failures, real_add = shared.failures, shared.add

        async def counting_failures(address: str, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await real_failures(address, **kwargs)

        async def counting_add(address: str, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await real_add(address, **kwargs)

        shared.failures, shared.add = counting_failures, counting_add
        for _ in range(20):
            assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
        assert calls == 0
        assert (await http.post("/vault/sessions", headers=wrong_key_headers(tenant))).status_code == 401
        assert calls == 2  # a wrong key: one read before the database, one count after


async def test_an_unreachable_redis_fails_open_with_a_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Availability over throttling: nothing is refused because Redis is down; the instance
    counts on its own until Redis answers again, and says so once."""
    unreachable = throttled(settings, redis_url="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="vaultline.auth_throttle"):
        async with running(unreachable) as app, client_from(app, "203.0.113.15") as http:
            tenant = await create_tenant(app, name="No Redis")
            assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
            statuses = [
                (await http.post("/vault/sessions", headers=wrong_key_headers(tenant))).status_code for _ in range(5)
            ]
            assert statuses == [401] * LIMIT + [429] * 2  # counted in this instance meanwhile
            assert (await http.post("/vault/sessions", headers=tenant.headers())).status_code == 200
    warnings = [r for r in caplog.records if "Redis did not answer" in r.getMessage()]
    assert len(warnings) == 1
