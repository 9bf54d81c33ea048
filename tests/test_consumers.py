"""/vault/consumers: Apideck's consumer endpoints."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import offer
from tests.support.tenants import Tenant, create_tenant
from vaultline.sessions.verification import verify_session
from vaultline.tokens.session_tokens import SessionTokenRevoked

METADATA = {"account_name": "SpaceX", "user_name": "Elon Musk", "email": "elon@musk.com"}


async def test_create_get_update_delete(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.headers(None)
    created = await client.post("/vault/consumers", headers=headers, json={"consumer_id": "c-1", "metadata": METADATA})
    assert created.status_code == 200
    data = created.json()["data"]
    assert data["consumer_id"] == "c-1" and data["application_id"] == tenant.application_id
    assert data["metadata"] == METADATA and data["connections"] == [] and data["services"] == []

    fetched = await client.get("/vault/consumers/c-1", headers=headers)
    assert fetched.status_code == 200 and fetched.json()["data"]["metadata"] == METADATA

    patched = await client.patch("/vault/consumers/c-1", headers=headers, json={"metadata": {"account_name": "X"}})
    assert patched.status_code == 200 and patched.json()["data"]["metadata"] == {"account_name": "X"}

    deleted = await client.delete("/vault/consumers/c-1", headers=headers)
    assert deleted.status_code == 200 and deleted.json()["data"] == {"consumer_id": "c-1"}
    assert (await client.get("/vault/consumers/c-1", headers=headers)).status_code == 404
    assert (await client.delete("/vault/consumers/c-1", headers=headers)).status_code == 404


async def test_creating_twice_is_409(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.headers(None)
    assert (await client.post("/vault/consumers", headers=headers, json={"consumer_id": "dup"})).status_code == 200
    again = await client.post("/vault/consumers", headers=headers, json={"consumer_id": "dup"})
    assert again.status_code == 409 and again.json()["type_name"] == "ConflictError"


@pytest.mark.parametrize("body", [{}, {"consumer_id": ""}, {"consumer_id": 5}, {"consumer_id": "x", "extra": 1}])
async def test_create_validates(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object]) -> None:
    response = await client.post("/vault/consumers", headers=tenant.headers(None), json=body)
    assert response.status_code == 400


async def test_list_pages_through_everyone_once(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    headers = tenant.headers(None)
    for i in range(7):
        await client.post("/vault/consumers", headers=headers, json={"consumer_id": f"c{i}"})
    other = await create_tenant(app, name="Other")
    await client.post("/vault/consumers", headers=other.headers(None), json={"consumer_id": "not-mine"})
    seen: list[str] = []
    cursor = None
    while True:
        url = "/vault/consumers?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = (await client.get(url, headers=headers)).json()
        assert body["meta"]["items_on_page"] == len(body["data"])
        seen += [c["consumer_id"] for c in body["data"]]
        cursor = body["meta"]["cursors"]["next"]
        if cursor is None:
            break
        assert body["links"]["next"].startswith("http://vault.test/vault/consumers?")
    assert seen == [f"c{i}" for i in range(7)]


async def test_sessions_upsert_consumers_visible_here(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = {"consumer_metadata": METADATA}
    await client.post("/vault/sessions", headers=tenant.headers("via-session"), json=body)
    fetched = await client.get("/vault/consumers/via-session", headers=tenant.headers(None))
    assert fetched.status_code == 200 and fetched.json()["data"]["metadata"] == METADATA


async def test_deleting_a_consumer_revokes_its_sessions(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    response = await client.post("/vault/sessions", headers=tenant.headers("leaving"))
    token = response.json()["data"]["session_token"]
    await verify_session(app.state.runtime, token)
    assert (await client.delete("/vault/consumers/leaving", headers=tenant.headers(None))).status_code == 200
    with pytest.raises(SessionTokenRevoked):
        await verify_session(app.state.runtime, token)


async def test_consumers_are_isolated_per_application(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    await client.post("/vault/consumers", headers=tenant.headers(None), json={"consumer_id": "shared-id"})
    other = await create_tenant(app, name="Other")
    assert (await client.get("/vault/consumers/shared-id", headers=other.headers(None))).status_code == 404
    created = await client.post("/vault/consumers", headers=other.headers(None), json={"consumer_id": "shared-id"})
    assert created.status_code == 200


async def test_consumer_shows_its_connections_without_secrets(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    await offer(app, tenant)
    body = {"enabled": True, "settings": {"api_key": "sk-secret-value-123"}}
    response = await client.patch("/vault/connections/crm/close", headers=tenant.headers("with-crm"), json=body)
    assert response.status_code == 200, response.text
    one = (await client.get("/vault/consumers/with-crm", headers=tenant.headers(None))).json()["data"]
    assert one["services"] == ["close"]
    (connection,) = one["connections"]
    assert connection["id"] == "crm+close" and connection["state"] == "callable" and connection["enabled"] is True
    assert "sk-secret-value-123" not in str(one) and "settings" not in connection
    listed = (await client.get("/vault/consumers", headers=tenant.headers(None))).json()["data"]
    assert [c["services"] for c in listed if c["consumer_id"] == "with-crm"] == [["close"]]


async def test_consumer_ids_may_contain_slashes(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.headers(None)
    assert (await client.post("/vault/consumers", headers=headers, json={"consumer_id": "org/42"})).status_code == 200
    fetched = await client.get("/vault/consumers/org%2F42", headers=headers)
    assert fetched.status_code == 200 and fetched.json()["data"]["consumer_id"] == "org/42"
    assert (await client.delete("/vault/consumers/org/42", headers=headers)).status_code == 200


async def test_a_retried_create_with_the_same_idempotency_key_is_answered_200(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers(None), "Idempotency-Key": "retry-1"}
    body = {"consumer_id": "retried", "metadata": METADATA}
    first = await client.post("/vault/consumers", headers=headers, json=body)
    again = await client.post("/vault/consumers", headers=headers, json=body)  # the first answer was "lost"
    assert first.status_code == again.status_code == 200
    assert first.json()["data"]["created"] == again.json()["data"]["created"]
    other_key = await client.post("/vault/consumers", headers={**headers, "Idempotency-Key": "retry-2"}, json=body)
    no_key = await client.post("/vault/consumers", headers=tenant.headers(None), json=body)
    assert other_key.status_code == no_key.status_code == 409
