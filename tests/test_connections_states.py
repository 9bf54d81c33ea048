"""The connection state machine, one transition per test, through the real API.

    available → added → authorized → callable ⇄ invalid;  enabled=false keeps everything.
Freshsales needs an API key (the credential) and a bundle domain (a required setting), so it
passes through every state; Pipedrive needs only its token.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer
from tests.support.tenants import Tenant

URL = "/vault/connections/crm/freshsales"
KEY = "fs-key-0123456789abcdef"
DOMAIN = "acme.myfreshworks.com"


@pytest.fixture
async def backend(app: FastAPI, tenant: Tenant) -> dict[str, str]:
    await offer(app, tenant)
    return tenant.headers("state-consumer")


async def patch(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], url: str = URL) -> Any:
    response = await client.patch(url, headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def state(client: httpx.AsyncClient, headers: dict[str, str], url: str = URL) -> Any:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_starts_available(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    data = await state(client, backend)
    assert data["state"] == "available" and data["enabled"] is False
    assert "created_at" not in data and data["settings"] == {}  # Apideck's created_at is never null
    assert [f["id"] for f in data["form_fields"]] == ["domain", "api_key"]


async def test_available_to_added_by_enabling(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    data = await patch(client, backend, {"enabled": True})
    assert data["state"] == "added" and data["enabled"] is True and data["health"] == "needs_auth"
    assert isinstance(data["created_at"], int) and data["created_at"] > 1_700_000_000_000  # epoch ms


async def test_added_to_authorized_by_credentials_with_a_setting_missing(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    await patch(client, backend, {"enabled": True})
    data = await patch(client, backend, {"settings": {"api_key": KEY}})
    assert data["state"] == "authorized" and data["health"] == "missing_settings"


async def test_authorized_to_callable_when_required_settings_arrive(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    await patch(client, backend, {"enabled": True, "settings": {"api_key": KEY}})
    data = await patch(client, backend, {"settings": {"domain": DOMAIN}})
    assert data["state"] == "callable" and data["health"] == "ok"
    assert data["settings"] == {"api_key": "********", "domain": DOMAIN}
    assert data["updated_at"] >= data["created_at"]


async def test_callable_to_invalid_when_validation_fails(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    await patch(client, backend, {"enabled": True, "settings": {"api_key": KEY, "domain": "not a domain!"}})
    assert (await state(client, backend))["state"] == "callable"
    response = await client.post(URL + "/validate", headers=backend)
    assert response.status_code == 200
    result = response.json()["data"]
    assert result["id"] == "crm+freshsales" and result["state"] == "invalid"
    assert any("Bundle domain" in problem for problem in result["problems"])
    assert (await state(client, backend))["state"] == "invalid"


async def test_invalid_to_callable_when_settings_are_fixed(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    await patch(client, backend, {"enabled": True, "settings": {"api_key": KEY, "domain": "bad domain"}})
    await client.post(URL + "/validate", headers=backend)
    data = await patch(client, backend, {"settings": {"domain": DOMAIN}})
    assert data["state"] == "callable"
    response = await client.post(URL + "/validate", headers=backend, json={})
    assert response.json()["data"] == {
        "id": "crm+freshsales",
        "state": "callable",
        "problems": [],
        "health": "ok",
        "health_reason": None,
    }


async def test_disabling_keeps_state_and_settings_and_re_enabling_restores(
    client: httpx.AsyncClient, backend: dict[str, str], tenant: Tenant
) -> None:
    await patch(client, backend, {"enabled": True, "settings": {"api_key": KEY, "domain": DOMAIN}})
    disabled = await patch(client, backend, {"enabled": False})
    assert disabled["enabled"] is False and disabled["state"] == "callable"
    refused = await client.get(URL + "/credentials", headers=backend)
    assert refused.status_code == 422 and "disabled" in refused.json()["message"]
    enabled = await patch(client, backend, {"enabled": True})
    assert enabled["enabled"] is True and enabled["state"] == "callable"
    credentials = (await client.get(URL + "/credentials", headers=backend)).json()["data"]
    assert credentials["settings"] == {"api_key": KEY, "domain": DOMAIN}


async def test_clearing_the_credential_goes_back_to_added(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    await patch(client, backend, {"enabled": True, "settings": {"api_key": KEY, "domain": DOMAIN}})
    data = await patch(client, backend, {"settings": {"api_key": None}})
    assert data["state"] == "added" and data["settings"] == {"domain": DOMAIN}


async def test_delete_returns_to_available(client: httpx.AsyncClient, backend: dict[str, str]) -> None:
    await patch(client, backend, {"enabled": True, "settings": {"api_key": KEY, "domain": DOMAIN}})
    response = await client.delete(URL, headers=backend)
    assert response.status_code == 204 and response.content == b""
    assert (await state(client, backend))["state"] == "available"
    assert (await client.delete(URL, headers=backend)).status_code == 404


async def test_api_key_only_integration_goes_straight_to_callable(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    url = "/vault/connections/crm/pipedrive"
    data = await patch(client, backend, {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}, url)
    assert data["state"] == "callable"


async def test_oauth_integration_can_be_added_but_not_authorized_with_settings(
    client: httpx.AsyncClient, backend: dict[str, str]
) -> None:
    url = "/vault/connections/crm/hubspot"
    data = await patch(client, backend, {"enabled": True}, url)
    assert data["state"] == "added" and data["auth_type"] == "oauth2"
    assert data["oauth_grant_type"] == "authorization_code"
    assert data["integration_state"] == "needs_configuration"  # no OAuth client set for the app
    response = await client.patch(url, headers=backend, json={"settings": {"access_token": "x"}})
    assert response.status_code == 400 and "Unknown setting" in response.json()["message"]
    # Validating an OAuth connection forces a token refresh: without tokens there is nothing to refresh.
    validated = await client.post(url + "/validate", headers=backend)
    assert validated.status_code == 200, validated.text
    assert validated.json()["data"]["state"] == "added"
    assert validated.json()["data"]["problems"] == ["The consumer has not authorized this connection yet"]
