"""How consumer logs are recorded and kept: off the request path, never failing a request,
switchable off, pruned by age, and shown on the Hosted Vault's logs page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import PUBLIC_URL
from tests.support.connections import PIPEDRIVE_TOKEN, offer, session_headers
from tests.support.consumer_logs import flush_logs, read_logs
from tests.support.hosted import SAME_ORIGIN, open_session
from tests.support.tenants import Tenant, create_tenant
from vaultline.app import create_app
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.consumer_logs.middleware import clean_path
from vaultline.consumer_logs.recorder import LogRecorder
from vaultline.consumer_logs.retention import DAY_MS, prune_consumer_logs
from vaultline.runtime import Runtime
from vaultline.store.consumer_logs import LogEntry, insert_logs

PIPEDRIVE = "/vault/connections/crm/pipedrive"


def _entry(tenant: Tenant, consumer_id: str, *, age_days: float) -> LogEntry:
    return LogEntry(
        application_id=tenant.application_id,
        consumer_id=consumer_id,
        caller="api_key",
        method="GET",
        path="/vault/connections",
        status_code=200,
        duration_us=1500,
        timestamp=now_ms() - int(age_days * DAY_MS),
        operation_id="connectionsAll",
        operation_name="Get all connections",
        unified_api=None,
        service_id=None,
        error_message=None,
    )


async def test_retention_deletes_only_rows_older_than_the_setting_in_batches(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    runtime: Runtime = app.state.runtime
    assert runtime.settings.log_retention_days == 30
    async with runtime.engine.begin() as connection:
        await insert_logs(connection, [_entry(tenant, "old", age_days=31 + i) for i in range(5)])
        await insert_logs(connection, [_entry(tenant, "old", age_days=29), _entry(tenant, "old", age_days=0)])
    deleted = await prune_consumer_logs(runtime.engine, retention_days=30, batch_size=2)
    assert deleted == 5
    assert len(await read_logs(app, client, tenant.headers("old"))) == 2
    assert await prune_consumer_logs(runtime.engine, retention_days=30) == 0
    assert await prune_consumer_logs(runtime.engine, retention_days=1) == 1


async def test_a_failing_log_writer_never_fails_the_request(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await offer(app, tenant, ["pipedrive"])
    recorder: LogRecorder = app.state.runtime.consumer_logs

    async def database_refuses(batch: list[LogEntry]) -> None:
        raise OSError("injected: the database is gone")

    monkeypatch.setattr(recorder, "write", database_refuses)
    with caplog.at_level(logging.WARNING, logger="vaultline.consumer_logs"):
        assert (await client.get(PIPEDRIVE, headers=tenant.headers("kim"))).status_code == 200
        await flush_logs(app)
    assert recorder.dropped == 1 and "dropped" in caplog.text

    def queue_breaks(entry: LogEntry) -> None:
        raise RuntimeError("injected: enqueue fails")

    monkeypatch.setattr(recorder, "enqueue", queue_breaks)
    assert (await client.get(PIPEDRIVE, headers=tenant.headers("kim"))).status_code == 200
    monkeypatch.undo()
    # The writer survived both faults: the next call is recorded as usual.
    assert (await client.patch(PIPEDRIVE, headers=tenant.headers("kim"), json={"enabled": True})).status_code == 200
    assert [log["http_method"] for log in await read_logs(app, client, tenant.headers("kim"))] == ["PATCH"]


async def test_a_full_queue_drops_new_rows_instead_of_growing(app: FastAPI, tenant: Tenant) -> None:
    recorder = LogRecorder(app.state.runtime.engine, max_queued=2)  # not started: nothing drains it
    for _ in range(5):
        recorder.enqueue(_entry(tenant, "lee", age_days=0))
    assert recorder.dropped == 3
    await recorder.close()  # still commits what it holds


@pytest.fixture
async def unlogged_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"consumer_logs": False}))
    async with application.router.lifespan_context(application):
        yield application


async def test_consumer_logs_can_be_switched_off(unlogged_app: FastAPI) -> None:
    tenant = await create_tenant(unlogged_app, name="Quiet SaaS")
    transport = httpx.ASGITransport(app=unlogged_app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        assert (await client.post("/vault/sessions", headers=tenant.headers("max"))).status_code == 200
        assert await read_logs(unlogged_app, client, tenant.headers("max")) == []


async def test_the_hosted_logs_page_shows_real_rows(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant, ["pipedrive"])
    connected = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    assert (await client.patch(PIPEDRIVE, headers=tenant.headers("c1"), json=connected)).status_code == 200
    browser = await session_headers(client, tenant, "c1", allow_actions=[])
    assert (await client.delete(PIPEDRIVE, headers=browser)).status_code == 403
    opened = await open_session(client, tenant, {"settings": {"show_logs": True}})
    await flush_logs(app)
    html = (await client.get(opened.page("/logs"), headers=SAME_ORIGIN)).text
    assert html.count('class="log-ok"') == 3 and html.count('class="log-failed"') == 1
    assert "Deletes a connection" in html and f"DELETE {PIPEDRIVE}" in html and ">403<" in html
    assert "Update connection" in html and html.count("<td>You</td>") == 1  # the refused delete
    assert html.count("<td>Acme SaaS</td>") == 3  # the backend's PATCH and its two mints
    assert PIPEDRIVE_TOKEN not in html


def test_paths_are_stored_without_anything_token_like() -> None:
    jwt_like = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert clean_path(f"/vault/consumers/{jwt_like}/x") == "/vault/consumers/[redacted]/x"
    assert clean_path("/vault/consumers/vl_live_abcdefghijklmnop") == "/vault/consumers/[redacted]"
    assert clean_path("/vault/a\x00b\x1fc") == "/vault/abc"
    assert len(clean_path("/vault/" + "x" * 5000)) == 1000
