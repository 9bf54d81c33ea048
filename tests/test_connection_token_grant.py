"""``connectionsToken``: stored credentials traded for an access token. The client_credentials
grant against the real oidc-provider on loopback; the password grant against a stand-in token
endpoint (tests/support/password_grant.py: oidc-provider has no password grant)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import offer, session_headers
from tests.support.hosted import SAME_ORIGIN, open_session
from tests.support.live_server import free_port
from tests.support.metrics import refreshes_counted
from tests.support.oauth import client_for, running_app
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.support.password_grant import PASSWORD, USERNAME, PasswordGrantServer, password_grant_server
from tests.support.tenants import Tenant, create_tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.connections import get_connection, set_oauth_credentials
from vaultline.store.integrations import set_oauth_client

CC = "/vault/connections/hris/loopback-cc"
PW = "/vault/connections/hris/loopback-password"
DOWN = "/vault/connections/hris/loopback-down"
CC_FIELDS = ("client_id", "client_secret")
CC_SETTINGS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
APP_CLIENT = ("vaultline-app-client", "vaultline-app-client-secret")


def _grant_definition(service_id: str, grant_type: str, token_url: str, fields: tuple[str, str]) -> dict[str, Any]:
    return {
        "service_id": service_id,
        "name": service_id.replace("-", " ").title(),
        "unified_api": "hris",
        "auth_type": "oauth2",
        "form_fields": [
            {"id": fields[0], "label": fields[0], "type": "text"},
            {"id": fields[1], "label": fields[1], "type": "password", "sensitive": True},
        ],
        "oauth": {"grant_type": grant_type, "token_url": token_url},
    }


@pytest.fixture
def password_server() -> Iterator[PasswordGrantServer]:
    with password_grant_server(*APP_CLIENT) as server:
        yield server


@pytest.fixture
async def app(
    settings: Settings, oidc: OidcProvider, password_server: PasswordGrantServer, tmp_path: Path
) -> AsyncIterator[FastAPI]:
    catalog = {
        "integrations": [
            _grant_definition("loopback-cc", "client_credentials", f"{oidc.issuer}/token", CC_FIELDS),
            _grant_definition("loopback-password", "password", password_server.token_url, ("username", "password")),
            _grant_definition(
                "loopback-down",
                "client_credentials",
                f"http://127.0.0.1:{free_port()}/token",
                ("client_id", "client_secret"),
            ),  # fmt: skip
        ]
    }
    path = tmp_path / "grant-catalog.json"
    path.write_text(json.dumps(catalog))
    configured = settings.model_copy(update={"catalog_file": path, "allow_private_webhooks": True})
    async with running_app(configured) as application:
        yield application


@pytest.fixture
async def offered(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/unused")
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_oauth_client(
            connection, application_id=tenant.application_id, service_id="loopback-password",
            client_id=APP_CLIENT[0], client_secret=APP_CLIENT[1], ring=runtime.master_keys,
        )  # fmt: skip
    return tenant


async def add(client: httpx.AsyncClient, tenant: Tenant, url: str, settings: dict[str, str]) -> dict[str, Any]:
    response = await client.post(url, headers=tenant.headers("c1"), json={"settings": settings})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def stored_tokens(app: FastAPI, tenant: Tenant, service_id: str = "loopback-cc") -> Any:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        record = await get_connection(
            connection, application_id=tenant.application_id, consumer_id="c1", unified_api="hris",
            service_id=service_id, ring=runtime.master_keys,
        )  # fmt: skip
    return record.oauth_credentials if record else None


async def test_client_credentials_token_is_stored_sealed_and_not_answered(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant, oidc: OidcProvider
) -> None:
    added = await add(client, offered, CC, CC_SETTINGS)
    assert added["state"] == "added" and added["oauth_grant_type"] == "client_credentials"
    assert added["integration_state"] == "configured"  # the consumer brings the client, not the application
    grants = oidc.events("grant.success", "client_credentials")
    response = await client.post(CC + "/token", headers=offered.headers("c1"), json={})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["state"] == "callable"
    assert oidc.events("grant.success", "client_credentials") == grants + 1
    tokens = await stored_tokens(app, offered)
    assert tokens["access_token"] and tokens["access_token"] not in response.text
    assert CLIENT_SECRET not in response.text
    assert tokens["expires_at"] > now_ms() + 200_000  # the provider's 300 s
    types = [event["type"] for event in await outbox(app, offered.application_id)]
    assert types == ["vault.connection.created", "vault.connection.updated", "vault.connection.callable"]
    credentials = await client.get(CC + "/credentials", headers=offered.headers("c1"))
    assert credentials.json()["data"]["credentials"]["access_token"] == tokens["access_token"]


async def test_an_empty_body_is_accepted_and_any_key_refused(client: httpx.AsyncClient, offered: Tenant) -> None:
    await add(client, offered, CC, CC_SETTINGS)
    empty = await client.post(CC + "/token", headers=offered.headers("c1"))
    assert empty.status_code == 200, empty.text
    with_secret = await client.post(CC + "/token", headers=offered.headers("c1"), json={"client_secret": "x"})
    assert with_secret.status_code == 400, with_secret.text


async def test_a_refused_client_secret_is_a_422_naming_the_provider_error(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant, oidc: OidcProvider
) -> None:
    await add(client, offered, CC, {"client_id": CLIENT_ID, "client_secret": "wrong-secret"})
    refused = oidc.events("grant.error", "client_credentials invalid_client")
    response = await client.post(CC + "/token", headers=offered.headers("c1"), json={})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type_name"] == "TokenGrantRefusedError" and body["detail"]["provider_error"] == "invalid_client"
    assert oidc.events("grant.error", "client_credentials invalid_client") == refused + 1
    assert await stored_tokens(app, offered) is None


async def test_missing_settings_are_named_before_calling_the_provider(
    client: httpx.AsyncClient, offered: Tenant, oidc: OidcProvider
) -> None:
    await add(client, offered, CC, {"client_id": CLIENT_ID})
    calls = len(oidc.lines)
    response = await client.post(CC + "/token", headers=offered.headers("c1"), json={})
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["missing_settings"] == ["client_secret"]
    assert len(oidc.lines) == calls


async def test_a_silent_provider_is_a_504(client: httpx.AsyncClient, offered: Tenant) -> None:
    await add(client, offered, DOWN, CC_SETTINGS)
    response = await client.post(DOWN + "/token", headers=offered.headers("c1"), json={})
    assert response.status_code == 504, response.text
    assert response.json()["status_code"] == 504


async def test_token_for_an_integration_without_a_stored_credentials_grant_is_a_422(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    await offer(app, tenant, ["pipedrive", "loopback-cc"])
    await client.post("/vault/connections/crm/pipedrive", headers=tenant.headers("c1"), json={"enabled": True})
    response = await client.post("/vault/connections/crm/pipedrive/token", headers=tenant.headers("c1"), json={})
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["supported_grant_types"] == ["client_credentials", "password"]
    missing = await client.post(CC + "/token", headers=tenant.headers("c1"), json={})
    assert missing.status_code == 404, missing.text


async def test_a_session_needs_reauthorize_only_to_replace_a_token(client: httpx.AsyncClient, offered: Tenant) -> None:
    await add(client, offered, CC, CC_SETTINGS)
    plain = await session_headers(client, offered, "c1", allow_actions=[])
    first = await client.post(CC + "/token", headers=plain, json={})
    assert first.status_code == 200, first.text
    again = await client.post(CC + "/token", headers=plain, json={})
    assert again.status_code == 403, again.text
    assert again.json()["detail"]["required_action"] == "reauthorize"
    allowed = await session_headers(client, offered, "c1", allow_actions=["reauthorize"])
    assert (await client.post(CC + "/token", headers=allowed, json={})).status_code == 200
    outside = await session_headers(client, offered, "c1", unified_apis=["crm"])
    assert (await client.post(CC + "/token", headers=outside, json={})).status_code == 403


async def test_concurrent_credential_reads_renew_an_expiring_token_once(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant, oidc: OidcProvider
) -> None:
    await add(client, offered, CC, CC_SETTINGS)
    assert (await client.post(CC + "/token", headers=offered.headers("c1"), json={})).status_code == 200
    old = await stored_tokens(app, offered)
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        record = await get_connection(
            connection, application_id=offered.application_id, consumer_id="c1", unified_api="hris",
            service_id="loopback-cc", ring=runtime.master_keys, for_update=True,
        )  # fmt: skip
        assert record is not None
        expiring = {**old, "expires_at": now_ms() + 5_000}
        await set_oauth_credentials(connection, record=record, credentials=expiring, ring=runtime.master_keys)
    grants = oidc.events("grant.success", "client_credentials")
    counted = refreshes_counted("success", kind="renewal")
    reads = await asyncio.gather(*(client.get(CC + "/credentials", headers=offered.headers("c1")) for _ in range(8)))
    tokens = {read.json()["data"]["credentials"]["access_token"] for read in reads}
    assert len(tokens) == 1 and old["access_token"] not in tokens
    assert oidc.events("grant.success", "client_credentials") == grants + 1
    assert refreshes_counted("success", kind="renewal") == counted + 1  # GET /metrics shows the one renewal


async def test_password_grant_against_an_rfc6749_token_endpoint(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant, password_server: PasswordGrantServer
) -> None:
    await add(client, offered, PW, {"username": USERNAME, "password": "wrong"})
    refused = await client.post(PW + "/token", headers=offered.headers("c1"), json={})
    assert refused.status_code == 422 and refused.json()["detail"]["provider_error"] == "invalid_grant"
    fixed = await client.patch(PW, headers=offered.headers("c1"), json={"settings": {"password": PASSWORD}})
    assert fixed.status_code == 200, fixed.text
    response = await client.post(PW + "/token", headers=offered.headers("c1"), json={})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["state"] == "callable" and PASSWORD not in response.text
    last = password_server.grants[-1]
    assert last == {"grant_type": "password", "username": USERNAME, "password": PASSWORD,
                    "client_id": APP_CLIENT[0], "client_secret": APP_CLIENT[1]}  # fmt: skip
    assert (await stored_tokens(app, offered, "loopback-password"))["access_token"]


async def test_import_of_stored_grant_credentials_then_token(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    imported = await client.post(CC + "/import", headers=offered.headers("c1"), json={"settings": CC_SETTINGS})
    assert imported.status_code == 200, imported.text
    assert imported.json()["data"]["state"] == "added" and CLIENT_SECRET not in imported.text
    token = await client.post(CC + "/token", headers=offered.headers("c1"), json={})
    assert token.status_code == 200 and token.json()["data"]["state"] == "callable"


async def test_the_token_is_sealed_at_rest(app: FastAPI, client: httpx.AsyncClient, offered: Tenant) -> None:
    await add(client, offered, CC, CC_SETTINGS)
    assert (await client.post(CC + "/token", headers=offered.headers("c1"), json={})).status_code == 200
    token = (await stored_tokens(app, offered))["access_token"]
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        rows = (await connection.exec_driver_sql("SELECT credentials_sealed, settings_sealed FROM connections")).all()
    assert rows and all(token not in str(row) and CLIENT_SECRET not in str(row) for row in rows)


async def test_a_token_endpoint_on_a_private_address_is_refused_without_the_opt_in(
    settings: Settings, oidc: OidcProvider, tmp_path: Path
) -> None:
    # The network guard (net_guard.py) stands between every provider call and the network.
    path = tmp_path / "private-catalog.json"
    definition = _grant_definition("loopback-cc", "client_credentials", f"{oidc.issuer}/token", CC_FIELDS)
    path.write_text(json.dumps({"integrations": [definition]}))
    guarded = settings.model_copy(update={"catalog_file": path, "allow_private_webhooks": False})
    async with running_app(guarded) as application, client_for(application) as client:
        own = await create_tenant(application, name="Guarded")
        await offer(application, own, ["loopback-cc"])
        await add(client, own, CC, CC_SETTINGS)
        grants = oidc.events("grant.success", "client_credentials")
        response = await client.post(CC + "/token", headers=own.headers("c1"), json={})
        assert response.status_code == 502, response.text
        assert response.json()["detail"] == "the provider's endpoint is not allowed by this server"
        assert oidc.events("grant.success", "client_credentials") == grants


# The Hosted Vault: a consumer enters their client id and secret; the token is asked for at once.


async def test_hosted_vault_connects_a_client_credentials_integration(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant, oidc: OidcProvider
) -> None:
    opened = await open_session(client, offered, {"settings": {"allow_actions": []}})
    page = await client.get(opened.page("/integrations/hris/loopback-cc"))
    assert page.status_code == 200, page.text
    assert 'name="client_id"' in page.text and 'name="client_secret"' in page.text
    assert "cannot be authorized here yet" not in page.text
    wrong = await client.post(
        opened.page("/integrations/hris/loopback-cc/connect"),
        data={"client_id": CLIENT_ID, "client_secret": "wrong-secret"},
        headers=SAME_ORIGIN,
    )
    assert wrong.status_code == 422 and "refused" in wrong.text and "wrong-secret" not in wrong.text
    grants = oidc.events("grant.success", "client_credentials")
    done = await client.post(
        opened.page("/integrations/hris/loopback-cc/connect"), data=CC_SETTINGS, headers=SAME_ORIGIN
    )
    assert done.status_code == 303, done.text
    assert oidc.events("grant.success", "client_credentials") == grants + 1
    assert (await stored_tokens(app, offered))["access_token"]
    view = await client.get(CC, headers=offered.headers("c1"))
    assert view.json()["data"]["state"] == "callable"
    # Replacing the stored client secret is a re-authorization: this session may not.
    replaced = await client.patch(
        CC, headers=await session_headers(client, offered, "c1", allow_actions=[]),
        json={"settings": {"client_secret": "another"}},
    )  # fmt: skip
    assert replaced.status_code == 403 and replaced.json()["detail"]["required_action"] == "reauthorize"
