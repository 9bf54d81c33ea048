"""Refresh, refresh failure and disconnect against the real oidc-provider: concurrent reads
of expiring credentials cause exactly one refresh at the provider (in one process and, on
PostgreSQL, across two app instances sharing the database)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.support.hosted import SAME_ORIGIN
from tests.support.metrics import refreshes_counted
from tests.support.oauth import (
    CONNECTION_PAGE,
    CREDENTIALS,
    client_for,
    connect,
    expire_access_token,
    oauth_settings,
    offer_oauth,
    running_app,
    stored_credentials,
)
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.support.tenants import Tenant
from vaultline.config import Settings

READERS = 20


@pytest.fixture
async def oauth_config(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> Settings:
    return oauth_settings(settings, oidc, tmp_path)


@pytest.fixture
async def app(oauth_config: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_config) as application:
        yield application


@pytest.fixture
async def oauth_tenant(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer_oauth(app, tenant)
    return tenant


async def read_token(client: httpx.AsyncClient, tenant: Tenant) -> str:
    response = await client.get(CREDENTIALS, headers=tenant.headers("c1"))
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["credentials"]["access_token"]
    return token


async def test_concurrent_reads_cause_one_refresh(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    await connect(client, oauth_tenant)
    old = await stored_credentials(app, oauth_tenant)
    assert old is not None
    await expire_access_token(app, oauth_tenant)
    refreshes = oidc.events("grant.success", "refresh_token")
    counted = refreshes_counted("success")
    tokens = await asyncio.gather(*(read_token(client, oauth_tenant) for _ in range(READERS)))
    assert oidc.events("grant.success", "refresh_token") == refreshes + 1
    assert refreshes_counted("success") == counted + 1  # GET /metrics shows the one refresh
    assert len(set(tokens)) == 1 and tokens[0] != old["access_token"]
    new = await stored_credentials(app, oauth_tenant)
    assert new is not None and new["refresh_token"] != old["refresh_token"]  # rotated by the provider
    assert len(app.state.runtime.oauth_refresh_locks) == 0
    # A fresh token is not refreshed again.
    assert await read_token(client, oauth_tenant) == tokens[0]
    assert oidc.events("grant.success", "refresh_token") == refreshes + 1


@pytest.mark.postgres
async def test_two_instances_refresh_once(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider, oauth_config: Settings
) -> None:
    if oauth_config.backend != "postgresql":
        pytest.skip("several instances share PostgreSQL, not SQLite")
    await connect(client, oauth_tenant)
    await expire_access_token(app, oauth_tenant)
    refreshes = oidc.events("grant.success", "refresh_token")
    async with running_app(oauth_config) as second_app, client_for(second_app) as second:
        reads = [read_token(c, oauth_tenant) for _ in range(READERS // 2) for c in (client, second)]
        tokens = await asyncio.gather(*reads)
    assert oidc.events("grant.success", "refresh_token") == refreshes + 1
    assert len(set(tokens)) == 1


async def test_a_refused_refresh_marks_the_connection_invalid(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    await connect(client, oauth_tenant)
    stored = await stored_credentials(app, oauth_tenant)
    assert stored is not None
    async with httpx.AsyncClient(trust_env=False) as http:  # the consumer revoked access at the provider
        revoked = await http.post(
            f"{oidc.issuer}/token/revocation",
            data={"token": stored["refresh_token"], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
    assert revoked.status_code == 200
    await expire_access_token(app, oauth_tenant)
    refused = refreshes_counted("refused")
    response = await client.get(CREDENTIALS, headers=oauth_tenant.headers("c1"))
    assert response.status_code == 422, response.text
    assert refreshes_counted("refused") == refused + 1
    assert response.json()["detail"]["provider_error"] == "invalid_grant"
    view = await client.get("/vault/connections/crm/loopback-oidc", headers=oauth_tenant.headers("c1"))
    assert view.json()["data"]["state"] == "invalid"


async def test_disconnect_revokes_at_the_provider_and_clears_the_tokens(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    session = await connect(client, oauth_tenant)
    revocations, grants_revoked = oidc.events("revocation", "200"), oidc.events("grant.revoked")
    page = await client.get(session.page(CONNECTION_PAGE))
    assert 'data-action="disconnect"' in page.text
    response = await client.post(session.page(CONNECTION_PAGE + "/disconnect"), headers=SAME_ORIGIN)
    assert response.status_code == 303, response.text
    assert oidc.events_once_printed("revocation", "200", revocations + 2) == revocations + 2  # refresh, access
    assert oidc.events("grant.revoked") == grants_revoked + 1
    assert await stored_credentials(app, oauth_tenant) is None
    view = await client.get("/vault/connections/crm/loopback-oidc", headers=oauth_tenant.headers("c1"))
    assert view.json()["data"]["state"] == "added"
