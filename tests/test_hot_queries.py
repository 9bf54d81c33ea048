"""The hot reads run on the driver (db/hot_queries.py) through the server's reader connection:
their rows must be those SQLAlchemy gives for the same statement (both backends), and what
the store builds from them must not depend on the route."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer, session_headers
from tests.support.hosted import open_session
from tests.support.tenants import Tenant, create_tenant
from vaultline.db.schema import hosted_handles as handles_table
from vaultline.runtime import Runtime
from vaultline.store import app_config, hosted_handles, sessions
from vaultline.store import connections as connection_store
from vaultline.store.connections import get_connection, get_connection_with_config_version, list_connections

CONSUMER = "c1"


async def _tenant_with_data(app: FastAPI, client: httpx.AsyncClient) -> tuple[Tenant, str, str]:
    tenant = await create_tenant(app, name="Acme SaaS")
    await offer(app, tenant)
    body = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}, "metadata": {"a": [1, "é"]}}
    patched = await client.patch("/vault/connections/crm/pipedrive", headers=tenant.headers(CONSUMER), json=body)
    assert patched.status_code == 200, patched.text
    browser = await session_headers(client, tenant, consumer_id=CONSUMER)
    hosted = await open_session(client, tenant, consumer_id=CONSUMER)
    return tenant, browser["Authorization"].removeprefix("Bearer "), hosted.session_id


async def test_hot_rows_are_sqlalchemys_rows(app: FastAPI, client: httpx.AsyncClient) -> None:
    runtime: Runtime = app.state.runtime
    tenant, _, session_id = await _tenant_with_data(app, client)
    async with runtime.engine.connect() as connection:
        handle_id = (
            await connection.execute(handles_table.select().where(handles_table.c.session_id == session_id))
        ).first()
    assert handle_id is not None
    cases = [
        (connection_store._LIST_CONNECTIONS, {"application_id": tenant.application_id, "consumer_id": CONSUMER}),
        (
            connection_store._CONNECTION_WITH_CONFIG_VERSION,
            {
                "application_id": tenant.application_id,
                "consumer_id": CONSUMER,
                "unified_api": "crm",
                "service_id": "pipedrive",
            },
        ),
        (
            connection_store._CONNECTION_WITH_CONFIG_VERSION,
            {"application_id": tenant.application_id, "consumer_id": "nobody", "unified_api": "crm", "service_id": "x"},
        ),
        (
            connection_store._CONNECTION,
            {
                "application_id": tenant.application_id,
                "consumer_id": CONSUMER,
                "unified_api": "crm",
                "service_id": "pipedrive",
            },
        ),
        (sessions._SESSION_WITH_CONFIG_VERSION, {"session_id": session_id}),
        (hosted_handles._HOSTED_SESSION, {"handle_id": handle_id.id}),
        (hosted_handles._HOSTED_SESSION, {"handle_id": "no-such-handle"}),
        (app_config._CONFIG_VERSION, {"application_id": tenant.application_id}),
        (app_config._CONFIG_VERSION, {"application_id": "no-such-application"}),
    ]
    answered = 0
    for query, parameters in cases:
        async with runtime.engine.connect() as connection:
            expected = [row._asdict() for row in await connection.execute(query.statement, parameters)]
        async with runtime.reader() as reader:
            hot = await hot_rows_of(reader, query, parameters)
        assert [row._asdict() for row in hot] == expected, query.statement
        answered += bool(expected)
    assert answered == 7, (
        "every case but the unknown handle and application answers a row (the outer join keeps the application)"
    )


async def hot_rows_of(reader: object, query: object, parameters: dict[str, str]) -> list[object]:
    run = getattr(reader, "run_hot", None)
    assert run is not None, "the server's reader connection runs hot queries on the driver"
    rows: list[object] = await run(query, parameters)
    return rows


async def test_the_store_reads_the_same_records_on_either_route(app: FastAPI, client: httpx.AsyncClient) -> None:
    runtime: Runtime = app.state.runtime
    tenant, _, _ = await _tenant_with_data(app, client)
    ring = runtime.master_keys
    owner = {"application_id": tenant.application_id, "consumer_id": CONSUMER}
    async with runtime.engine.connect() as connection:
        expected_list = await list_connections(connection, **owner, ring=ring)
        expected_one = await get_connection_with_config_version(
            connection, **owner, unified_api="crm", service_id="pipedrive", ring=ring
        )
    async with runtime.engine.begin() as connection:  # the locking read of a write, through SQLAlchemy
        expected_locked = await get_connection(
            connection, **owner, unified_api="crm", service_id="pipedrive", ring=ring, for_update=True
        )
    async with runtime.reader() as reader:
        hot_list = await list_connections(reader, **owner, ring=ring)
        hot_one = await get_connection_with_config_version(
            reader, **owner, unified_api="crm", service_id="pipedrive", ring=ring
        )
        hot_plain = await get_connection(reader, **owner, unified_api="crm", service_id="pipedrive", ring=ring)
    assert hot_list == expected_list and len(hot_list) == 1
    assert hot_one == expected_one and hot_one[1] is not None
    assert hot_plain == expected_locked == hot_one[1]
    assert hot_one[1].settings == {"api_token": PIPEDRIVE_TOKEN} and hot_one[1].metadata == {"a": [1, "é"]}
    assert hot_one[1].enabled is True
