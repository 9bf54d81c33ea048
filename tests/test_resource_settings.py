"""``connectionSettingsAll`` / ``connectionSettingsUpdate``: one resource's default values, the
same ones the Hosted Vault's resource form edits, for the backend and the consumer's session."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer, session_headers
from tests.support.consumer_logs import read_logs
from tests.support.tenants import Tenant
from tests.support.webhooks import outbox, point_webhook

PIPEDRIVE = "/vault/connections/crm/pipedrive"
LEADS = PIPEDRIVE + "/leads/config"


@pytest.fixture
async def backend(app: FastAPI, tenant: Tenant) -> dict[str, str]:
    await offer(app, tenant)
    return tenant.headers("settings-consumer")


def defaults(data: dict[str, Any]) -> list[dict[str, Any]]:
    [entry] = data["configuration"]
    assert entry["resource"] == "leads"
    return list(entry["defaults"])


async def test_reading_lists_the_owner_default_before_anything_is_set(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    response = await client.get(LEADS, headers=backend)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["id"] == "crm+pipedrive" and data["state"] == "available"
    assert defaults(data) == [{"id": "owner_id", "target": "resource", "options": []}]
    assert "leads" in data["resource_settings_support"]


async def test_update_stores_this_resource_and_keeps_the_others(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    deals = {"resource": "deals", "defaults": [{"id": "owner_id", "value": "deal-owner"}]}
    await client.patch(PIPEDRIVE, headers=backend, json={"enabled": True, "configuration": [deals]})
    body = {
        "configuration": [
            {
                "resource": "leads",
                "defaults": [
                    {"id": "owner_id", "value": "42"},
                    {
                        "id": "ProductInterest",
                        "options": [{"label": "General Channel", "value": "general", "option_type": "simple"}],
                        "value": "GC5000 series",
                    },
                ],
            }
        ]
    }
    response = await client.patch(LEADS, headers=backend, json=body)
    assert response.status_code == 200, response.text
    assert defaults(response.json()["data"])[0] == {"id": "owner_id", "value": "42"}
    read = (await client.get(LEADS, headers=backend)).json()["data"]
    assert [d["id"] for d in defaults(read)] == ["owner_id", "ProductInterest"]
    whole = (await client.get(PIPEDRIVE, headers=backend)).json()["data"]
    assert {c["resource"] for c in whole["configuration"]} == {"deals", "leads"}
    assert next(c for c in whole["configuration"] if c["resource"] == "deals") == deals


async def test_what_the_hosted_vault_saved_is_what_the_api_reads(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    # The Hosted Vault's resource form stores exactly this shape (hosted/connection_posts.py).
    hosted_shape = [{"resource": "leads", "defaults": [{"id": "owner_id", "value": "7"}]}]
    await client.patch(PIPEDRIVE, headers=backend, json={"enabled": True, "configuration": hosted_shape})
    read = (await client.get(LEADS, headers=backend)).json()["data"]
    assert defaults(read) == [{"id": "owner_id", "value": "7"}]


async def test_an_entry_for_another_resource_is_refused(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    body = {"configuration": [{"resource": "deals", "defaults": [{"id": "owner_id", "value": "1"}]}]}
    response = await client.patch(LEADS, headers=backend, json=body)
    assert response.status_code == 400
    assert "deals" in response.json()["message"]


async def test_a_resource_without_settings_is_a_404(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    for method in ("GET", "PATCH"):
        response = await client.request(method, PIPEDRIVE + "/invoices/config", headers=backend, json={})
        assert response.status_code == 404, response.text
        assert response.json()["detail"]["configurable_resources"] == ["leads", "deals", "persons", "organizations"]


async def test_an_integration_not_offered_is_a_404(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant, ["bamboohr"])
    response = await client.get(LEADS, headers=tenant.headers("x"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"configuration": [{"resource": "leads", "defaults": [{"value": "no id"}]}]},
        {"configuration": [{"resource": "leads", "defaults": [{"id": "a", "value": {"nested": 1}}]}]},
        {"configuration": [{"resource": "leads", "defaults": [{"id": "a", "surprise": 1}]}]},
        {"configuration": "leads"},
        {"unknown": None},
    ],
)
async def test_malformed_bodies_are_400s(
    client: httpx.AsyncClient, backend: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.patch(LEADS, headers=backend, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["type_name"] == "RequestValidationError"


async def test_no_credentials_is_a_401(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    response = await client.get(LEADS, headers={k: v for k, v in backend.items() if k != "Authorization"})
    assert response.status_code == 401


async def test_a_session_reads_and_updates_its_own_consumer(
    client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    headers = await session_headers(client, tenant, "settings-consumer")
    body = {"configuration": [{"resource": "leads", "defaults": [{"id": "owner_id", "value": "9"}]}]}
    response = await client.patch(LEADS, headers=headers, json=body)
    assert response.status_code == 200, response.text
    as_backend = (await client.get(LEADS, headers=backend)).json()["data"]
    assert defaults(as_backend) == [{"id": "owner_id", "value": "9"}]
    other = (await client.get(LEADS, headers=tenant.headers("someone-else"))).json()["data"]
    assert other["state"] == "available"  # another consumer's connection is untouched


async def test_a_session_outside_its_unified_apis_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    del backend
    headers = await session_headers(client, tenant, "settings-consumer", unified_apis=["hris"])
    assert (await client.get(LEADS, headers=headers)).status_code == 403
    body = {"configuration": [{"resource": "leads", "defaults": [{"id": "owner_id", "value": "9"}]}]}
    assert (await client.patch(LEADS, headers=headers, json=body)).status_code == 403


async def test_a_session_hiding_resource_settings_may_read_but_not_change_them(
    client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    del backend
    headers = await session_headers(client, tenant, "settings-consumer", hide_resource_settings=True)
    assert (await client.get(LEADS, headers=headers)).status_code == 200
    body = {"configuration": [{"resource": "leads", "defaults": [{"id": "owner_id", "value": "9"}]}]}
    response = await client.patch(LEADS, headers=headers, json=body)
    assert response.status_code == 403
    assert "hide_resource_settings" in response.json()["message"]


async def test_a_session_may_not_set_metadata_here_either(
    client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    del backend
    headers = await session_headers(client, tenant, "settings-consumer")
    response = await client.patch(LEADS, headers=headers, json={"metadata": {"a": 1}})
    assert response.status_code == 403


async def test_a_change_sends_an_updated_event_and_no_change_sends_none(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/unused")
    await client.patch(PIPEDRIVE, headers=backend, json={"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}})
    before = len(await outbox(app, tenant.application_id))
    body = {"configuration": [{"resource": "leads", "defaults": [{"id": "owner_id", "value": "9"}]}]}
    assert (await client.patch(LEADS, headers=backend, json=body)).status_code == 200
    events = await outbox(app, tenant.application_id)
    assert [e["type"] for e in events[before:]] == ["vault.connection.updated"]
    assert (await client.patch(LEADS, headers=backend, json=body)).status_code == 200
    assert len(await outbox(app, tenant.application_id)) == len(events)


async def test_calls_are_in_the_consumer_logs(app: FastAPI, client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    await client.get(LEADS, headers=backend)
    await client.patch(LEADS, headers=backend, json={"configuration": []})
    logs = await read_logs(app, client, backend)
    operations = [(log["operation"]["id"], log["service"]["id"]) for log in logs]
    assert ("connectionSettingsAll", "pipedrive") in operations
    assert ("connectionSettingsUpdate", "pipedrive") in operations
