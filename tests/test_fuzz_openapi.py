"""Schemathesis against the server's own OpenAPI document, every operation, on both backends.

Each operation gets positive and negative cases (bounded), sent through the running in-process
app with valid credentials most of the time and missing, garbage, browser-broken or
other-application credentials the rest. Every response must not be a server error, must use a
documented status code and content type, must match the documented schema, and, when it is an
error, must be Vaultline's JSON error shape with the HTTP status repeated in the body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction

from tests.conftest import PUBLIC_URL
from tests.support.fuzz import assert_wire_contract, auth_headers, auth_variants, describe, send_case
from tests.support.tenants import Tenant
from vaultline.app import create_app
from vaultline.config import Settings

# The document the server serves depends only on the code, not on the database: build it once
# to know the operations at collection time (test_served_document_is_the_fuzzed_one pins that
# it is exactly what the running app serves).
DOCUMENT: dict[str, Any] = create_app(
    Settings(data_dir=Path("unused"), public_url=PUBLIC_URL, database_url=None, access_log=False)
).openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = {op.ok().label: op.ok() for op in SCHEMA.get_all_operations()}

CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]
# A documented 501 is Vaultline's honest answer to an operation it does not support
# (UnsupportedOperationError), not a crash: status_code_conformance still fails a 501 from an
# operation that does not document it.
CHECKS_FOR_501 = [check for check in CHECKS if check is not schemathesis.checks.not_a_server_error]
# Not negative_data_rejection: the server ignores unknown query parameters, as HTTP APIs (and
# Apideck) do, and these tests lay their own credentials over the generated headers.


def _has_inputs(label: str) -> bool:
    operation = OPERATIONS[label]
    return bool(list(operation.iter_parameters())) or bool(operation.body)


STRATEGIES = {
    label: st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        *([operation.as_strategy(GenerationMode.NEGATIVE)] if _has_inputs(label) else []),
    )
    for label, operation in OPERATIONS.items()
}


async def test_served_document_is_the_fuzzed_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == DOCUMENT
    assert len(OPERATIONS) >= 9  # sessions (4) and consumers (5) at least


@pytest.fixture
async def known_ids(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    """A real consumer and session, so path-parameter cases sometimes hit something that exists."""
    created = await client.post("/vault/sessions", headers=tenant.headers("fuzz-consumer"))
    assert created.status_code == 200
    listed = await client.get("/vault/sessions", headers=tenant.headers("fuzz-consumer"))
    return {"consumer_id": "fuzz-consumer", "session_id": listed.json()["data"][0]["id"]}


def _is_positive(case: Case) -> bool:
    return case.meta is None or case.meta.generation.mode.is_positive


async def fuzz_one(
    data: st.DataObject, label: str, client: httpx.AsyncClient, tenant: Tenant, known: dict[str, str]
) -> None:
    case = data.draw(STRATEGIES[label], label="case")
    variant = data.draw(auth_variants, label="auth")
    if _is_positive(case) and case.path_parameters and data.draw(st.booleans(), label="known id"):
        case.path_parameters = {name: known.get(name, value) for name, value in case.path_parameters.items()}
    overrides = auth_headers(variant, tenant)
    if SCHEMA.is_security_param_negated(case):
        # Schemathesis already broke the API key on purpose: keep its version of Authorization.
        overrides.pop("Authorization", None)
    response, sent_headers = await send_case(client, case, overrides)
    context = describe(case, response, sent_headers)
    checks = CHECKS_FOR_501 if response.status_code == 501 else CHECKS
    case.validate_response(response, checks=checks, headers=sent_headers)
    try:
        assert_wire_contract(response)
    except AssertionError as exc:
        raise AssertionError(context) from exc


FUZZ_SETTINGS = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
@hypothesis_settings(max_examples=40, **FUZZ_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
async def test_operation_survives_fuzzing(
    data: st.DataObject, label: str, client: httpx.AsyncClient, tenant: Tenant, known_ids: dict[str, str]
) -> None:
    await fuzz_one(data, label, client, tenant, known_ids)


# PostgreSQL answers each request a few times slower; its run covers the same ground, less deep
# (the SQL differs per backend, the request parsing and validation do not).
@pytest.mark.parametrize("settings", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
@hypothesis_settings(max_examples=15, **FUZZ_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
async def test_operation_survives_fuzzing_on_postgresql(
    data: st.DataObject, label: str, client: httpx.AsyncClient, tenant: Tenant, known_ids: dict[str, str]
) -> None:
    await fuzz_one(data, label, client, tenant, known_ids)
