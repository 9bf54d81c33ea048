"""The issue's "Done when" list, one test per line, on both backends."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, by_id, offer, session_headers
from tests.support.tenants import Tenant


async def test_whole_catalog_lists_at_least_20_integrations_across_4_unified_apis(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await offer(app, tenant)
    connections = by_id(await client.get("/vault/connections", headers=await session_headers(client, tenant)))
    assert len(connections) >= 20
    assert len({c["unified_api"] for c in connections.values()}) >= 4
    assert {c["state"] for c in connections.values()} == {"available"}


async def test_api_key_connection_made_with_patch_becomes_callable_and_others_see_it_available(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await offer(app, tenant)
    headers = await session_headers(client, tenant, "alice")
    body = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    response = await client.patch("/vault/connections/crm/pipedrive", headers=headers, json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["id"] == "crm+pipedrive" and data["state"] == "callable" and data["enabled"] is True
    assert data["settings"] == {"api_token": "********"}
    others = by_id(await client.get("/vault/connections", headers=await session_headers(client, tenant, "bob")))
    assert others["crm+pipedrive"]["state"] == "available"
    assert others["crm+pipedrive"]["enabled"] is False


async def test_a_token_with_another_consumers_header_is_refused(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await offer(app, tenant)
    headers = await session_headers(client, tenant, "alice")
    headers["x-apideck-consumer-id"] = "bob"
    response = await client.get("/vault/connections", headers=headers)
    assert response.status_code in (401, 403)
    assert response.json()["status_code"] == response.status_code


async def test_delete_not_in_allow_actions_is_403(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant)
    headers = await session_headers(client, tenant, "alice", allow_actions=["disable"])
    assert (
        await client.patch("/vault/connections/crm/pipedrive", headers=headers, json={"enabled": True})
    ).status_code == 200
    response = await client.delete("/vault/connections/crm/pipedrive", headers=headers)
    assert response.status_code == 403
    assert "delete" in response.json()["message"]
    assert by_id(await client.get("/vault/connections", headers=headers))["crm+pipedrive"]["state"] == "added"


async def test_unified_apis_hris_limits_the_list_to_hris(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await offer(app, tenant)
    headers = await session_headers(client, tenant, unified_apis=["hris"])
    connections = by_id(await client.get("/vault/connections", headers=headers))
    assert connections and {c["unified_api"] for c in connections.values()} == {"hris"}
    assert (await client.get("/vault/connections/crm/pipedrive", headers=headers)).status_code == 403
