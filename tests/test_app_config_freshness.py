"""Every instance sees a change on the very next request, though the hot paths cache the
application's configuration (store/app_config.py): two apps share one database (both backends),
one warms its cache, the other changes something, and the first's next request must show it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, by_id, offer, session_headers
from tests.support.hosted import open_session
from tests.support.tenants import Tenant, create_tenant
from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.data_scopes import set_data_scopes
from vaultline.store.integrations import set_integrations_enabled, set_oauth_client

PUBLIC_URL = "http://vault.test"
CREDENTIALS = "/vault/connections/crm/pipedrive/credentials"


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
            yield application, http


@pytest.fixture
async def instances(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient]]:
    """Two instances of the server on one database: A serves, B changes."""
    async with running(settings) as (app_a, http_a), running(settings) as (app_b, http_b):
        yield app_a, http_a, app_b, http_b


async def _connected_tenant(app: FastAPI, http: httpx.AsyncClient) -> Tenant:
    tenant = await create_tenant(app, name="Acme SaaS")
    await offer(app, tenant)
    body = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    response = await http.patch("/vault/connections/crm/pipedrive", headers=tenant.headers(), json=body)
    assert response.status_code == 200, response.text
    return tenant


async def _change(app: FastAPI, change: Any) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await change(connection)


async def test_an_integration_no_longer_offered_is_gone_from_the_next_answer_of_every_instance(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, app_b, http_b = instances
    tenant = await _connected_tenant(app_a, http_a)
    browser = await session_headers(http_a, tenant)
    hosted = await open_session(http_a, tenant, consumer_id="test-consumer")
    # A's caches are warm on every path.
    assert "crm+pipedrive" in by_id(await http_a.get("/vault/connections", headers=browser))
    assert "crm+pipedrive" in by_id(await http_a.get("/vault/connections", headers=tenant.headers()))
    assert (await http_a.get(CREDENTIALS, headers=tenant.headers())).status_code == 200
    page = await http_a.get(hosted.page())
    assert page.status_code == 200 and "/integrations/crm/pipedrive" in page.text

    await _change(
        app_b,
        lambda c: set_integrations_enabled(
            c, application_id=tenant.application_id, service_ids=["pipedrive"], enabled=False
        ),
    )

    assert "crm+pipedrive" not in by_id(await http_a.get("/vault/connections", headers=browser))
    assert "crm+pipedrive" not in by_id(await http_a.get("/vault/connections", headers=tenant.headers()))
    response = await http_a.get(CREDENTIALS, headers=tenant.headers())
    assert response.status_code == 404 and "offers no integration" in response.json()["message"]
    assert (await http_a.get("/vault/connections/crm/pipedrive", headers=browser)).status_code == 404
    page = await http_a.get(hosted.page())
    assert page.status_code == 200 and "/integrations/crm/pipedrive" not in page.text

    # And offered again: back on the next request.
    await _change(
        app_b,
        lambda c: set_integrations_enabled(
            c, application_id=tenant.application_id, service_ids=["pipedrive"], enabled=True
        ),
    )
    assert (await http_a.get(CREDENTIALS, headers=tenant.headers())).status_code == 200
    assert "crm+pipedrive" in by_id(await http_a.get("/vault/connections", headers=browser))


async def test_changed_data_scopes_and_oauth_client_show_on_the_next_answer_of_every_instance(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, app_b, _http_b = instances
    tenant = await _connected_tenant(app_a, http_a)
    browser = await session_headers(http_a, tenant)
    before = by_id(await http_a.get("/vault/connections", headers=browser))
    assert before["crm+pipedrive"]["application_data_scopes"]["enabled"] is False
    oauth_ids = [item_id for item_id, item in before.items() if item["auth_type"] == "oauth2"]
    assert oauth_ids, "the catalog has OAuth integrations"
    oauth_service = before[oauth_ids[0]]["service_id"]
    assert before[oauth_ids[0]]["integration_state"] == "needs_configuration"

    await _change(
        app_b,
        lambda c: set_data_scopes(c, application_id=tenant.application_id, enabled=True, resources="*"),
    )
    await _change(
        app_b,
        lambda c: set_oauth_client(
            c,
            application_id=tenant.application_id,
            service_id=oauth_service,
            client_id="client-id",
            client_secret="client-secret",
            ring=app_b.state.runtime.master_keys,
        ),
    )

    after = by_id(await http_a.get("/vault/connections", headers=browser))
    assert after["crm+pipedrive"]["application_data_scopes"]["enabled"] is True
    # The credentials read's consent check reads the same cached configuration: refused at once.
    refused = await http_a.get(CREDENTIALS, headers=tenant.headers())
    assert refused.status_code == 403 and refused.json()["detail"] == {"consent_state": "pending"}
    assert after["crm+pipedrive"]["consent_state"] != before["crm+pipedrive"]["consent_state"]
    assert after[oauth_ids[0]]["integration_state"] != "needs_configuration"
    one = await http_a.get("/vault/connections/crm/pipedrive", headers=tenant.headers())
    assert one.json()["data"]["application_data_scopes"]["enabled"] is True


async def test_a_revoked_session_stops_on_the_next_request_to_every_instance(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, _app_b, http_b = instances
    tenant = await _connected_tenant(app_a, http_a)
    hosted = await open_session(http_a, tenant, consumer_id="test-consumer")
    browser = {
        "Authorization": f"Bearer {hosted.token}",
        "x-apideck-app-id": tenant.application_id,
        "x-apideck-consumer-id": "test-consumer",
        "x-apideck-auth-type": "JWT",
    }
    assert (await http_a.get("/vault/connections", headers=browser)).status_code == 200
    assert (await http_a.get(hosted.page())).status_code == 200

    revoked = await http_b.delete(f"/vault/sessions/{hosted.session_id}", headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text

    assert (await http_a.get("/vault/connections", headers=browser)).status_code == 401
    page = await http_a.get(hosted.page())
    assert page.status_code == 401 and "text/html" in page.headers["content-type"]


async def test_changed_disabled_and_deleted_connections_show_on_the_next_credentials_read_of_every_instance(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, _app_b, http_b = instances
    tenant = await _connected_tenant(app_a, http_a)
    first = await http_a.get(CREDENTIALS, headers=tenant.headers())
    assert first.json()["data"]["settings"]["api_token"] == PIPEDRIVE_TOKEN

    new_token = "fedcba9876543210fedcba9876543210fedcba98"
    changed = await http_b.patch(
        "/vault/connections/crm/pipedrive", headers=tenant.headers(), json={"settings": {"api_token": new_token}}
    )
    assert changed.status_code == 200, changed.text
    assert (await http_a.get(CREDENTIALS, headers=tenant.headers())).json()["data"]["settings"][
        "api_token"
    ] == new_token

    disabled = await http_b.patch("/vault/connections/crm/pipedrive", headers=tenant.headers(), json={"enabled": False})
    assert disabled.status_code == 200, disabled.text
    assert (await http_a.get(CREDENTIALS, headers=tenant.headers())).status_code == 422

    deleted = await http_b.delete("/vault/connections/crm/pipedrive", headers=tenant.headers())
    assert deleted.status_code == 204, deleted.text
    response = await http_a.get(CREDENTIALS, headers=tenant.headers())
    assert response.status_code == 404 and "has no connection" in response.json()["message"]


async def test_each_change_to_an_application_moves_its_config_version(app: FastAPI, tenant: Tenant) -> None:
    """The cache is only as fresh as the version: every writer of the offer must bump it."""
    runtime: Runtime = app.state.runtime
    from vaultline.store.app_config import read_config_version

    async def version() -> int | None:
        async with runtime.engine.connect() as connection:
            return await read_config_version(connection, application_id=tenant.application_id)

    seen = [await version()]
    await offer(app, tenant, ["pipedrive"])
    seen.append(await version())
    await _change(
        app,
        lambda c: set_integrations_enabled(
            c, application_id=tenant.application_id, service_ids=["pipedrive"], enabled=False
        ),
    )
    seen.append(await version())
    await _change(
        app,
        lambda c: set_oauth_client(
            c,
            application_id=tenant.application_id,
            service_id="hubspot",
            client_id="id",
            client_secret="secret",
            ring=runtime.master_keys,
        ),
    )
    seen.append(await version())
    await _change(app, lambda c: set_data_scopes(c, application_id=tenant.application_id, enabled=True, resources="*"))
    seen.append(await version())
    assert None not in seen
    assert seen == sorted(set(seen)), seen  # strictly increasing: every change moved it
