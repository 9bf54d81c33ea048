"""Schemathesis with Apideck's own Vault spec over the operations issue 13 added or changed
(filters, stats, resource settings, ConnectionInput, and the 501s): requests shaped as Apideck's
SDKs send them never make Vaultline fail, and every answer matches the reference's schemas."""

from __future__ import annotations

import functools
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction

from tests.support.connections import offer
from tests.support.fuzz import assert_wire_contract, auth_headers, auth_variants, describe, send_case
from tests.support.reference_spec import REFERENCE_SPEC, require_reference_spec
from tests.support.tenants import Tenant

OPERATION_IDS = (
    "consumersAll",
    "consumersUpdate",
    "consumerRequestCountsAll",
    "connectionsAll",
    "connectionsOne",
    "connectionsUpdate",
    "connectionConsentsAll",
    "connectionConsentUpdate",
    "connectionsConfirm",
    "createCallbackState",
    "connectionsAdd",
    "connectionsImport",
    "connectionsToken",
    "connectionSettingsAll",
    "connectionSettingsUpdate",
    "connectionsSchema",
    "customMappingsAll",
    "customMappingsUpdate",
)
CHECKS: list[CheckFunction] = [
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
# Path values that exist, so positive cases sometimes reach real rows.
KNOWN = {"consumer_id": "fuzz-consumer", "unified_api": "crm", "service_id": "pipedrive", "resource": "leads"}
DATE_RANGE = {"start_datetime": "2021-05-01T12:00:00.000Z", "end_datetime": "2100-05-30T12:00:00.000Z"}


@functools.cache
def reference_cases(operation_id: str) -> SearchStrategy[Case]:
    schema = schemathesis.openapi.from_path(REFERENCE_SPEC).include(operation_id=operation_id)
    [operation] = [result.ok() for result in schema.get_all_operations()]
    return st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))


@pytest.fixture
async def known(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    require_reference_spec()
    await offer(app, tenant)
    assert (await client.post("/vault/sessions", headers=tenant.headers(KNOWN["consumer_id"]))).status_code == 200
    return KNOWN


def _with_known_values(case: Case, known: dict[str, str]) -> None:
    """Real ids and a valid date range, so the generated bodies and filters reach real rows."""
    case.path_parameters = {name: known.get(name, value) for name, value in (case.path_parameters or {}).items()}
    headers: dict[str, Any] = dict(case.headers or {})
    headers["x-apideck-consumer-id"] = known["consumer_id"]  # optional in the reference, needed here
    case.headers = headers
    if case.operation.path.endswith("/stats"):
        case.query = {**(case.query or {}), **DATE_RANGE}


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize("operation_id", OPERATION_IDS)
@hypothesis_settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_reference_shaped_requests_get_reference_shaped_answers(
    data: st.DataObject, operation_id: str, client: httpx.AsyncClient, tenant: Tenant, known: dict[str, str]
) -> None:
    case = data.draw(reference_cases(operation_id), label="case")
    if data.draw(st.booleans(), label="known values"):
        _with_known_values(case, known)
    variant = data.draw(auth_variants, label="auth")
    response, sent_headers = await send_case(client, case, auth_headers(variant, tenant))
    context = describe(case, response, sent_headers)
    assert response.status_code < 500 or response.status_code == 501, context
    case.validate_response(response, checks=CHECKS, headers=sent_headers)
    try:
        assert_wire_contract(response)
    except AssertionError as exc:
        raise AssertionError(context) from exc
