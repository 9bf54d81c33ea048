"""What the consent tests (API and Hosted Vault) start from: a callable Pipedrive connection,
and an application whose data scopes ask for consent."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer
from tests.support.tenants import Tenant
from tests.support.webhooks import point_webhook
from vaultline.runtime import Runtime
from vaultline.store.data_scopes import Resources, set_data_scopes

PIPEDRIVE_CONNECTION = "/vault/connections/crm/pipedrive"


async def connect_pipedrive(app: FastAPI, tenant: Tenant, client: httpx.AsyncClient) -> dict[str, str]:
    """Consumer c1's callable Pipedrive connection; the application's webhook is set (events are
    kept in the outbox, not delivered). Returns c1's API-key headers."""
    await offer(app, tenant, ["pipedrive", "xero"])
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/hook")
    headers = tenant.headers("c1")
    added = await client.patch(
        PIPEDRIVE_CONNECTION, headers=headers, json={"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    )
    assert added.status_code == 200 and added.json()["data"]["state"] == "callable", added.text
    return headers


async def require_scopes(app: FastAPI, tenant: Tenant, resources: Resources, *, enabled: bool = True) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_data_scopes(connection, application_id=tenant.application_id, enabled=enabled, resources=resources)
