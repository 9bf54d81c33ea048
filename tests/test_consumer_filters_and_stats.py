"""``GET /vault/consumers`` with the spec's ``filter[consumer_id]`` / ``filter[search]``,
``PATCH /vault/consumers/{id}`` refusing unknown keys even when null, and
``GET /vault/consumers/{id}/stats`` counting the consumer's logged calls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import offer
from tests.support.consumer_logs import flush_logs
from tests.support.tenants import Tenant, create_tenant

CONSUMERS = {
    "acme-1": {"account_name": "Acme Corp", "user_name": "John Smith", "email": "john@acme.test"},
    "acme-2": {"account_name": "Acme Corp", "user_name": "Mary Jones", "email": "mary@acme.test"},
    "globex-1": {"account_name": "Globex", "user_name": "Hank Scorpio", "email": "hank@globex.test"},
    "100%_sure": {"account_name": "Percent", "user_name": "Wild Card", "email": "card@joker.test"},
}


@pytest.fixture
async def consumers(client: httpx.AsyncClient, tenant: Tenant) -> Tenant:
    for consumer_id, metadata in CONSUMERS.items():
        response = await client.post(
            "/vault/consumers", headers=tenant.headers(None), json={"consumer_id": consumer_id, "metadata": metadata}
        )
        assert response.status_code == 200, response.text
    return tenant


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    response = await client.get("/vault/consumers", headers=tenant.headers(None), params=params)
    assert response.status_code == 200, response.text
    return [c["consumer_id"] for c in response.json()["data"]]


async def test_filter_consumer_id_is_a_prefix_match(client: httpx.AsyncClient, consumers: Tenant) -> None:
    assert await listed(client, consumers, **{"filter[consumer_id]": "acme"}) == ["acme-1", "acme-2"]
    assert await listed(client, consumers, **{"filter[consumer_id]": "cme"}) == []
    assert await listed(client, consumers) == list(CONSUMERS)


async def test_filter_prefix_wildcards_are_literal(client: httpx.AsyncClient, consumers: Tenant) -> None:
    assert await listed(client, consumers, **{"filter[consumer_id]": "100%"}) == ["100%_sure"]
    assert await listed(client, consumers, **{"filter[consumer_id]": "%"}) == []
    assert await listed(client, consumers, **{"filter[search]": "_"}) == ["100%_sure"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("john", ["acme-1"]),  # user name, any case
        ("ACME", ["acme-1", "acme-2"]),  # id and account name
        ("globex.test", ["globex-1"]),  # email
        ("scorpio", ["globex-1"]),
        ("nobody", []),
    ],
)
async def test_filter_search_matches_id_email_account_or_user_name(
    client: httpx.AsyncClient, consumers: Tenant, search: str, expected: list[str]
) -> None:
    assert await listed(client, consumers, **{"filter[search]": search}) == expected


async def test_filters_combine_and_pages_keep_them(client: httpx.AsyncClient, consumers: Tenant) -> None:
    params = {"filter[consumer_id]": "acme", "filter[search]": "acme", "limit": 1}
    first = await client.get("/vault/consumers", headers=consumers.headers(None), params=params)
    body = first.json()
    assert [c["consumer_id"] for c in body["data"]] == ["acme-1"]
    assert "filter%5Bsearch%5D=acme" in body["links"]["next"]
    following = {**params, "cursor": body["meta"]["cursors"]["next"]}
    second = await client.get("/vault/consumers", headers=consumers.headers(None), params=following)
    assert [c["consumer_id"] for c in second.json()["data"]] == ["acme-2"]
    assert second.json()["meta"]["cursors"]["next"] is None
    assert await listed(client, consumers, **{"filter[consumer_id]": "globex", "filter[search]": "acme"}) == []


async def test_filters_never_reach_another_application(
    app: FastAPI, client: httpx.AsyncClient, consumers: Tenant
) -> None:
    del consumers
    other = await create_tenant(app, name="other")
    assert await listed(client, other, **{"filter[search]": "acme"}) == []


async def test_an_overlong_filter_is_a_400(client: httpx.AsyncClient, consumers: Tenant) -> None:
    response = await client.get(
        "/vault/consumers", headers=consumers.headers(None), params={"filter[search]": "x" * 256}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("body", [{"foo": None}, {"foo": 1}, {"metadata": None, "foo": None}])
async def test_patch_consumer_refuses_unknown_keys_even_when_null(
    client: httpx.AsyncClient, consumers: Tenant, body: dict[str, Any]
) -> None:
    response = await client.patch("/vault/consumers/acme-1", headers=consumers.headers(None), json=body)
    assert response.status_code == 400
    assert response.json()["message"] == "Unknown key 'foo'"


async def test_a_null_theme_on_a_session_means_no_theme(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post("/vault/sessions", headers=tenant.headers("themeless"), json={"theme": None})
    assert response.status_code == 200, response.text


STATS = "/vault/consumers/{}/stats"
RANGE = {"start_datetime": "2000-01-01T00:00:00.000Z", "end_datetime": "2100-01-01T00:00:00Z"}


async def test_stats_count_the_consumers_logged_calls(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant)
    await client.post("/vault/consumers", headers=tenant.headers(None), json={"consumer_id": "counted"})
    for _ in range(3):
        assert (await client.get("/vault/connections", headers=tenant.headers("counted"))).status_code == 200
    await client.get("/vault/connections", headers=tenant.headers("someone-else"))
    await flush_logs(app)
    response = await client.get(STATS.format("counted"), headers=tenant.headers(None), params=RANGE)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status_code": 200,
        "status": "OK",
        "data": {
            "application_id": tenant.application_id,
            "consumer_id": "counted",
            "start_datetime": "2000-01-01T00:00:00.000Z",
            "end_datetime": "2100-01-01T00:00:00.000Z",
            "aggregated_request_count": 3,
            "request_counts": {"unify": 0, "proxy": 0, "vault": 3},
        },
    }


async def test_stats_only_count_inside_the_range(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant)
    await client.post("/vault/consumers", headers=tenant.headers(None), json={"consumer_id": "counted"})
    await client.get("/vault/connections", headers=tenant.headers("counted"))
    await flush_logs(app)
    past = {"start_datetime": "2000-01-01T00:00:00Z", "end_datetime": "2000-01-02T00:00:00"}
    response = await client.get(STATS.format("counted"), headers=tenant.headers(None), params=past)
    assert response.status_code == 200
    assert response.json()["data"]["aggregated_request_count"] == 0


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"start_datetime": "yesterday", "end_datetime": "2100-01-01T00:00:00Z"}, 400),
        ({"start_datetime": "2100-01-01T00:00:00Z", "end_datetime": "2000-01-01T00:00:00Z"}, 400),
        ({"start_datetime": "2000-01-01T00:00:00Z"}, 400),
        ({"start_datetime": "9999-12-31T23:59:59+00:00", "end_datetime": "9999-12-31T23:59:59-14:00"}, 400),
    ],
)
async def test_stats_refuse_bad_ranges(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, params: dict[str, str], status: int
) -> None:
    await client.post("/vault/consumers", headers=tenant.headers(None), json={"consumer_id": "counted"})
    response = await client.get(STATS.format("counted"), headers=tenant.headers(None), params=params)
    assert response.status_code == status, response.text


async def test_stats_of_an_unknown_consumer_is_a_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(STATS.format("nobody"), headers=tenant.headers(None), params=RANGE)
    assert response.status_code == 404


async def test_stats_of_another_applications_consumer_is_a_404(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await client.post("/vault/sessions", headers=tenant.headers("mine"))
    other = await create_tenant(app, name="other")
    response = await client.get(STATS.format("mine"), headers=other.headers(None), params=RANGE)
    assert response.status_code == 404


async def test_stats_need_the_api_key(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await client.post("/vault/sessions", headers=tenant.headers("mine"))
    response = await client.get(STATS.format("mine"), headers={"x-apideck-app-id": tenant.application_id}, params=RANGE)
    assert response.status_code == 401


async def test_a_consumer_named_with_a_slash_still_reads(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await client.post("/vault/consumers", headers=tenant.headers(None), json={"consumer_id": "team/a"})
    assert (await client.get("/vault/consumers/team%2Fa", headers=tenant.headers(None))).status_code == 200
    response = await client.get(STATS.format("team%2Fa"), headers=tenant.headers(None), params=RANGE)
    assert response.status_code == 200 and response.json()["data"]["consumer_id"] == "team/a"
