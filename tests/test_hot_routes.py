"""The hot reads' stand-in routes (api/hot_routes.py) answer exactly as the FastAPI routes they
stand in for: what they do not serve (HEAD, other methods, query parameters) falls through to
FastAPI, and logs, metrics and the OpenAPI document name the documented operation."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.support.connections import PIPEDRIVE_TOKEN, offer, session_headers
from tests.support.consumer_logs import read_logs
from tests.support.fuzz import assert_error_shape
from tests.support.metrics import METRICS_TOKEN, parse_exposition
from tests.support.tenants import Tenant, create_tenant
from vaultline.api.hot_routes import StandInRoute

CREDENTIALS = "/vault/connections/crm/pipedrive/credentials"
CREDENTIALS_TEMPLATE = "/vault/connections/{unified_api}/{service_id}/credentials"


def test_every_stand_in_shadows_a_documented_get_and_is_matched_first(app: FastAPI) -> None:
    stand_ins = [r for r in app.router.routes if isinstance(r, StandInRoute)]
    assert {r.path for r in stand_ins} == {
        "/vault/connections",
        "/vault/connections/{unified_api}/{service_id}/credentials",
    }
    first_fastapi = next(
        i for i, r in enumerate(app.router.routes) if isinstance(r, APIRoute) or hasattr(r, "original_router")
    )
    assert all(app.router.routes.index(r) < first_fastapi for r in stand_ins)
    for route in stand_ins:
        assert isinstance(route.documented, APIRoute) and route.documented.methods == {"GET"} == route.methods
    operations = {op["operationId"] for path in app.openapi()["paths"].values() for op in path.values()}
    assert {"connectionsAll", "connectionsCredentials"} <= operations


async def test_what_the_stand_ins_do_not_serve_is_answered_by_fastapi(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await offer(app, tenant, ["pipedrive"])
    backend = tenant.headers("kim")
    for path in ("/vault/connections", CREDENTIALS):
        head = await client.head(path, headers=backend)
        assert head.status_code == 405 and "GET" in head.headers["allow"]
    post = await client.post("/vault/connections", headers=backend)
    assert post.status_code == 405 and post.headers["allow"] == "GET"
    assert_error_shape(post)
    too_long = await client.get("/vault/connections", headers=backend, params={"api": "x" * 65})
    assert too_long.status_code == 400, too_long.text
    assert_error_shape(too_long)
    assert too_long.json()["detail"]["errors"][0]["location"] == "query.api"
    unparsable = await client.get("/vault/connections", headers=backend, params={"configured": "maybe"})
    assert unparsable.status_code == 400 and "query.configured" in unparsable.json()["message"]
    filtered = await client.get("/vault/connections", headers=backend, params={"api": "crm", "configured": "false"})
    unfiltered = await client.get("/vault/connections", headers=backend)
    assert filtered.status_code == unfiltered.status_code == 200
    assert filtered.json()["data"] == [c for c in unfiltered.json()["data"] if c["unified_api"] == "crm"]


async def test_consumer_logs_name_the_documented_operations(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await offer(app, tenant, ["pipedrive"])
    backend = tenant.headers("kim")
    connect = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    assert (await client.patch("/vault/connections/crm/pipedrive", headers=backend, json=connect)).status_code == 200
    assert (await client.get(CREDENTIALS, headers=backend)).status_code == 200
    assert (
        await client.get("/vault/connections", headers=await session_headers(client, tenant, "kim"))
    ).status_code == 200
    logs = await read_logs(app, client, backend)
    seen = {(log["operation"]["id"], log["operation"]["name"], log["path"], log["service"]["id"]) for log in logs}
    assert (
        "connectionsCredentials",
        "Read a connection's credentials (API key only)",
        CREDENTIALS,
        "pipedrive",
    ) in seen
    assert ("connectionsAll", "Get all connections", "/vault/connections") in {s[:3] for s in seen}


async def test_metrics_label_the_stand_ins_by_their_template(
    metrics_app: FastAPI, metrics_client: httpx.AsyncClient
) -> None:
    tenant = await create_tenant(metrics_app, name="Stand-ins")
    await metrics_client.get(CREDENTIALS, headers=tenant.headers("kim"))
    await metrics_client.get("/vault/connections", headers=tenant.headers("kim"))
    response = await metrics_client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    routes = {
        dict(labels).get("route")
        for name, labels in parse_exposition(response.text)
        if name == "vaultline_http_requests_total" and dict(labels).get("method") == "GET"
    }
    assert {"/vault/connections", CREDENTIALS_TEMPLATE} <= routes
