"""GET /metrics in-process: who may read it, route templates as labels, the database figures."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.support.connections import offer
from tests.support.metrics import METRICS_TOKEN, parse_exposition, sample
from tests.support.tenants import Tenant, create_tenant
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.db.schema import webhook_events
from vaultline.runtime import Runtime

BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
FRESHSALES = "/vault/connections/crm/freshsales"


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    return parse_exposition(response.text)


async def test_metrics_do_not_exist_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 404 and response.json()["type_name"] == "EntityNotFoundError"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789abcdef", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", "Bearer "],
)
async def test_metrics_refuse_a_missing_or_wrong_bearer(
    metrics_client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await metrics_client.get("/metrics", headers=headers)
    assert response.status_code == 401 and response.json()["status_code"] == 401
    assert "vaultline_" not in response.text


def test_a_short_metrics_token_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        Settings(metrics_token=SecretStr("short"))
    assert Settings(metrics_token=SecretStr("")).metrics_token is None  # empty: off


async def test_routes_are_labelled_by_template_never_by_path(
    metrics_app: FastAPI, metrics_client: httpx.AsyncClient
) -> None:
    tenant = await create_tenant(metrics_app, name="Labels")
    secret_looking_token = "eyJhbGciOiJFUzI1NiJ9.secret-session-token.sig"
    await metrics_client.get(f"/session/{secret_looking_token}")
    await metrics_client.get("/vault/connections/crm/pipedrive", headers=tenant.headers())
    await metrics_client.get("/no-such-path-c0ffee")
    response = await metrics_client.get("/metrics", headers=BEARER)
    samples = parse_exposition(response.text)

    routes = {dict(labels).get("route") for name, labels in samples if name == "vaultline_http_requests_total"}
    assert {"/session/{token}", "/vault/connections/{unified_api}/{service_id}", "unmatched"} <= routes
    assert secret_looking_token not in response.text and "secret-session-token" not in response.text
    assert "c0ffee" not in response.text and "pipedrive" not in response.text
    assert tenant.api_key not in response.text and tenant.application_id not in response.text


async def test_validation_outcomes_and_connection_health_are_counted(
    metrics_app: FastAPI, metrics_client: httpx.AsyncClient
) -> None:
    tenant = await create_tenant(metrics_app, name="Validations")
    await offer(metrics_app, tenant)
    backend = tenant.headers("metrics-consumer")
    before = await scrape(metrics_client)  # counters are per process: compare with before
    body = {"enabled": True, "settings": {"api_key": "fs-key-0123456789abcdef", "domain": "not a domain!"}}
    assert (await metrics_client.patch(FRESHSALES, headers=backend, json=body)).status_code == 200
    assert (await metrics_client.post(FRESHSALES + "/validate", headers=backend)).status_code == 200
    after = await scrape(metrics_client)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("vaultline_connection_validations_total", outcome="invalid") == 1
    assert moved("vaultline_connection_validations_total", outcome="valid") == 0
    assert sample(after, "vaultline_connections", enabled="true", health="needs_auth") == 1
    assert sample(after, "vaultline_connections", enabled="true", health="unflagged") == 0
    assert (
        moved(
            "vaultline_http_requests_total",
            method="POST",
            route=FRESHSALES.replace("crm/freshsales", "{unified_api}/{service_id}") + "/validate",
            status="200",
        )
        == 1
    )


async def test_outbox_depth_and_oldest_pending_age(metrics_app: FastAPI, metrics_client: httpx.AsyncClient) -> None:
    tenant: Tenant = await create_tenant(metrics_app, name="Outbox")
    assert sample(await scrape(metrics_client), "vaultline_webhook_outbox_pending") == 0
    assert sample(await scrape(metrics_client), "vaultline_webhook_outbox_oldest_pending_age_seconds") == 0
    runtime: Runtime = metrics_app.state.runtime
    an_hour_ago, much_later = now_ms() - 3_600_000, now_ms() + 86_400_000  # not due: the worker leaves them
    async with runtime.engine.begin() as connection:
        for n, created_at in enumerate((an_hour_ago, an_hour_ago + 60_000)):
            await connection.execute(
                webhook_events.insert().values(
                    id=f"evt_metrics_{n}",
                    application_id=tenant.application_id,
                    type="vault.connection.created",
                    payload={},
                    status="pending",
                    created_at=created_at,
                    next_attempt_at=much_later,
                    attempts=0,
                )
            )
    samples = await scrape(metrics_client)
    assert sample(samples, "vaultline_webhook_outbox_pending") == 2
    assert 3600 <= sample(samples, "vaultline_webhook_outbox_oldest_pending_age_seconds") < 2 * 3600
