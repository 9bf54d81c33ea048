"""Who may see and do what: session tokens vs the application's API key, masking, the
credentials endpoint, allow_actions, unified_apis, revocation, tenant isolation."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, by_id, offer, session_headers
from tests.support.tenants import Tenant, create_tenant

PIPEDRIVE = "/vault/connections/crm/pipedrive"
FRESHSALES = "/vault/connections/crm/freshsales"
CONNECTED = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}


@pytest.fixture
async def offered(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    return tenant


async def test_sensitive_values_are_masked_for_sessions_and_in_form_fields(
    client: httpx.AsyncClient, offered: Tenant
) -> None:
    headers = await session_headers(client, offered, "alice")
    await client.patch(PIPEDRIVE, headers=headers, json=CONNECTED)
    for response in (
        await client.get(PIPEDRIVE, headers=headers),
        await client.get("/vault/connections", headers=headers),
        await client.get(PIPEDRIVE, headers=offered.headers("alice")),
    ):
        assert response.status_code == 200
        assert PIPEDRIVE_TOKEN not in response.text
    data = (await client.get(PIPEDRIVE, headers=headers)).json()["data"]
    assert data["form_fields"][0]["value"] == "********" and data["form_fields"][0]["sensitive"] is True


async def test_posting_the_mask_back_keeps_the_stored_value(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = await session_headers(client, offered, "alice")
    await client.patch(FRESHSALES, headers=headers, json={"enabled": True, "settings": {"api_key": "k1"}})
    body = {"settings": {"api_key": "********", "domain": "acme"}}
    assert (await client.patch(FRESHSALES, headers=headers, json=body)).json()["data"]["state"] == "callable"
    credentials = await client.get(FRESHSALES + "/credentials", headers=offered.headers("alice"))
    assert credentials.json()["data"]["settings"]["api_key"] == "k1"


async def test_backend_reads_plaintext_credentials_with_its_api_key(client: httpx.AsyncClient, offered: Tenant) -> None:
    await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json=CONNECTED)
    response = await client.get(PIPEDRIVE + "/credentials", headers=offered.headers("alice"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    data = response.json()["data"]
    assert data["settings"] == {"api_token": PIPEDRIVE_TOKEN}
    assert data["state"] == "callable" and data["auth_type"] == "apiKey" and data["id"] == "crm+pipedrive"


async def test_session_token_never_reads_credentials(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = await session_headers(client, offered, "alice")
    await client.patch(PIPEDRIVE, headers=headers, json=CONNECTED)
    response = await client.get(PIPEDRIVE + "/credentials", headers=headers)
    assert response.status_code == 403 and PIPEDRIVE_TOKEN not in response.text
    assert "API key" in response.json()["detail"]


async def test_credentials_of_a_connection_without_any_are_422_and_unknown_are_404(
    client: httpx.AsyncClient, offered: Tenant
) -> None:
    assert (await client.get(PIPEDRIVE + "/credentials", headers=offered.headers("alice"))).status_code == 404
    await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json={"enabled": True})
    assert (await client.get(PIPEDRIVE + "/credentials", headers=offered.headers("alice"))).status_code == 422


async def test_a_consumers_token_reaches_only_its_own_connections(client: httpx.AsyncClient, offered: Tenant) -> None:
    await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json=CONNECTED)
    bob = await session_headers(client, offered, "bob")
    assert by_id(await client.get("/vault/connections", headers=bob))["crm+pipedrive"]["state"] == "available"
    assert (await client.delete(PIPEDRIVE, headers=bob)).status_code == 404
    alice = by_id(await client.get("/vault/connections", headers=offered.headers("alice")))
    assert alice["crm+pipedrive"]["state"] == "callable"


async def test_another_applications_api_key_sees_nothing_of_this_one(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json=CONNECTED)
    other = await create_tenant(app, name="Other SaaS")
    assert (await client.get("/vault/connections", headers=other.headers("alice"))).json()["data"] == []
    assert (await client.get(PIPEDRIVE + "/credentials", headers=other.headers("alice"))).status_code == 404
    await offer(app, other, ["pipedrive"])
    listed = by_id(await client.get("/vault/connections", headers=other.headers("alice")))
    assert list(listed) == ["crm+pipedrive"] and listed["crm+pipedrive"]["state"] == "available"


@pytest.mark.parametrize(
    ("allowed", "body", "action"),
    [
        (["delete"], {"enabled": False}, "disable"),
        (["delete"], {"settings": {"api_token": None}}, "disconnect"),
        (["delete"], {"settings": {"api_token": "f" * 40}}, "reauthorize"),
    ],
)
async def test_each_change_needs_its_allow_actions_entry(
    client: httpx.AsyncClient, offered: Tenant, allowed: list[str], body: dict[str, object], action: str
) -> None:
    await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json=CONNECTED)
    refused = await session_headers(client, offered, "alice", allow_actions=allowed)
    response = await client.patch(PIPEDRIVE, headers=refused, json=body)
    assert response.status_code == 403
    assert f"'{action}'" in response.json()["message"] and response.json()["detail"]["required_action"] == action
    permitted = await session_headers(client, offered, "alice", allow_actions=[action])
    assert (await client.patch(PIPEDRIVE, headers=permitted, json=body)).status_code == 200


async def test_re_enabling_needs_disable_too(client: httpx.AsyncClient, offered: Tenant) -> None:
    await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json={**CONNECTED, "enabled": False})
    headers = await session_headers(client, offered, "alice", allow_actions=[])
    assert (await client.patch(PIPEDRIVE, headers=headers, json={"enabled": True})).status_code == 403


async def test_adding_and_first_credentials_need_no_action(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = await session_headers(client, offered, "alice", allow_actions=[])
    response = await client.patch(PIPEDRIVE, headers=headers, json=CONNECTED)
    assert response.status_code == 200 and response.json()["data"]["state"] == "callable"
    assert (await client.delete(PIPEDRIVE, headers=headers)).status_code == 403


async def test_backend_is_not_limited_by_allow_actions(client: httpx.AsyncClient, offered: Tenant) -> None:
    await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json=CONNECTED)
    assert (await client.delete(PIPEDRIVE, headers=offered.headers("alice"))).status_code == 204


async def test_unified_apis_limits_what_a_session_touches(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = await session_headers(client, offered, "alice", unified_apis=["hris"])
    for method in ("PATCH", "DELETE"):
        response = await client.request(method, PIPEDRIVE, headers=headers, json={"enabled": True})
        assert response.status_code == 403 and "'crm'" in response.json()["message"]
    assert (
        await client.patch("/vault/connections/hris/deel", headers=headers, json={"enabled": True})
    ).status_code == 200


async def test_revoked_session_stops_at_once_with_401_in_the_body(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = await session_headers(client, offered, "alice")
    assert (await client.get("/vault/connections", headers=headers)).status_code == 200
    sessions = (await client.get("/vault/sessions", headers=offered.headers("alice"))).json()["data"]
    assert (
        await client.delete(f"/vault/sessions/{sessions[0]['id']}", headers=offered.headers("alice"))
    ).status_code == 200
    response = await client.get("/vault/connections", headers=headers)
    assert response.status_code == 401 and response.json()["status_code"] == 401


async def test_broken_browser_token_is_401(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = {
        "Authorization": "Bearer null",
        "x-apideck-app-id": "undefined",
        "x-apideck-consumer-id": "undefined",
        "x-apideck-auth-type": "JWT",
        "Content-Type": "application/json",
    }
    response = await client.get("/vault/connections", headers=headers)
    assert response.status_code == 401 and response.json()["status_code"] == 401


async def test_session_may_not_set_metadata_but_backend_may(client: httpx.AsyncClient, offered: Tenant) -> None:
    body = {"enabled": True, "metadata": {"plan": "enterprise"}}
    assert (await client.patch(PIPEDRIVE, headers=await session_headers(client, offered), json=body)).status_code == 403
    response = await client.patch(PIPEDRIVE, headers=offered.headers(), json=body)
    assert response.json()["data"]["metadata"] == {"plan": "enterprise"}


async def test_unknown_setting_or_key_or_integration_is_a_clear_error(
    client: httpx.AsyncClient, offered: Tenant
) -> None:
    headers = offered.headers()
    unknown_setting = await client.patch(PIPEDRIVE, headers=headers, json={"settings": {"apitoken": "x"}})
    assert unknown_setting.status_code == 400 and "settings.apitoken" in unknown_setting.json()["message"]
    assert unknown_setting.json()["detail"]["allowed_settings"] == ["api_token"]
    unknown_key = await client.patch(PIPEDRIVE, headers=headers, json={"enabeld": True})
    assert unknown_key.status_code == 400 and "enabeld" in unknown_key.json()["message"]
    assert (await client.get("/vault/connections/crm/nope", headers=headers)).status_code == 404
    assert (await client.get("/vault/connections/hris/pipedrive", headers=headers)).status_code == 404
    wrong_type = await client.patch(PIPEDRIVE, headers=headers, json={"settings": {"api_token": 42}})
    assert wrong_type.status_code == 400


async def test_list_filters_by_api_and_configured(client: httpx.AsyncClient, offered: Tenant) -> None:
    headers = offered.headers("alice")
    await client.patch(PIPEDRIVE, headers=headers, json=CONNECTED)
    crm = by_id(await client.get("/vault/connections?api=crm", headers=headers))
    assert crm and {c["unified_api"] for c in crm.values()} == {"crm"}
    assert list(by_id(await client.get("/vault/connections?configured=true", headers=headers))) == ["crm+pipedrive"]
    unconfigured = by_id(await client.get("/vault/connections?configured=false", headers=headers))
    assert "crm+pipedrive" not in unconfigured and len(unconfigured) >= 19


async def test_backend_patch_creates_the_consumer_and_deleting_it_deletes_its_connections(
    client: httpx.AsyncClient, offered: Tenant
) -> None:
    await client.patch(PIPEDRIVE, headers=offered.headers("new-one"), json=CONNECTED)
    assert (await client.get("/vault/consumers/new-one", headers=offered.headers())).status_code == 200
    assert (await client.delete("/vault/consumers/new-one", headers=offered.headers())).status_code == 200
    listed = by_id(await client.get("/vault/connections", headers=offered.headers("new-one")))
    assert listed["crm+pipedrive"]["state"] == "available"


async def test_api_key_caller_needs_a_consumer_header(client: httpx.AsyncClient, offered: Tenant) -> None:
    response = await client.get("/vault/connections", headers=offered.headers(None))
    assert response.status_code == 400 and "x-apideck-consumer-id" in response.json()["message"]
