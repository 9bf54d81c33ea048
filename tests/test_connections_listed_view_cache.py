"""The connection list builds an ``available`` entry once per configuration version
(api/connection_view.py ``listed_connection_view``): the answer must equal the uncached view,
and a configuration change made by another instance must show in the next list (both backends)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.support.connections import by_id, offer, session_headers
from tests.support.tenants import create_tenant
from tests.test_app_config_freshness import running
from vaultline.api.connection_view import offered_connection_view
from vaultline.config import Settings
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import offered_connections
from vaultline.runtime import Runtime
from vaultline.store.data_scopes import set_data_scopes

CONSUMER = "test-consumer"


@pytest.fixture
async def instances(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient]]:
    async with running(settings) as (app_a, http_a), running(settings) as (app_b, http_b):
        yield app_a, http_a, app_b, http_b


async def test_listed_available_entries_equal_the_uncached_view_and_follow_a_change_elsewhere(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, app_b, _ = instances
    runtime: Runtime = app_a.state.runtime
    tenant = await create_tenant(app_a, name="Acme SaaS")
    await offer(app_a, tenant)
    browser = await session_headers(http_a, tenant, consumer_id=CONSUMER)

    async def uncached() -> dict[str, object]:
        items = await offered_connections(runtime, ConnectionsCaller(tenant.application_id, CONSUMER, None))
        return {view["id"]: orjson.loads(orjson.dumps(view)) for view in map(offered_connection_view, items)}

    for _ in range(2):  # built, then from the cache
        listed = by_id(await http_a.get("/vault/connections", headers=browser))
        assert listed == await uncached()
    assert all(item["state"] == "available" for item in listed.values())
    assert listed["crm+pipedrive"]["application_data_scopes"]["enabled"] is False

    runtime_b: Runtime = app_b.state.runtime
    async with runtime_b.engine.begin() as connection:
        await set_data_scopes(connection, application_id=tenant.application_id, enabled=True, resources="*")

    after = by_id(await http_a.get("/vault/connections", headers=browser))
    assert after["crm+pipedrive"]["application_data_scopes"]["enabled"] is True
    assert after == await uncached()
