"""``connectionsRevoke`` (GET /vault/revoke/{service_id}/{application_id}) against the real
oidc-provider: RFC 7009 revocation, the tokens cleared, ``vault.connection.revoked``, a 301
back; and every check a Hosted Vault link gets (signature, browser binding, session actions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.support.consumer_logs import read_logs
from tests.support.fuzz import assert_error_shape
from tests.support.hosted import open_session
from tests.support.oauth import (
    CONNECTION_PAGE,
    PUBLIC_URL,
    client_for,
    connect,
    oauth_settings,
    offer_oauth,
    running_app,
    stored_credentials,
)
from tests.support.oidc import SERVICE_ID, OidcProvider
from tests.support.tenants import Tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.config import Settings
from vaultline.oauth.browser_binding import BINDING_COOKIE, binding_digest
from vaultline.oauth.links import authorize_link
from vaultline.oauth.provider_disconnect import disconnect_url, mint_disconnect_token
from vaultline.runtime import Runtime

JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture
async def app(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_settings(settings, oidc, tmp_path)) as application:
        yield application


@pytest.fixture
async def oauth_tenant(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer_oauth(app, tenant)
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/unused")
    return tenant


@pytest.fixture
async def other_browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as browser:
        yield browser


async def revoke_link(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, settings: dict[str, Any], **overrides: Any
) -> str:
    """The link a Hosted Vault page of a new session (with ``settings``) hands this browser:
    the signed state its Authorize link carries, on the revoke path (as Apideck's revoke_url)."""
    session = await open_session(client, tenant, {"settings": settings})
    page = await client.get(session.page(CONNECTION_PAGE))
    assert page.status_code == 200, page.text
    cookie = next(c.value for c in client.cookies.jar if c.name == BINDING_COOKIE and c.path == "/vault/revoke")
    runtime: Runtime = app.state.runtime
    link = authorize_link(
        runtime, application_id=tenant.application_id, consumer_id="c1", unified_api="crm", service_id=SERVICE_ID,
        session_id=session.session_id, redirect_uri=None, binding_digest=binding_digest(cookie),
    )  # fmt: skip
    path = link.removeprefix(PUBLIC_URL).replace("/vault/authorize/", "/vault/revoke/", 1)
    for old, new in overrides.items():
        path = path.replace(old, new)
    return path


def assert_friendly(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html") and "Traceback" not in response.text


async def test_revoke_revokes_at_the_provider_and_sends_the_consumer_back(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    session = await connect(client, oauth_tenant)
    revocations = oidc.events("revocation", "200")
    link = await revoke_link(app, client, oauth_tenant, {"allow_actions": ["disconnect"]})
    response = await client.get(link)
    assert response.status_code == 301, response.text
    assert response.headers["cache-control"] == "no-store"  # a 301 would otherwise be cached
    target = urlsplit(response.headers["location"]).path
    assert target.startswith("/hosted/") and target.endswith(CONNECTION_PAGE) and session.session_id not in target
    assert oidc.events_once_printed("revocation", "200", revocations + 2) == revocations + 2  # refresh, access
    assert await stored_credentials(app, oauth_tenant) is None
    types = [event["type"] for event in await outbox(app, oauth_tenant.application_id)]
    assert types[-1] == "vault.connection.revoked"
    again = await client.get(link)  # nothing left to revoke
    assert_friendly(again, 422)
    logged = [
        e
        for e in await read_logs(app, client, oauth_tenant.headers("c1"))
        if e["operation"]["id"] == "connectionsRevoke"
    ]
    assert [e["status_code"] for e in logged] == [422, 301]  # newest first


async def test_revoke_returns_to_an_allowed_redirect_uri_only(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    await connect(client, oauth_tenant)
    link = await revoke_link(app, client, oauth_tenant, {"allow_actions": ["disconnect"]})
    refused = await client.get(link + "&redirect_uri=https%3A%2F%2Fevil.example%2F")
    assert_friendly(refused, 400)
    assert await stored_credentials(app, oauth_tenant) is not None


async def test_revoke_needs_disconnect_in_allow_actions(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    await connect(client, oauth_tenant)
    revocations = oidc.events("revocation", "200")
    link = await revoke_link(app, client, oauth_tenant, {"allow_actions": ["reauthorize"]})
    assert_friendly(await client.get(link), 403)
    assert oidc.events("revocation", "200") == revocations
    assert await stored_credentials(app, oauth_tenant) is not None


async def test_revoke_link_in_another_browser_is_refused(
    app: FastAPI, client: httpx.AsyncClient, other_browser: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    await connect(client, oauth_tenant)
    link = await revoke_link(app, client, oauth_tenant, {"allow_actions": ["disconnect"]})
    assert_friendly(await other_browser.get(link), 403)
    assert await stored_credentials(app, oauth_tenant) is not None


async def test_revoke_link_for_another_application_or_a_forged_state_is_refused(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    await connect(client, oauth_tenant)
    link = await revoke_link(app, client, oauth_tenant, {"allow_actions": ["disconnect"]})
    other_app = link.replace(oauth_tenant.application_id, "app_000000000000000000000000", 1)
    assert_friendly(await client.get(other_app), 400)
    forged = link.split("state=", 1)[0] + "state=eyJhbGciOiJub25lIn0.e30."
    assert_friendly(await client.get(forged), 400)
    missing = link.split("?", 1)[0]
    assert (await client.get(missing)).status_code == 400
    assert await stored_credentials(app, oauth_tenant) is not None


# vaultOAuthDisconnect: the provider sends the browser back after a disconnect on its side.


def disconnect_path(
    app: FastAPI, tenant: Tenant, *, consumer_id: str | None = "c1", service_id: str = SERVICE_ID
) -> str:
    runtime: Runtime = app.state.runtime
    token = mint_disconnect_token(
        runtime, application_id=tenant.application_id, service_id=service_id, consumer_id=consumer_id
    )
    return disconnect_url(runtime, token, SERVICE_ID).removeprefix(PUBLIC_URL)


async def test_provider_disconnect_clears_the_named_connection_without_calling_the_provider(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    await connect(client, oauth_tenant)
    revocations = oidc.events("revocation")
    page = await client.get(disconnect_path(app, oauth_tenant))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html") and "is disconnected" in page.text
    assert await stored_credentials(app, oauth_tenant) is None
    assert oidc.events("revocation") == revocations  # the provider already dropped the tokens
    types = [event["type"] for event in await outbox(app, oauth_tenant.application_id)]
    assert types[-1] == "vault.connection.revoked"
    again = await client.get(disconnect_path(app, oauth_tenant))  # nothing left: same page, no event
    assert again.status_code == 200
    assert len(await outbox(app, oauth_tenant.application_id)) == len(types)


async def test_provider_disconnect_naming_only_the_application_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    await connect(client, oauth_tenant)
    page = await client.get(disconnect_path(app, oauth_tenant, consumer_id=None))
    assert page.status_code == 200, page.text
    assert await stored_credentials(app, oauth_tenant) is not None


async def test_provider_disconnect_with_a_forged_or_foreign_token_is_refused(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    session = await connect(client, oauth_tenant)
    # A session token is signed by the same key ring, for another audience: not a disconnect link.
    assert_friendly(await client.get(f"/vault/oauth/disconnect/{session.token}/{SERVICE_ID}"), 401)
    assert_friendly(await client.get(f"/vault/oauth/disconnect/eyJhbGciOiJub25lIn0.e30./{SERVICE_ID}"), 401)
    other_service = disconnect_path(app, oauth_tenant, service_id="hubspot")
    assert_friendly(await client.get(other_service), 400)
    assert await stored_credentials(app, oauth_tenant) is not None


async def test_provider_disconnect_server_callback_clears_the_named_connection(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    await connect(client, oauth_tenant)
    body = {"realmId": "1234", "eventNotifications": [{"kind": "disconnect"}]}  # whatever the provider sends
    answer = await client.post(disconnect_path(app, oauth_tenant), json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "disconnected"}
    assert await stored_credentials(app, oauth_tenant) is None
    types = [event["type"] for event in await outbox(app, oauth_tenant.application_id)]
    assert types[-1] == "vault.connection.revoked"
    again = await client.post(disconnect_path(app, oauth_tenant), json=body)
    assert again.json() == {"status": "acknowledged"}  # nothing left to clear: no second event
    assert len(await outbox(app, oauth_tenant.application_id)) == len(types)


async def test_provider_disconnect_server_callback_errors_are_json(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    session = await connect(client, oauth_tenant)
    refusals = [
        (await client.post(f"/vault/oauth/disconnect/{session.token}/{SERVICE_ID}", json={}), 401),
        (await client.post(disconnect_path(app, oauth_tenant, service_id="hubspot"), json={}), 400),
        (await client.post(disconnect_path(app, oauth_tenant), json=[1, 2]), 400),
        (await client.post(disconnect_path(app, oauth_tenant)), 400),  # the body is required
        (await client.post(disconnect_path(app, oauth_tenant), content=b"{", headers=JSON_TYPE), 400),
    ]
    for answer, status in refusals:
        assert answer.status_code == status, answer.text
        assert_error_shape(answer)
    assert await stored_credentials(app, oauth_tenant) is not None
