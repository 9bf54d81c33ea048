"""``PATCH /vault/connections/{api}/{svc}`` takes every writable field of the spec's Connection
(its SDKs' ``ConnectionInput``), and a connection not added yet answers no null ``created_at``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import offer
from tests.support.tenants import Tenant

PIPEDRIVE = "/vault/connections/crm/pipedrive"
CONSENT = {
    "consent_state": "granted",
    "latest_consent": {"granted": True, "resources": {"crm.leads": {"id": {"read": True, "write": False}}}},
    "application_data_scopes": {"enabled": True, "resources": "*"},
}


@pytest.fixture
async def backend(app: FastAPI, tenant: Tenant) -> dict[str, str]:
    await offer(app, tenant)
    return tenant.headers("input-consumer")


async def test_an_available_connection_has_no_created_at(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    listed = (await client.get("/vault/connections", headers=backend)).json()["data"]
    assert listed and all(item["state"] == "available" for item in listed)
    assert all("created_at" not in item for item in listed)
    one = (await client.get(PIPEDRIVE, headers=backend)).json()["data"]
    assert "created_at" not in one and one["updated_at"] is None  # updated_at is nullable in the spec


async def test_the_consent_fields_of_the_spec_are_accepted(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    response = await client.patch(PIPEDRIVE, headers=backend, json={"enabled": True, **CONSENT})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["enabled"] is True


async def test_empty_custom_mappings_are_accepted_and_answered(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    response = await client.patch(PIPEDRIVE, headers=backend, json={"enabled": True, "custom_mappings": []})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["custom_mappings"] == []


async def test_a_custom_mapping_is_a_501_naming_the_field(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    body = {"custom_mappings": [{"value": "$.root.training.first_aid"}]}
    response = await client.patch(PIPEDRIVE, headers=backend, json=body)
    assert response.status_code == 501
    assert response.json()["type_name"] == "UnsupportedOperationError"
    assert response.json()["detail"]["field"] == "custom_mappings"
    assert (await client.get(PIPEDRIVE, headers=backend)).json()["data"]["state"] == "available"  # nothing written


@pytest.mark.parametrize(
    "body",
    [
        {"consent_state": "maybe"},
        {"latest_consent": {"resources": "*"}},  # granted is required
        {"application_data_scopes": {"resources": "everything"}},
        {"custom_mappings": [{"value": "$.x", "extra": 1}]},
        {"configuration": [{"resource": "leads", "defaults": [{"id": "x", "target": "elsewhere"}]}]},
    ],
)
async def test_values_outside_the_spec_are_400s(
    client: httpx.AsyncClient, backend: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.patch(PIPEDRIVE, headers=backend, json=body)
    assert response.status_code == 400, response.text


async def test_an_unknown_key_is_refused_even_when_null(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    response = await client.patch(PIPEDRIVE, headers=backend, json={"enabled": True, "colour": None})
    assert response.status_code == 400
    assert response.json()["message"] == "Unknown key 'colour'"
