"""Which ``vault.connection.*`` events real changes through the connections API produce, and
that they are written in the change's own transaction."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer, session_headers
from tests.support.tenants import Tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.webhooks.event_ids import new_event_id

PIPEDRIVE = "/vault/connections/crm/pipedrive"


@pytest.fixture
async def hooked(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    # Nothing listens there: these tests read the outbox, delivery is tested elsewhere.
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/unused")
    return tenant


async def _types(app: FastAPI, tenant: Tenant) -> list[str]:
    return [event["type"] for event in await outbox(app, tenant.application_id)]


async def test_created_callable_updated_disabled_deleted(
    app: FastAPI, client: httpx.AsyncClient, hooked: Tenant
) -> None:
    headers = hooked.headers("alice")
    assert (await client.patch(PIPEDRIVE, headers=headers, json={"enabled": True})).status_code == 200
    assert await _types(app, hooked) == ["vault.connection.created"]
    await client.patch(PIPEDRIVE, headers=headers, json={"settings": {"api_token": PIPEDRIVE_TOKEN}})
    assert (await _types(app, hooked))[1:] == ["vault.connection.updated", "vault.connection.callable"]
    await client.patch(PIPEDRIVE, headers=headers, json={"settings": {"api_token": PIPEDRIVE_TOKEN}})
    assert len(await _types(app, hooked)) == 3  # nothing changed: no event
    await client.patch(PIPEDRIVE, headers=headers, json={"enabled": False})
    assert (await _types(app, hooked))[3:] == ["vault.connection.disabled"]
    await client.patch(PIPEDRIVE, headers=headers, json={"enabled": True})
    assert (await _types(app, hooked))[4:] == ["vault.connection.updated", "vault.connection.callable"]
    assert (await client.delete(PIPEDRIVE, headers=headers)).status_code == 204
    events = await outbox(app, hooked.application_id)
    assert events[-1]["type"] == "vault.connection.deleted"
    payload = events[-1]["payload"]["payload"]
    assert payload["consumer_id"] == "alice" and payload["entity_id"] == "crm+pipedrive"
    assert payload["application_id"] == hooked.application_id and "entity" not in payload
    callable_entity = events[2]["payload"]["payload"]["entity"]
    assert callable_entity["state"] == "callable" and callable_entity["enabled"] is True
    assert "settings" not in callable_entity and PIPEDRIVE_TOKEN not in str(events)


async def test_adding_with_credentials_at_once_is_created_and_callable(
    app: FastAPI, client: httpx.AsyncClient, hooked: Tenant
) -> None:
    body = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    assert (await client.patch(PIPEDRIVE, headers=hooked.headers("bob"), json=body)).status_code == 200
    assert await _types(app, hooked) == ["vault.connection.created", "vault.connection.callable"]


async def test_a_refused_change_writes_no_event(app: FastAPI, client: httpx.AsyncClient, hooked: Tenant) -> None:
    await client.patch(PIPEDRIVE, headers=hooked.headers("alice"), json={"enabled": True})
    before = await _types(app, hooked)
    # The session may not disable: the 403 comes after the row was read inside the transaction.
    refused = await session_headers(client, hooked, "alice", allow_actions=[])
    assert (await client.patch(PIPEDRIVE, headers=refused, json={"enabled": False})).status_code == 403
    assert await _types(app, hooked) == before


async def test_deleting_a_consumer_reports_each_connection_deleted(
    app: FastAPI, client: httpx.AsyncClient, hooked: Tenant
) -> None:
    headers = hooked.headers("carol")
    await client.patch(PIPEDRIVE, headers=headers, json={"enabled": True})
    await client.patch("/vault/connections/crm/close", headers=headers, json={"enabled": True})
    assert (await client.delete("/vault/consumers/carol", headers=hooked.headers(None))).status_code == 200
    deleted = [
        e["payload"]["payload"] for e in await outbox(app, hooked.application_id) if e["type"].endswith("deleted")
    ]
    assert sorted(p["entity_id"] for p in deleted) == ["crm+close", "crm+pipedrive"]


async def test_no_webhook_means_no_outbox_rows(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant)
    await client.patch(PIPEDRIVE, headers=tenant.headers("dan"), json={"enabled": True})
    assert await outbox(app, tenant.application_id) == []


def test_event_ids_made_in_one_millisecond_sort_in_the_order_they_were_made() -> None:
    # Two events of one change (updated, then callable) share a millisecond: listing and delivery
    # order by (created_at, id), so the id must keep their order, also past the counter's range.
    made = [new_event_id(1_764_000_000_000) for _ in range(5000)]
    assert sorted(made) == made and len(set(made)) == len(made)
    assert all(uuid.UUID(event_id).version == 7 for event_id in made)
    later = new_event_id(1_764_000_000_001)
    assert later > made[-1]
