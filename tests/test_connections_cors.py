"""CORS for browser callers: allowed per application, from its embedding origins only."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import offer, session_headers
from tests.support.tenants import Tenant, create_tenant

EMBED = "https://app.mysaas.example"
OTHER = "https://other-saas.example"


@pytest.fixture
async def embedded(app: FastAPI) -> Tenant:
    tenant = await create_tenant(app, name="Embedding SaaS", embed_origins=(EMBED,))
    await offer(app, tenant)
    return tenant


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": (
            "authorization, content-type, x-apideck-app-id, x-apideck-consumer-id, x-apideck-auth-type"
        ),
    }


async def test_preflight_from_an_embedding_origin_allows_the_apideck_headers(
    client: httpx.AsyncClient, embedded: Tenant
) -> None:
    response = await client.options("/vault/connections/crm/pipedrive", headers=preflight(EMBED))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == EMBED
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "x-apideck-app-id", "x-apideck-consumer-id", "x-apideck-auth-type"} <= allowed
    assert "PATCH" in response.headers["access-control-allow-methods"]


async def test_preflight_from_an_unknown_origin_is_refused(client: httpx.AsyncClient, embedded: Tenant) -> None:
    response = await client.options("/vault/connections", headers=preflight("https://evil.example"))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_session_call_from_the_embedding_origin_is_readable(client: httpx.AsyncClient, embedded: Tenant) -> None:
    headers = {**await session_headers(client, embedded), "Origin": EMBED}
    response = await client.get("/vault/connections", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == EMBED and "Origin" in response.headers["vary"]


async def test_expired_or_broken_token_401_stays_readable_from_the_embedding_origin(
    client: httpx.AsyncClient, embedded: Tenant
) -> None:
    headers = {**await session_headers(client, embedded), "Origin": EMBED, "Authorization": "Bearer eyJ.x.y"}
    response = await client.get("/vault/connections", headers=headers)
    assert response.status_code == 401 and response.headers["access-control-allow-origin"] == EMBED


async def test_another_applications_origin_is_refused_on_the_real_request(
    app: FastAPI, client: httpx.AsyncClient, embedded: Tenant
) -> None:
    await create_tenant(app, name="Other", embed_origins=(OTHER,))
    # The preflight passes (OTHER embeds *some* application), the real request does not.
    assert (await client.options("/vault/connections", headers=preflight(OTHER))).status_code == 204
    headers = {**await session_headers(client, embedded), "Origin": OTHER}
    response = await client.get("/vault/connections", headers=headers)
    assert response.status_code == 403 and "access-control-allow-origin" not in response.headers


async def test_backend_calls_without_origin_are_untouched(client: httpx.AsyncClient, embedded: Tenant) -> None:
    response = await client.get("/vault/connections", headers=embedded.headers())
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
