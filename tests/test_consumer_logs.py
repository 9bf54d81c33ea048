"""``GET /vault/logs``: what is recorded for a consumer's Vault API calls, who may read it,
pagination and filters, on both backends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer, session_headers
from tests.support.consumer_logs import flush_logs, read_logs
from tests.support.tenants import Tenant, create_tenant

PIPEDRIVE = "/vault/connections/crm/pipedrive"
CONNECTED = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
LOG_REQUIRED = {
    "id", "parent_id", "api_style", "base_url", "child_request", "consumer_id", "duration", "execution",
    "has_children", "http_method", "latency", "operation", "path", "sandbox", "service", "status_code",
    "success", "timestamp", "unified_api",
}  # fmt: skip


@pytest.fixture
async def offered(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    return tenant


async def test_api_key_and_session_calls_are_logged_in_the_reference_shape(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    assert (await client.patch(PIPEDRIVE, headers=offered.headers("alice"), json=CONNECTED)).status_code == 200
    browser = await session_headers(client, offered, "alice")
    assert (await client.get("/vault/connections?api=crm", headers=browser)).status_code == 200

    logs = await read_logs(app, client, offered.headers("alice"))
    assert [(log["operation"]["id"], log["http_method"], log["path"]) for log in logs] == [
        ("connectionsAll", "GET", "/vault/connections"),  # newest first; no query string
        ("sessionsCreate", "POST", "/vault/sessions"),
        ("connectionsUpdate", "PATCH", PIPEDRIVE),
    ]
    listed, minted, patched = logs
    for log in logs:
        assert LOG_REQUIRED <= set(log) and set(log) <= LOG_REQUIRED | {"error_message", "source_ip"}
        assert log["consumer_id"] == "alice" and log["unified_api"] == "vault" and log["api_style"] == "REST"
        assert log["status_code"] == 200 and log["success"] is True and log["error_message"] is None
        assert 0 < log["duration"] < 10_000 and log["execution"] == round(log["duration"])
        assert log["timestamp"].startswith("20") and log["timestamp"].endswith("Z")
        assert log["base_url"] == "vault.test" and log["child_request"] is False and log["parent_id"] is None
    assert patched["operation"] == {"id": "connectionsUpdate", "name": "Update connection"}
    assert patched["service"] == {"id": "pipedrive", "name": "Pipedrive"}
    assert minted["operation"] == {"id": "sessionsCreate", "name": "Create Session"}
    assert listed["service"] == {"id": "vault", "name": "Vault"}
    assert patched["timestamp"] <= minted["timestamp"] <= listed["timestamp"]
    assert len({log["id"] for log in logs}) == 3
    # The consumer's own session token reads the same logs.
    assert [log["id"] for log in await read_logs(app, client, browser)] == [log["id"] for log in logs]


async def test_nobody_reads_another_consumers_or_applications_logs(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    other = await create_tenant(app, name="Other SaaS")
    await offer(app, other)
    for tenant, consumer in ((offered, "alice"), (offered, "bob"), (other, "alice")):
        response = await client.get(f"{PIPEDRIVE}", headers=tenant.headers(consumer))
        assert response.status_code == 200
    alice = await read_logs(app, client, offered.headers("alice"))
    assert len(alice) == 1 and alice[0]["consumer_id"] == "alice"
    other_alice = await read_logs(app, client, other.headers("alice"))
    assert len(other_alice) == 1 and other_alice[0]["id"] != alice[0]["id"]
    bob_browser = await session_headers(client, offered, "bob")
    assert {log["consumer_id"] for log in await read_logs(app, client, bob_browser)} == {"bob"}
    # A session token cannot name another consumer to read theirs.
    forged = {**bob_browser, "x-apideck-consumer-id": "alice"}
    assert (await client.get("/vault/logs", headers=forged)).status_code == 401
    # Calls that never authenticated are nobody's: not logged, even naming a consumer.
    stranger = {**offered.headers("alice"), "Authorization": "Bearer vl_live_not-a-key"}
    assert (await client.get("/vault/connections", headers=stranger)).status_code == 401
    assert len(await read_logs(app, client, offered.headers("alice"))) == 1


async def test_cursor_pagination_walks_every_row_once_newest_first(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    for _ in range(23):
        assert (await client.get(PIPEDRIVE, headers=offered.headers("carol"))).status_code == 200
    await flush_logs(app)
    seen: list[str] = []
    timestamps: list[str] = []
    url: str | None = "/vault/logs?limit=10"
    pages = 0
    while url is not None:
        response = await client.get(url, headers=offered.headers("carol"))
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert body["meta"]["items_on_page"] == len(body["data"]) <= 10
        seen += [log["id"] for log in body["data"]]
        timestamps += [log["timestamp"] for log in body["data"]]
        next_cursor = body["meta"]["cursors"]["next"]
        assert (body["links"]["next"] is None) == (next_cursor is None)
        url = body["links"]["next"].removeprefix("http://vault.test") if next_cursor else None
    assert pages == 3 and len(seen) == len(set(seen)) == 23
    assert timestamps == sorted(timestamps, reverse=True)
    bad = await client.get("/vault/logs?cursor=bm90LWEtbnVtYmVy", headers=offered.headers("carol"))
    assert bad.status_code == 400 and bad.json()["message"] == "Invalid cursor"
    assert (await client.get("/vault/logs?limit=201", headers=offered.headers("carol"))).status_code == 400


async def _ids(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, params: dict[str, Any]) -> list[str]:
    return [f"{log['http_method']} {log['path']} {log['status_code']}" for log in await read_logs(
        app, client, tenant.headers("dave"), {"limit": 200, **params}
    )]  # fmt: skip


async def test_filters_of_the_reference_logs_filter(app: FastAPI, client: httpx.AsyncClient, offered: Tenant) -> None:
    dave = offered.headers("dave")
    assert (await client.patch(PIPEDRIVE, headers=dave, json=CONNECTED)).status_code == 200
    assert (await client.get("/vault/connections", headers=dave)).status_code == 200
    assert (await client.get("/vault/connections/crm/nosuch", headers=dave)).status_code == 404
    assert (await client.delete(PIPEDRIVE, headers=dave)).status_code == 204
    everything = await _ids(app, client, offered, {})
    assert everything == [
        f"DELETE {PIPEDRIVE} 204",
        "GET /vault/connections/crm/nosuch 404",
        "GET /vault/connections 200",
        f"PATCH {PIPEDRIVE} 200",
    ]
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"filter[status_code]": "404"}, [everything[1]]),
        ({"filter[status_codes]": "200,204"}, [everything[0], everything[2], everything[3]]),
        ({"filter[status_codes][]": ["204", "404"]}, everything[:2]),
        ({"filter[http_method]": "patch"}, [everything[3]]),
        ({"filter[http_methods]": ["DELETE", "PATCH"]}, [everything[0], everything[3]]),
        ({"filter[connector_id]": "crm+pipedrive"}, [everything[0], everything[3]]),
        ({"filter[connector_id]": "nosuch"}, [everything[1]]),
        ({"filter[connector_id]": "hris+pipedrive"}, []),
        ({"filter[connector_id]": "crm pipedrive"}, [everything[0], everything[3]]),  # an unencoded +
        ({"filter[path]": "pipe"}, [everything[0], everything[3]]),
        ({"filter[path]": "/vault/connections", "filter[path_match_mode]": "EXACT"}, [everything[2]]),
        ({"filter[path]": "/nosuch", "filter[path_match_mode]": "ENDS_WITH"}, [everything[1]]),
        ({"filter[path]": "%", "filter[path_match_mode]": "CONTAINS"}, []),  # LIKE wildcards are literal
        ({"filter[start_date]": "2999-01-01T00:00:00Z"}, []),
        ({"filter[end_date]": "2000-01-01T00:00:00.000Z"}, []),
        ({"filter[start_date]": "2000-01-01T00:00:00Z", "filter[end_date]": "2999-01-01T00:00:00Z"}, everything),
        ({"filter[exclude_unified_apis]": "crm,proxy"}, [everything[2]]),
        ({"filter[exclude_unified_apis]": "vault"}, []),
    ]
    for params, expected in cases:
        assert await _ids(app, client, offered, params) == expected, params


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("filter[status]=200", "status"),
        ("filter[nope]=1&filter[colour]=red", "colour, nope"),
        ("filter=status_code", "filter[key]"),
        ("filter[status_code]=99", "100 to 599"),
        ("filter[status_code]=2.5", "100 to 599"),
        ("filter[start_date]=yesterday", "ISO 8601"),
        ("filter[start_date]=2026-02-01T00:00:00Z&filter[end_date]=2026-01-01T00:00:00Z", "on or after"),
        ("filter[path_match_mode]=REGEX&filter[path]=x", "path_match_mode"),
        ("filter[http_method]=GET%20/", "HTTP method"),
        ("filter[connector_id]=crm%2B", "connector_id"),
        ("filter[status_codes]=" + ",".join(["200"] * 51), "At most 50"),
    ],
)
async def test_a_bad_filter_is_a_400_naming_it(
    client: httpx.AsyncClient, tenant: Tenant, query: str, named: str
) -> None:
    response = await client.get(f"/vault/logs?{query}", headers=tenant.headers("erin"))
    assert response.status_code == 400, response.text
    assert named in response.json()["message"]


async def test_a_refused_call_is_logged_as_unsuccessful_with_its_message(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    assert (await client.patch(PIPEDRIVE, headers=offered.headers("frank"), json=CONNECTED)).status_code == 200
    browser = await session_headers(client, offered, "frank", allow_actions=[])
    refused = await client.patch(PIPEDRIVE, headers=browser, json={"enabled": False})
    assert refused.status_code == 403
    newest = (await read_logs(app, client, offered.headers("frank")))[0]
    assert newest["status_code"] == 403 and newest["success"] is False
    assert newest["operation"]["id"] == "connectionsUpdate" and "allow_actions" in newest["error_message"]


async def test_reading_logs_is_not_logged_and_needs_show_logs(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    for _ in range(3):
        assert (await client.get("/vault/logs", headers=offered.headers("gina"))).status_code == 200
    assert (await client.get("/vault/logs?filter[bogus]=1", headers=offered.headers("gina"))).status_code == 400
    assert await read_logs(app, client, offered.headers("gina")) == []
    hidden = await session_headers(client, offered, "gina", show_logs=False)
    refused = await client.get("/vault/logs", headers=hidden)
    assert refused.status_code == 403 and "show_logs" in refused.json()["detail"]
    logs = await read_logs(app, client, offered.headers("gina"))
    assert [log["operation"]["id"] for log in logs] == ["sessionsCreate"]


async def test_a_session_limited_to_some_unified_apis_sees_only_calls_about_them(
    app: FastAPI, client: httpx.AsyncClient, offered: Tenant
) -> None:
    assert (await client.get(PIPEDRIVE, headers=offered.headers("hank"))).status_code == 200
    assert (await client.get("/vault/connections/hris/bamboohr", headers=offered.headers("hank"))).status_code == 200
    browser = await session_headers(client, offered, "hank", unified_apis=["hris"])
    seen = [log["path"] for log in await read_logs(app, client, browser)]
    assert seen == ["/vault/sessions", "/vault/connections/hris/bamboohr"]


async def test_consumer_endpoints_are_logged_for_the_consumer_in_the_path(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert (await client.post("/vault/sessions", headers=tenant.headers("ivy"))).status_code == 200
    assert (await client.get("/vault/consumers/ivy", headers=tenant.headers(None))).status_code == 200
    logs = await read_logs(app, client, tenant.headers("ivy"))
    assert [log["operation"]["id"] for log in logs] == ["consumersOne", "sessionsCreate"]
