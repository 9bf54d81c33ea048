"""``sdk.connection_settings``, ``sdk.consumers.request_counts``, the consumer filters, and the
501 of operations Vaultline does not support, against the real server: in-process (async) and
over a socket (sync)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from conftest import Tenant
from vaultline.runtime import Runtime
from vaultline_sdk import SDK, AsyncSDK, NotFoundError, PermissionDeniedError, UnsupportedOperationError
from vaultline_sdk._exceptions import make_status_error
from vaultline_sdk._retries import is_retryable_status
from vaultline_sdk.models import shared

PIPEDRIVE = ("crm", "pipedrive")
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1))


def leads_defaults(connection: shared.Connection) -> list[dict[str, object]]:
    [entry] = connection.configuration
    assert entry.resource == "leads"
    return list(entry.defaults)


@pytest.mark.usefixtures("offer_every_integration")
async def test_resource_settings_read_and_update(async_sdk: AsyncSDK) -> None:
    before = await async_sdk.connection_settings.get("acme", *PIPEDRIVE, "leads")
    assert leads_defaults(before) == [{"id": "owner_id", "target": "resource", "options": []}]
    assert "created_at" not in before.model_fields_set  # not added yet: no null created_at on the wire

    updated = await async_sdk.connection_settings.update(
        "acme", *PIPEDRIVE, "leads", defaults=[{"id": "owner_id", "value": "42"}]
    )
    assert leads_defaults(updated) == [{"id": "owner_id", "value": "42"}]
    assert isinstance(updated.created_at, int)
    whole = await async_sdk.connections.get("acme", *PIPEDRIVE)
    assert [c.resource for c in whole.configuration] == ["leads"]

    with pytest.raises(NotFoundError):
        await async_sdk.connection_settings.get("acme", *PIPEDRIVE, "invoices")


@pytest.mark.usefixtures("offer_every_integration")
async def test_a_session_hiding_resource_settings_cannot_change_them(async_sdk: AsyncSDK) -> None:
    settings = shared.SessionSettings(hide_resource_settings=True)
    token = (await async_sdk.sessions.create("acme", shared.Session(settings=settings))).session_token
    consumer = async_sdk.with_options(session_token=token)
    assert (await consumer.connection_settings.get("acme", *PIPEDRIVE, "deals")).id == "crm+pipedrive"
    with pytest.raises(PermissionDeniedError, match="hide_resource_settings"):
        await consumer.connection_settings.update("acme", *PIPEDRIVE, "deals", defaults=[])


@pytest.mark.usefixtures("offer_every_integration")
async def test_request_counts_and_filters(async_sdk: AsyncSDK, server_app: FastAPI) -> None:
    await async_sdk.consumers.create("acme-1", metadata=shared.ConsumerMetadata(user_name="John Smith"))
    await async_sdk.consumers.create("globex-1")
    for _ in range(2):
        await async_sdk.connections.list("acme-1")
    runtime: Runtime = server_app.state.runtime
    await runtime.consumer_logs.flush()  # the server writes logs in the background

    counts = await async_sdk.consumers.request_counts("acme-1", *EVER)
    assert counts.consumer_id == "acme-1" and counts.aggregated_request_count == 2
    assert counts.request_counts.vault == 2 and counts.request_counts.unify == 0
    assert counts.end_datetime == datetime(2100, 1, 1, tzinfo=UTC)  # a zoneless datetime is sent as UTC
    with pytest.raises(NotFoundError):
        await async_sdk.consumers.request_counts("nobody", *EVER)

    by_prefix = await async_sdk.consumers.list(consumer_id_prefix="acme")
    assert [c.consumer_id for c in by_prefix.data] == ["acme-1"]
    by_search = await async_sdk.consumers.list(search="JOHN")
    assert [c.consumer_id for c in by_search.data] == ["acme-1"]


async def test_the_servers_501_is_an_unsupported_operation_error_never_retried(
    server_app: FastAPI, asgi_tenant: Tenant
) -> None:
    transport = httpx.ASGITransport(app=server_app)
    async with httpx.AsyncClient(transport=transport, base_url=asgi_tenant.server_url) as http:
        headers = {"Authorization": f"Bearer {asgi_tenant.api_key}", "x-apideck-app-id": asgi_tenant.application_id}
        response = await http.get("/vault/custom-mappings/crm/pipedrive", headers=headers)
    error = make_status_error(response)
    assert isinstance(error, UnsupportedOperationError) and error.status_code == 501
    assert error.body is not None and error.body.type_name == "UnsupportedOperationError"
    assert not is_retryable_status(501) and is_retryable_status(503)


@pytest.mark.slow
def test_settings_stats_and_unsupported_over_a_socket(live_offering_tenant: Tenant, sdk: SDK) -> None:
    consumer = "settings-sync"
    updated = sdk.connection_settings.update(consumer, *PIPEDRIVE, "deals", defaults=[{"id": "owner_id", "value": 7}])
    assert updated.configuration[0].defaults == [{"id": "owner_id", "value": 7}]
    assert sdk.connection_settings.get(consumer, *PIPEDRIVE, "deals").configuration[0].defaults[0]["value"] == 7

    sdk.consumers.create("stats-sync")
    counts = sdk.consumers.request_counts("stats-sync", "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
    assert counts.consumer_id == "stats-sync" and counts.aggregated_request_count >= 0
    assert counts.application_id == live_offering_tenant.application_id
