"""Helpers for connection tests: offer integrations, mint sessions, call as a browser would."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.tenants import Tenant
from vaultline.runtime import Runtime
from vaultline.store.integrations import set_integrations_enabled

# A real-looking Pipedrive token (40 hex characters) and other values tests search for.
PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"


async def offer(app: FastAPI, tenant: Tenant, service_ids: list[str] | None = None) -> None:
    runtime: Runtime = app.state.runtime
    ids = service_ids if service_ids is not None else [d.service_id for d in runtime.catalog]
    async with runtime.engine.begin() as connection:
        await set_integrations_enabled(connection, application_id=tenant.application_id, service_ids=ids, enabled=True)


async def session_headers(
    client: httpx.AsyncClient, tenant: Tenant, consumer_id: str = "test-consumer", **settings: Any
) -> dict[str, str]:
    """Mint a session as the backend would, then return the headers Apideck's browser
    component sends with it."""
    body = {"settings": settings} if settings else {}
    response = await client.post("/vault/sessions", headers=tenant.headers(consumer_id), json=body)
    assert response.status_code == 200, response.text
    token = response.json()["data"]["session_token"]
    return {
        "Authorization": f"Bearer {token}",
        "x-apideck-app-id": tenant.application_id,
        "x-apideck-consumer-id": consumer_id,
        "x-apideck-auth-type": "JWT",
        "Content-Type": "application/json",
    }


def by_id(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["data"]}
