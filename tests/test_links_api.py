"""``/vault/links`` on both backends: create, list, get, revoke; bad input is a 400/422 in the
error shape, never a 500; the URL's secret is stored only hashed; creation is a consumer log
row and a ``vault.link.created`` event that does not carry the URL."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tests.conftest import PUBLIC_URL
from tests.support.consumer_logs import read_logs
from tests.support.tenants import Tenant, create_tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.db.schema import vault_links

HOUR_MS = 3600 * 1000


async def create(
    client: httpx.AsyncClient, tenant: Tenant, body: Any = None, consumer: str = "alice"
) -> httpx.Response:
    return await client.post("/vault/links", headers=tenant.headers(consumer), json=body if body is not None else {})


def iso_ms(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


async def test_create_answers_201_with_id_url_and_expiry_in_the_envelope(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    before = app.state.runtime.clock()
    response = await create(client, tenant)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status_code"] == 201 and body["status"] == "Created"
    data = body["data"]
    assert set(data) == {"id", "url", "expires_at"}
    assert data["id"].startswith("lnk_")
    assert data["url"].startswith(f"{PUBLIC_URL}/link/vl_link_")
    secret = data["url"].rsplit("/", 1)[1]
    assert data["id"] not in data["url"]  # the id is no part of the secret
    # Default lifetime: 72 hours from now.
    assert 72 * HOUR_MS - 2000 <= iso_ms(data["expires_at"]) - before <= 72 * HOUR_MS + 2000
    assert response.headers["cache-control"] == "no-store"

    async with app.state.runtime.engine.connect() as connection:
        rows = [dict(r._mapping) for r in await connection.execute(select(vault_links))]
    assert len(rows) == 1
    assert rows[0]["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(rows)  # the URL is the only copy of the secret


async def test_get_list_and_revoke(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    first = (await create(client, tenant, {"expires_in": 600, "single_use": False, "locale": "nl"})).json()["data"]
    second = (await create(client, tenant)).json()["data"]
    await create(client, tenant, consumer="bob")

    one = await client.get(f"/vault/links/{first['id']}", headers=tenant.headers(None))
    assert one.status_code == 200, one.text
    view = one.json()["data"]
    assert view["id"] == first["id"] and view["consumer_id"] == "alice" and view["state"] == "active"
    assert view["single_use"] is False and view["locale"] == "nl" and view["bound"] is False
    assert view["open_count"] == 0 and view["expires_at"] == first["expires_at"]
    assert "url" not in view and first["url"].rsplit("/", 1)[1] not in one.text

    listed = await client.get("/vault/links?limit=1", headers=tenant.headers("alice"))
    assert listed.status_code == 200
    page = listed.json()
    assert [link["id"] for link in page["data"]] == [second["id"]]  # newest first, alice's only
    assert page["meta"]["items_on_page"] == 1
    rest = await client.get(page["links"]["next"].removeprefix(PUBLIC_URL), headers=tenant.headers("alice"))
    assert [link["id"] for link in rest.json()["data"]] == [first["id"]]
    assert rest.json()["meta"]["cursors"]["next"] is None

    revoked = await client.delete(f"/vault/links/{first['id']}", headers=tenant.headers(None))
    assert revoked.status_code == 200 and revoked.json()["data"]["state"] == "revoked"
    again = await client.delete(f"/vault/links/{first['id']}", headers=tenant.headers(None))
    assert again.json()["data"]["revoked_at"] == revoked.json()["data"]["revoked_at"]  # idempotent


async def test_another_applications_link_is_not_found(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    link = (await create(client, tenant)).json()["data"]
    other = await create_tenant(app, name="Other SaaS")
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/vault/links/{link['id']}", headers=other.headers(None))
        assert response.status_code == 404 and response.json()["type_name"] == "EntityNotFoundError"
    still = await client.get(f"/vault/links/{link['id']}", headers=tenant.headers(None))
    assert still.json()["data"]["state"] == "active"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"expires_in": 7 * 24 * 3600 + 1}, 400, "expires_in"),
        ({"expires_in": 10}, 400, "expires_in"),
        ({"expires_in": "3600"}, 400, "expires_in"),
        ({"expires_in": 1.5}, 400, "expires_in"),
        ({"single_use": "yes"}, 400, "single_use"),
        ({"send_to": "not an address"}, 400, "send_to"),
        ({"send_to": "a@b.example\r\nBcc: c@d.example"}, 400, "send_to"),
        ({"send_to": "a@b.example, c@d.example"}, 400, "send_to"),
        ({"locale": "../../etc"}, 400, "locale"),
        ({"unknown": 1}, 400, "unknown"),
        ({"settings": {"session_length": "forever"}}, 400, "session_length"),
        ({"settings": {"session_length": "9d"}}, 422, "session_length"),
        ({"redirect_uri": "https://evil.example\\@mysaas.example"}, 422, "redirect_uri"),
        ([], 400, "object"),
    ],
)
async def test_bad_bodies_are_refused_in_the_error_shape(
    client: httpx.AsyncClient, tenant: Tenant, body: Any, status: int, words: str
) -> None:
    response = await create(client, tenant, body)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["status_code"] == status and words in str(error)


async def test_send_to_without_smtp_names_the_setting(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, {"send_to": "person@example.com"})
    assert response.status_code == 422
    assert "VAULTLINE_SMTP_URL" in response.json()["message"]


async def test_malformed_json_wrong_type_and_headers(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {**tenant.headers("alice"), "content-type": "application/json"}
    assert (await client.post("/vault/links", headers=headers, content=b"{nope")).status_code == 400
    text = {**headers, "content-type": "text/plain"}
    assert (await client.post("/vault/links", headers=text, content=b"{}")).status_code == 415
    assert (await client.post("/vault/links", headers=tenant.headers(None), json={})).status_code == 400
    assert (await client.post("/vault/links", json={})).status_code == 401
    for bad_id in ("nope", "lnk_" + "x" * 200, "lnk_%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00"):
        response = await client.get(f"/vault/links/{bad_id}", headers=tenant.headers(None))
        assert response.status_code in (400, 404), response.text  # the NUL guard answers 400 first
        assert response.json()["status_code"] == response.status_code
    cursor = await client.get("/vault/links?cursor=%00", headers=tenant.headers("alice"))
    assert cursor.status_code == 400


async def test_creation_is_logged_for_the_consumer_and_sent_as_an_event_without_the_url(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/hook")
    link = (await create(client, tenant, {"expires_in": 3600})).json()["data"]
    logs = await read_logs(app, client, tenant.headers("alice"))
    assert [(row["http_method"], row["path"], row["status_code"], row["operation"]["id"]) for row in logs] == [
        ("POST", "/vault/links", 201, "linksCreate")
    ]
    events = await outbox(app, tenant.application_id)
    assert [e["type"] for e in events] == ["vault.link.created"]
    payload = events[0]["payload"]["payload"]
    assert payload["entity_id"] == link["id"] and payload["entity_type"] == "VaultLink"
    assert payload["consumer_id"] == "alice" and payload["entity"]["expires_at"] == link["expires_at"]
    assert link["url"].rsplit("/", 1)[1] not in str(events)


async def test_a_retry_with_the_same_idempotency_key_gets_the_same_link(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers("alice"), "Idempotency-Key": "retry-me-1"}
    first = await client.post("/vault/links", headers=headers, json={"expires_in": 600})
    again = await client.post("/vault/links", headers=headers, json={"expires_in": 600})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["data"] == first.json()["data"]  # same id, same URL, same expiry
    other_key = await client.post("/vault/links", headers={**headers, "Idempotency-Key": "retry-me-2"}, json={})
    for_bob = await client.post("/vault/links", headers={**headers, "x-apideck-consumer-id": "bob"}, json={})
    urls = {first.json()["data"]["url"], other_key.json()["data"]["url"], for_bob.json()["data"]["url"]}
    assert other_key.status_code == for_bob.status_code == 201 and len(urls) == 3
    other_app = await create_tenant(app, name="Other SaaS")
    theirs = await client.post("/vault/links", headers={**other_app.headers("alice"), "Idempotency-Key": "retry-me-1"})
    assert theirs.status_code == 201 and theirs.json()["data"]["url"] != first.json()["data"]["url"]
    listed = (await client.get("/vault/links", headers=tenant.headers("alice"))).json()["data"]
    assert len(listed) == 2
