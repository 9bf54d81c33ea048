"""The Vault operations that need a unified data layer answer 501 ``UnsupportedOperationError``
naming the operation, not a bare 404 "Unknown route"; and every operation of the reference spec
is either served by Vaultline or answered this way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.reference_spec import REFERENCE_SPEC, require_reference_spec
from tests.support.tenants import Tenant
from vaultline.api.unsupported_operations import UNSUPPORTED_OPERATIONS

SPEC = REFERENCE_SPEC
CALLS = [
    ("POST", "/vault/connections/crm/pipedrive/migrate", "connectionsMigrate"),
    ("GET", "/vault/connections/crm/pipedrive/leads/schema", "connectionsSchema"),
    ("GET", "/vault/connections/crm/pipedrive/leads/example", "connectionsExample"),
    ("GET", "/vault/connections/crm/pipedrive/leads/custom-fields", "customFieldsAll"),
    ("GET", "/vault/connections/crm/pipedrive/leads/custom-mappings", "connectionCustomMappingsAll"),
    ("GET", "/vault/custom-mappings/crm/pipedrive/leads.first_name", "customMappingsOne"),
    ("POST", "/vault/custom-mappings/crm/pipedrive/leads.first_name", "customMappingsAdd"),
    ("PATCH", "/vault/custom-mappings/crm/pipedrive/leads.first_name", "customMappingsUpdate"),
    ("DELETE", "/vault/custom-mappings/crm/pipedrive/leads.first_name", "customMappingsDelete"),
    ("GET", "/vault/custom-mappings/crm/pipedrive", "customMappingsAll"),
]


@pytest.mark.parametrize(("method", "path", "operation_id"), CALLS)
async def test_answers_501_naming_the_operation(
    client: httpx.AsyncClient, tenant: Tenant, method: str, path: str, operation_id: str
) -> None:
    response = await client.request(method, path, headers=tenant.headers(), json={"value": "$.x"})
    assert response.status_code == 501, response.text
    body = response.json()
    assert body["status_code"] == 501 and body["type_name"] == "UnsupportedOperationError"
    assert "unified data layer" in body["message"]
    assert body["detail"]["operation_id"] == operation_id
    assert body["ref"].endswith("/docs/errors#unsupportedoperationerror")


async def test_the_error_is_documented(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs/errors")).text
    assert 'id="unsupportedoperationerror"' in page
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/vault/custom-mappings/{unified_api}/{service_id}"]["get"]
    assert operation["operationId"] == "customMappingsAll" and "501" in operation["responses"]


def _spec_vault_operations() -> dict[str, tuple[str, str]]:
    require_reference_spec()
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return {
        operation["operationId"]: (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith("/vault/")
        for method, operation in operations.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def test_every_unsupported_operation_is_in_the_spec_at_its_path() -> None:
    spec = _spec_vault_operations()
    for method, path, operation_id, _summary, _factory in UNSUPPORTED_OPERATIONS:
        assert spec[operation_id] == (method, path)


def test_the_compatibility_table_names_every_vault_operation_of_the_spec() -> None:
    table = (Path(__file__).resolve().parents[1] / "docs" / "compatibility.md").read_text()
    missing = [operation_id for operation_id in _spec_vault_operations() if f"`{operation_id}`" not in table]
    assert missing == []
