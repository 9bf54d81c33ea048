"""GET/DELETE /vault/sessions…: list, inspect and revoke (Vaultline's own endpoints)."""

from __future__ import annotations

import httpx
import jwt
from fastapi import FastAPI

from tests.support.tenants import Tenant, create_tenant


async def mint(client: httpx.AsyncClient, tenant: Tenant, consumer: str = "test-consumer", length: str = "1h") -> str:
    body = {"settings": {"session_length": length}, "redirect_uri": "https://mysaas.com/back"}
    response = await client.post("/vault/sessions", headers=tenant.headers(consumer), json=body)
    assert response.status_code == 200
    session_id: str = jwt.decode(response.json()["data"]["session_token"], options={"verify_signature": False})["jti"]
    return session_id


async def test_get_session_shows_state_and_times(client: httpx.AsyncClient, tenant: Tenant) -> None:
    session_id = await mint(client, tenant, length="30m")
    response = await client.get(f"/vault/sessions/{session_id}", headers=tenant.headers(None))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == session_id and data["state"] == "active" and data["revoked_at"] is None
    assert data["consumer_id"] == "test-consumer" and data["redirect_uri"] == "https://mysaas.com/back"
    assert data["created_at"].endswith("Z") and data["expires_at"] > data["created_at"]
    assert data["settings"]["session_length"] == "30m"


async def test_list_is_per_consumer_newest_first_with_cursors(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ids = [await mint(client, tenant) for _ in range(5)]
    other = await mint(client, tenant, consumer="someone-else")
    seen: list[str] = []
    url = "/vault/sessions?limit=2"
    pages = 0
    while url:
        response = await client.get(url, headers=tenant.headers())
        assert response.status_code == 200
        body = response.json()
        seen += [s["id"] for s in body["data"]]
        next_cursor = body["meta"]["cursors"]["next"]
        assert (body["links"]["next"] is None) == (next_cursor is None)
        url = f"/vault/sessions?limit=2&cursor={next_cursor}" if next_cursor else ""
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(ids) and other not in seen
    assert len(set(seen)) == 5


async def test_list_requires_the_consumer_header(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/vault/sessions", headers=tenant.headers(None))
    assert response.status_code == 400


async def test_revoke_is_idempotent_and_reported(client: httpx.AsyncClient, tenant: Tenant) -> None:
    session_id = await mint(client, tenant)
    first = await client.delete(f"/vault/sessions/{session_id}", headers=tenant.headers(None))
    second = await client.delete(f"/vault/sessions/{session_id}", headers=tenant.headers(None))
    assert first.status_code == second.status_code == 200
    assert first.json()["data"]["state"] == "revoked"
    assert first.json()["data"]["revoked_at"] == second.json()["data"]["revoked_at"]
    shown = await client.get(f"/vault/sessions/{session_id}", headers=tenant.headers(None))
    assert shown.json()["data"]["state"] == "revoked"


async def test_another_application_cannot_see_or_revoke(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    session_id = await mint(client, tenant)
    intruder = await create_tenant(app, name="Intruder")
    assert (await client.get(f"/vault/sessions/{session_id}", headers=intruder.headers())).status_code == 404
    assert (await client.delete(f"/vault/sessions/{session_id}", headers=intruder.headers())).status_code == 404
    listed = await client.get("/vault/sessions", headers=intruder.headers())
    assert listed.json()["data"] == []
    still = await client.get(f"/vault/sessions/{session_id}", headers=tenant.headers())
    assert still.json()["data"]["state"] == "active"


async def test_unknown_session_is_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/vault/sessions/nope", headers=tenant.headers())
    assert response.status_code == 404 and response.json()["type_name"] == "EntityNotFoundError"


async def test_error_ref_points_at_the_served_error_docs(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = (await client.get("/vault/sessions/nope", headers=tenant.headers())).json()
    assert body["ref"] == "http://vault.test/docs/errors#entitynotfounderror"
    page = await client.get("/docs/errors")
    assert page.status_code == 200 and 'id="entitynotfounderror"' in page.text


async def test_docs_page_lists_every_operation_without_external_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    for operation_id in ("sessionsCreate", "sessionsAll", "sessionsRevoke", "consumersAdd", "consumersAll"):
        assert f'id="{operation_id}"' in page.text
    assert "session_length" in page.text  # the Session body's fields are documented
    assert "<script" not in page.text and "cdn" not in page.text.lower()
