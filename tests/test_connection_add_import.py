"""``connectionsAdd`` (POST a connection) and ``connectionsImport`` (bring one over from another
system), through the real API on both backends: states, events, masking, who may call them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer, session_headers
from tests.support.consumer_logs import read_logs
from tests.support.tenants import Tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.clock import now_ms
from vaultline.runtime import Runtime
from vaultline.store.connections import get_connection
from vaultline.store.data_scopes import set_data_scopes

PIPEDRIVE = "/vault/connections/crm/pipedrive"
FRESHSALES = "/vault/connections/crm/freshsales"
HUBSPOT = "/vault/connections/crm/hubspot"
ACCESS = "imported-access-token-0123456789"
REFRESH = "imported-refresh-token-0123456789"


@pytest.fixture
async def offered(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/unused")
    return tenant


async def events_of(app: FastAPI, tenant: Tenant) -> list[str]:
    return [event["type"] for event in await outbox(app, tenant.application_id)]


async def stored(app: FastAPI, tenant: Tenant, service_id: str, consumer_id: str = "c1") -> Any:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        return await get_connection(
            connection, application_id=tenant.application_id, consumer_id=consumer_id, unified_api="crm",
            service_id=service_id, ring=runtime.master_keys,
        )  # fmt: skip


# connectionsAdd


async def test_add_creates_a_callable_connection_with_events(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    response = await client.post(
        PIPEDRIVE, headers=offered.headers("c1"), json={"settings": {"api_token": PIPEDRIVE_TOKEN}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status_code"] == 200 and body["status"] == "OK"
    data = body["data"]
    assert data["id"] == "crm+pipedrive" and data["state"] == "callable" and data["enabled"] is True
    assert data["settings"]["api_token"] == "********" and PIPEDRIVE_TOKEN not in response.text
    assert await events_of(app, offered) == ["vault.connection.created", "vault.connection.callable"]


async def test_add_of_an_existing_connection_is_a_422_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    first = await client.post(PIPEDRIVE, headers=offered.headers("c1"), json={"enabled": True})
    assert first.status_code == 200, first.text
    again = await client.post(PIPEDRIVE, headers=offered.headers("c1"), json={"enabled": False})
    assert again.status_code == 422, again.text
    assert again.json()["type_name"] == "UnprocessableEntityError" or again.json()["status_code"] == 422
    assert (await stored(app, offered, "pipedrive")).enabled is True
    assert await events_of(app, offered) == ["vault.connection.created"]


async def test_add_with_a_session_token_reaches_only_its_unified_apis(
    client: httpx.AsyncClient, offered: Tenant
) -> None:
    headers = await session_headers(client, offered, "c1", unified_apis=["hris"])
    refused = await client.post(PIPEDRIVE, headers=headers, json={"enabled": True})
    assert refused.status_code == 403, refused.text
    allowed = await session_headers(client, offered, "c1", unified_apis=["crm"])
    added = await client.post(PIPEDRIVE, headers=allowed, json={"settings": {"api_token": PIPEDRIVE_TOKEN}})
    assert added.status_code == 200 and added.json()["data"]["state"] == "callable"
    # metadata is the backend's alone, as with PATCH
    other = await client.post(FRESHSALES, headers=allowed, json={"metadata": {"plan": "pro"}})
    assert other.status_code == 403, other.text


@pytest.mark.parametrize(
    "body",
    [{"enabled": "yes"}, {"settings": {"nope": "x"}}, {"unknown": 1}, [], "x"],
    ids=["wrong-type", "unknown-setting", "unknown-key", "array", "string"],
)
async def test_add_with_bad_input_is_a_400(client: httpx.AsyncClient, offered: Tenant, body: Any) -> None:
    response = await client.post(PIPEDRIVE, headers=offered.headers("c1"), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 400 and response.json()["message"]


async def test_add_of_an_integration_not_offered_is_a_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PIPEDRIVE, headers=tenant.headers("c1"), json={"enabled": True})
    assert response.status_code == 404, response.text


# connectionsImport


async def test_import_of_api_key_settings_ends_callable_and_masks_them(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    response = await client.post(
        PIPEDRIVE + "/import",
        headers=offered.headers("c1"),
        json={"settings": {"api_token": PIPEDRIVE_TOKEN}, "metadata": {"source": "legacy"}},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["state"] == "callable" and data["metadata"] == {"source": "legacy"}
    assert PIPEDRIVE_TOKEN not in response.text
    assert await events_of(app, offered) == ["vault.connection.created", "vault.connection.callable"]
    credentials = await client.get(PIPEDRIVE + "/credentials", headers=offered.headers("c1"))
    assert credentials.json()["data"]["settings"]["api_token"] == PIPEDRIVE_TOKEN


async def test_an_import_answers_the_consent_fields_and_health_a_read_answers(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        scopes = {"crm.contacts": {"email": {"read": True}}}
        await set_data_scopes(connection, application_id=offered.application_id, enabled=True, resources=scopes)
    imported = await client.post(
        PIPEDRIVE + "/import", headers=offered.headers("c1"), json={"settings": {"api_token": PIPEDRIVE_TOKEN}}
    )
    assert imported.status_code == 200, imported.text
    read = (await client.get(PIPEDRIVE, headers=offered.headers("c1"))).json()["data"]
    answer = imported.json()["data"]
    assert (answer["health"], read["health"]) == ("needs_consent", "needs_consent")
    fields = ("consent_state", "application_data_scopes")
    assert {f: answer[f] for f in fields} == {f: read[f] for f in fields}


async def test_import_with_a_required_setting_missing_ends_authorized(
    client: httpx.AsyncClient, offered: Tenant
) -> None:
    response = await client.post(
        FRESHSALES + "/import", headers=offered.headers("c1"), json={"settings": {"api_key": "fs-key-0123456789"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["state"] == "authorized"


async def test_import_of_oauth_tokens_stores_them_sealed_and_never_answers_them(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    body = {"credentials": {"access_token": ACCESS, "refresh_token": REFRESH,
                            "issued_at": "2030-01-01T00:00:00Z", "expires_in": 3600}}  # fmt: skip
    response = await client.post(HUBSPOT + "/import", headers=offered.headers("c1"), json=body)
    assert response.status_code == 200, response.text
    assert ACCESS not in response.text and REFRESH not in response.text
    assert response.json()["data"]["state"] == "callable"
    record = await stored(app, offered, "hubspot")
    assert record.oauth_credentials["access_token"] == ACCESS
    assert record.oauth_credentials["expires_at"] == 1893456000000 + 3_600_000
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        raw = (await connection.exec_driver_sql("SELECT credentials_sealed FROM connections")).scalar_one()
    assert ACCESS not in raw and REFRESH not in raw  # sealed, as the OAuth callback stores tokens
    logs = await read_logs(app, client, offered.headers("c1"))
    assert any(entry["operation"]["id"] == "connectionsImport" for entry in logs)
    assert ACCESS not in str(logs)


async def test_import_without_an_expiry_queues_the_token_for_refresh(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    before = now_ms()
    body = {"credentials": {"access_token": ACCESS, "refresh_token": REFRESH}}
    response = await client.post(HUBSPOT + "/import", headers=offered.headers("c1"), json=body)
    assert response.status_code == 200, response.text
    expires_at = (await stored(app, offered, "hubspot")).oauth_credentials["expires_at"]
    assert before <= expires_at <= now_ms()  # due now: the next credentials read refreshes it


async def test_import_again_replaces_the_tokens_with_an_update_event(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    for token in (ACCESS, ACCESS + "-2"):
        body = {"credentials": {"access_token": token}}
        response = await client.post(HUBSPOT + "/import", headers=offered.headers("c1"), json=body)
        assert response.status_code == 200, response.text
    assert (await stored(app, offered, "hubspot")).oauth_credentials["access_token"] == ACCESS + "-2"
    assert await events_of(app, offered) == [
        "vault.connection.created", "vault.connection.callable", "vault.connection.updated",
    ]  # fmt: skip


async def test_import_with_a_session_token_is_refused(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = await session_headers(client, offered, "c1")
    response = await client.post(PIPEDRIVE + "/import", headers=headers, json={"settings": {"api_token": "x"}})
    assert response.status_code == 403, response.text
    assert "API key" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "body", "status"),
    [
        (HUBSPOT, {}, 422),  # an OAuth connection needs its tokens
        (HUBSPOT, {"credentials": {}}, 400),  # access_token missing
        (HUBSPOT, {"credentials": {"access_token": "a", "password": "x"}}, 400),  # additionalProperties: false
        (HUBSPOT, {"credentials": {"access_token": "a", "issued_at": "yesterday"}}, 400),
        (HUBSPOT, {"credentials": {"access_token": "a", "expires_in": -1}}, 400),
        (PIPEDRIVE, {"credentials": {"access_token": "a"}}, 422),  # API-key credentials are settings
        (PIPEDRIVE, {"metadata": {"a": 1}}, 422),  # nothing to authorize with
        (PIPEDRIVE, {"settings": {"nope": 1}}, 400),
        (PIPEDRIVE, {"extra": 1}, 400),
    ],
)
async def test_import_with_bad_input_is_a_clear_4xx_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant, url: str, body: Any, status: int
) -> None:
    response = await client.post(url + "/import", headers=offered.headers("c1"), json=body)
    assert response.status_code == status, response.text
    assert response.json()["status_code"] == status and response.json()["message"]
    assert await stored(app, offered, url.rsplit("/", 1)[1]) is None
    assert await events_of(app, offered) == []
