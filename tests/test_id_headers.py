"""Id headers must be ASCII: header bytes carry no encoding and are read as latin-1, so a UTF-8
consumer id in a header would silently name another consumer than the same id in a body."""

from __future__ import annotations

import httpx

from tests.support.fuzz import assert_error_shape
from tests.support.tenants import Tenant


async def test_a_utf8_consumer_id_header_is_refused_naming_the_rule(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await client.post("/vault/consumers", headers=tenant.headers(None), json={"consumer_id": "été"})
    assert created.status_code == 200, created.text
    headers = {**tenant.headers(None), "x-apideck-consumer-id": "été".encode()}
    for response in (
        await client.post("/vault/sessions", headers=headers),
        await client.get("/vault/connections", headers=headers),
    ):
        assert response.status_code == 400, response.text
        assert_error_shape(response)
        assert response.json()["message"] == "The x-apideck-consumer-id header must contain ASCII characters only"
    listed = (await client.get("/vault/consumers", headers=tenant.headers(None))).json()["data"]
    assert [c["consumer_id"] for c in listed] == ["été"]  # no mis-decoded twin was created


async def test_a_non_ascii_app_id_header_is_refused_naming_the_rule(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {**tenant.headers(), "x-apideck-app-id": f"{tenant.application_id}é".encode()}
    response = await client.post("/vault/sessions", headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "The x-apideck-app-id header must contain ASCII characters only"
    token = (await client.post("/vault/sessions", headers=tenant.headers())).json()["data"]["session_token"]
    session_call = {
        "Authorization": f"Bearer {token}",
        "x-apideck-app-id": "app_é".encode(),
        "x-apideck-consumer-id": "test-consumer",
        "x-apideck-auth-type": "JWT",
    }
    response = await client.get("/vault/connections", headers=session_call)
    assert response.status_code == 400, response.text
    assert "x-apideck-app-id" in response.json()["message"]
