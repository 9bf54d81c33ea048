"""``connectionsAdd``, ``connectionsImport`` and ``connectionsToken`` seen from Apideck's own spec:
our answers validate against its response schemas (``CreateConnectionResponse``,
``GetConnectionResponse`` and the error responses), and requests shaped by its request schemas
never make Vaultline fail (tests/test_fuzz_reference_new_operations.py fuzzes them)."""

from __future__ import annotations

import functools
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import APIOperation
from schemathesis.checks import CheckFunction

from tests.support.connections import PIPEDRIVE_TOKEN, offer
from tests.support.reference_spec import REFERENCE_SPEC, require_reference_spec
from tests.support.tenants import Tenant

CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
OPERATION_IDS = ("connectionsAdd", "connectionsImport", "connectionsToken")


@functools.cache
def reference_operation(operation_id: str) -> APIOperation:
    schema = schemathesis.openapi.from_path(REFERENCE_SPEC).include(operation_id=operation_id)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 1, operations
    return operations[0]


@pytest.fixture(autouse=True)
def _reference_spec_present() -> None:
    require_reference_spec()


@pytest.fixture
async def offered(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    return tenant


async def answer(
    client: httpx.AsyncClient, tenant: Tenant, operation_id: str, service: tuple[str, str], body: Any
) -> httpx.Response:
    """Send a concrete request through the reference operation; its answer is checked against the
    reference's response schemas."""
    operation = reference_operation(operation_id)
    headers = {**tenant.headers("c1"), "Content-Type": "application/json"}
    case = operation.Case(
        path_parameters={"unified_api": service[0], "service_id": service[1]},
        headers=headers,
        body=body,
        media_type="application/json",
    )
    response = await client.post(case.formatted_path, headers=headers, json=body)
    case.validate_response(response, checks=CHECKS, headers=headers)
    return response


async def test_successes_are_the_reference_schemas(client: httpx.AsyncClient, offered: Tenant) -> None:
    added = await answer(client, offered, "connectionsAdd", ("crm", "pipedrive"), {"enabled": True})
    assert added.status_code == 200, added.text
    body = {"credentials": {"access_token": "a", "refresh_token": "r", "expires_in": 60}, "metadata": {"x": 1}}
    imported = await answer(client, offered, "connectionsImport", ("crm", "hubspot"), body)
    assert imported.status_code == 200, imported.text
    refused = await answer(client, offered, "connectionsToken", ("crm", "pipedrive"), {})
    assert refused.status_code == 422, refused.text


async def test_errors_are_the_reference_error_schemas(client: httpx.AsyncClient, offered: Tenant) -> None:
    unknown = await answer(client, offered, "connectionsImport", ("crm", "pipedrive"), {"settings": {"x": 1}})
    assert unknown.status_code == 400, unknown.text
    missing = await answer(client, offered, "connectionsAdd", ("crm", "no-such"), {"enabled": True})
    assert missing.status_code == 404, missing.text
    good = {"settings": {"api_token": PIPEDRIVE_TOKEN}}
    assert (await answer(client, offered, "connectionsAdd", ("crm", "pipedrive"), good)).status_code == 200
    again = await answer(client, offered, "connectionsAdd", ("crm", "pipedrive"), good)
    assert again.status_code == 422, again.text
