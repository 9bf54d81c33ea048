"""Consent to an application's data scopes: ``connectionConsentsAll`` / ``connectionConsentUpdate``,
the consent fields on a connection and health ``needs_consent``, through the real API on both
backends, for the backend (API key) and the consumer's own session token."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import session_headers
from tests.support.consents import connect_pipedrive, require_scopes
from tests.support.consumer_logs import read_logs
from tests.support.live_server import create_app_via_cli, env_for, run_cli
from tests.support.tenants import Tenant
from tests.support.webhooks import outbox
from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.consents import apply_consent_input, consent_state_of, missing_scopes
from vaultline.errors import BadRequest
from vaultline.runtime import Runtime
from vaultline.store.data_scopes import DataScopes, get_data_scopes

CONNECTION = "/vault/connections/crm/pipedrive"
CONSENT = CONNECTION + "/consent"
CONTACT_EMAIL = {"crm.contacts": {"email": {"read": True, "write": False}}}
CONTACT_EMAIL_AND_NAME = {"crm.contacts": {"email": {"read": True}, "name": {"read": True, "write": True}}}


@pytest.fixture
async def backend(app: FastAPI, tenant: Tenant, client: httpx.AsyncClient) -> dict[str, str]:
    """A callable Pipedrive connection of consumer c1; the application's webhook is set."""
    return await connect_pipedrive(app, tenant, client)


async def connection_of(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(CONNECTION, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def grant(
    client: httpx.AsyncClient, headers: dict[str, str], resources: Any, granted: bool = True
) -> httpx.Response:
    return await client.patch(CONSENT, headers=headers, json={"granted": granted, "resources": resources})


async def test_without_data_scopes_consent_is_implicit(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    data = await connection_of(client, backend)
    assert data["consent_state"] == "implicit" and data["consents"] == [] and "latest_consent" not in data
    assert data["application_data_scopes"] == {"enabled": False, "resources": "*"}
    assert data["health"] == "ok"


async def test_required_data_scopes_make_health_needs_consent_until_granted(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    pending = await connection_of(client, backend)
    assert (pending["consent_state"], pending["health"], pending["state"]) == ("pending", "needs_consent", "callable")
    assert pending["application_data_scopes"]["enabled"] is True
    assert pending["application_data_scopes"]["resources"] == CONTACT_EMAIL
    assert pending["application_data_scopes"]["updated_at"].endswith("Z")

    granted = await grant(client, backend, CONTACT_EMAIL)
    assert granted.status_code == 200, granted.text
    record = granted.json()["data"]
    assert record["id"].startswith("con_") and record["created_at"].endswith("Z")
    assert (record["granted"], record["resources"]) == (True, CONTACT_EMAIL)
    data = await connection_of(client, backend)
    assert (data["consent_state"], data["health"]) == ("granted", "ok")
    assert data["latest_consent"] == record and data["consents"] == [record]
    listed = await client.get(CONSENT, headers=backend)
    assert listed.status_code == 200 and listed.json()["data"] == [record]
    assert [event["type"] for event in await outbox(app, tenant.application_id)][-1] == "vault.connection.updated"


async def test_a_grant_that_does_not_cover_the_scopes_is_refused(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL_AND_NAME)
    events = len(await outbox(app, tenant.application_id))
    narrow = await grant(client, backend, CONTACT_EMAIL)
    assert narrow.status_code == 422, narrow.text
    assert narrow.json()["detail"]["missing"] == ["crm.contacts.name:read", "crm.contacts.name:write"]
    assert (await client.get(CONSENT, headers=backend)).json()["data"] == []
    assert len(await outbox(app, tenant.application_id)) == events
    assert (await grant(client, backend, "*")).status_code == 200  # everything covers anything


async def test_wider_scopes_after_a_grant_require_reconsent(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    await grant(client, backend, CONTACT_EMAIL)
    await require_scopes(app, tenant, CONTACT_EMAIL_AND_NAME)
    data = await connection_of(client, backend)
    assert (data["consent_state"], data["health"]) == ("requires_reconsent", "needs_consent")
    await require_scopes(app, tenant, CONTACT_EMAIL_AND_NAME, enabled=False)
    assert (await connection_of(client, backend))["health"] == "ok"


async def test_withdrawing_consent_is_revoked_and_refusing_first_is_denied(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    assert (await grant(client, backend, CONTACT_EMAIL, granted=False)).status_code == 200
    assert (await connection_of(client, backend))["consent_state"] == "denied"
    await grant(client, backend, CONTACT_EMAIL)
    await grant(client, backend, CONTACT_EMAIL, granted=False)
    data = await connection_of(client, backend)
    assert (data["consent_state"], data["health"]) == ("revoked", "needs_consent")
    assert [record["granted"] for record in data["consents"]] == [False, True, False]  # an append-only trail


async def test_the_consumers_own_session_token_may_consent_and_withdraw(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    """No allow_actions entry is needed: a consumer can always take their consent back."""
    await require_scopes(app, tenant, CONTACT_EMAIL)
    own = await session_headers(client, tenant, "c1", allow_actions=[])
    assert (await grant(client, own, CONTACT_EMAIL)).status_code == 200
    assert (await grant(client, own, CONTACT_EMAIL, granted=False)).status_code == 200
    listed = await client.get(CONSENT, headers=own)
    assert listed.status_code == 200 and len(listed.json()["data"]) == 2


async def test_a_session_outside_its_unified_apis_cannot_consent(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    outside = await session_headers(client, tenant, "c1", unified_apis=["accounting"])
    assert (await grant(client, outside, CONTACT_EMAIL)).status_code == 403
    assert (await client.get(CONSENT, headers=outside)).status_code == 403
    assert (await client.get(CONSENT, headers=backend)).json()["data"] == []


async def test_consent_needs_an_existing_connection(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    other = {**backend, "x-apideck-consumer-id": "nobody"}
    assert (await client.get(CONSENT, headers=other)).status_code == 404
    assert (await grant(client, other, "*")).status_code == 404
    assert (await client.get("/vault/connections/crm/nope/consent", headers=backend)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"granted": True}, {"resources": "*"}, {"granted": "yes", "resources": "*"},
     {"granted": True, "resources": "x"}, {"granted": True, "resources": ["*"]},
     {"granted": True, "resources": {"crm.contacts": {"email": {"read": "y"}}}},
     {"granted": True, "resources": "*", "extra": 1}],
)  # fmt: skip
async def test_bad_consent_bodies_are_400(client: httpx.AsyncClient, backend: dict[str, str], body: Any) -> None:
    response = await client.patch(CONSENT, headers=backend, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 400


async def test_consent_calls_are_in_the_consumer_logs(
    app: FastAPI, client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    await grant(client, backend, "*")
    await client.get(CONSENT, headers=backend)
    operations = [log["operation"]["id"] for log in await read_logs(app, client, backend)]
    assert "connectionConsentUpdate" in operations and "connectionConsentsAll" in operations


def test_consent_state_rules() -> None:
    scopes = DataScopes(True, CONTACT_EMAIL_AND_NAME, 0)
    record = {"granted": True, "resources": CONTACT_EMAIL}
    assert consent_state_of(None, []) == "implicit" and consent_state_of(scopes, []) == "pending"
    assert consent_state_of(scopes, [record]) == "requires_reconsent"
    assert consent_state_of(scopes, [{**record, "resources": "*"}]) == "granted"
    assert missing_scopes(CONTACT_EMAIL, "*") == ["*"]
    assert missing_scopes("*", CONTACT_EMAIL_AND_NAME) == []


def test_cli_sets_shows_and_disables_data_scopes(settings: Settings) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "Scoped")["application_id"]
    shown = json.loads(run_cli(env, "apps", "data-scopes", app_id, "--json").stdout)
    assert shown == {"enabled": False, "resources": "*"}
    resources = json.dumps(CONTACT_EMAIL)
    shown = json.loads(run_cli(env, "apps", "data-scopes", app_id, "--resources", resources, "--json").stdout)
    assert shown["enabled"] is True and shown["resources"] == CONTACT_EMAIL
    shown = json.loads(run_cli(env, "apps", "data-scopes", app_id, "--disable", "--json").stdout)
    assert shown["enabled"] is False and shown["resources"] == CONTACT_EMAIL


@pytest.mark.parametrize(
    "resources", ["not json", "[]", "{}", '{"crm.contacts": {"email": {"delete": true}}}', '{"crm.contacts": 1}']
)
def test_cli_refuses_malformed_data_scopes(settings: Settings, resources: str) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "Scoped")["application_id"]
    result = run_cli(env, "apps", "data-scopes", app_id, "--resources", resources, check=False)
    assert result.returncode == 1 and "--resources" in result.stderr and "Traceback" not in result.stderr


def test_cli_data_scopes_of_an_unknown_app_is_a_clear_error(settings: Settings) -> None:
    result = run_cli(env_for(settings), "apps", "data-scopes", "app_nope", "--all", check=False)
    assert result.returncode == 1 and "No application" in result.stderr


async def test_data_scopes_set_by_the_cli_reach_the_server(settings: Settings) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "Scoped")["application_id"]
    run_cli(env, "apps", "data-scopes", app_id, "--all")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        async with runtime.engine.connect() as connection:
            scopes = await get_data_scopes(connection, application_id=app_id)
    assert scopes is not None and scopes.enabled and scopes.resources == "*"


async def test_connection_input_consent_fields_map_to_records(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    """What PATCH /vault/connections will call with the spec's ConnectionInput consent fields."""
    await require_scopes(app, tenant, CONTACT_EMAIL)
    runtime: Runtime = app.state.runtime
    caller = ConnectionsCaller(tenant.application_id, "c1", None)
    granted = await apply_consent_input(
        runtime, caller, "crm", "pipedrive", consent_state="granted", latest_consent=None
    )
    assert granted is not None and granted["resources"] == CONTACT_EMAIL  # the application's own scopes
    assert (await connection_of(client, backend))["consent_state"] == "granted"
    await apply_consent_input(
        runtime, caller, "crm", "pipedrive", consent_state=None, latest_consent={"granted": False, "resources": "*"}
    )
    assert (await connection_of(client, backend))["consent_state"] == "revoked"
    assert (
        await apply_consent_input(runtime, caller, "crm", "pipedrive", consent_state=None, latest_consent=None) is None
    )
    for state, latest in (("pending", None), ("requires_reconsent", None), ("granted", {"granted": False})):
        with pytest.raises(BadRequest):
            await apply_consent_input(runtime, caller, "crm", "pipedrive", consent_state=state, latest_consent=latest)


async def test_patch_connection_sent_back_as_read_records_nothing(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    await grant(client, backend, CONTACT_EMAIL)
    read = await connection_of(client, backend)
    body = {key: read[key] for key in ("enabled", "consent_state", "latest_consent", "application_data_scopes")}
    response = await client.patch(CONNECTION, headers=backend, json=body)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["consents"]) == 1


async def test_patch_connection_consent_state_records_a_decision(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    granted = await client.patch(CONNECTION, headers=backend, json={"consent_state": "granted"})
    assert granted.status_code == 200, granted.text
    data = granted.json()["data"]
    assert (data["consent_state"], data["health"], data["latest_consent"]["resources"]) == (
        "granted",
        "ok",
        CONTACT_EMAIL,
    )
    withdrawn = await client.patch(
        CONNECTION, headers=backend, json={"latest_consent": {"granted": False, "resources": "*"}}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["data"]["consent_state"] == "revoked"


async def test_patch_connection_with_a_bad_consent_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: dict[str, str]
) -> None:
    """The consent fields are checked before the rest of the PATCH is written."""
    await require_scopes(app, tenant, CONTACT_EMAIL_AND_NAME)
    computed = await client.patch(
        CONNECTION, headers=backend, json={"enabled": False, "consent_state": "requires_reconsent"}
    )
    assert computed.status_code == 400, computed.text
    narrow = {"enabled": False, "latest_consent": {"granted": True, "resources": CONTACT_EMAIL}}
    uncovered = await client.patch(CONNECTION, headers=backend, json=narrow)
    assert uncovered.status_code == 422, uncovered.text
    data = await connection_of(client, backend)
    assert data["enabled"] is True and data["consents"] == []
