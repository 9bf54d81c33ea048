"""The token keeper against the real oidc-provider: a token close to expiry is refreshed with no
read (once, however many instances and reads race for it), a refused refresh token goes to
``needs_auth``, repeated failures walk ``pending_refresh`` → ``needs_auth`` (or back with
``recovered``) with the events counted at a webhook receiver, and ``POST …/validate`` forces a
refresh. The loop itself runs once here with a short poll; elsewhere tests call ``run_once``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.live_server import free_port
from tests.support.metrics import refreshes_counted
from tests.support.oauth import (
    CREDENTIALS,
    client_for,
    connect,
    oauth_settings,
    offer_oauth,
    running_app,
    stored_credentials,
)
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, SERVICE_ID, OidcProvider
from tests.support.tenants import Tenant, create_tenant
from tests.support.token_keeper import after_first_pass, age_tokens, connection_row, keeper_of
from tests.support.webhook_receiver import Receiver, webhook_receiver
from tests.support.webhooks import point_webhook
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.connections.health import REVOKED_REASON
from vaultline.runtime import Runtime
from vaultline.store.integrations import set_oauth_client
from vaultline.store.operator_figures import count_connections_by_health
from vaultline.store.token_refresh import claim_due_connection, due_connections

VIEW = f"/vault/connections/crm/{SERVICE_ID}"
REFRESHES = ("grant.success", "refresh_token")
PENDING, FAILED, RECOVERED = (f"vault.connection.token_refresh.{kind}" for kind in ("pending", "failed", "recovered"))


@pytest.fixture
async def oauth_config(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> Settings:
    # The loop's first pass runs at start-up (nothing is due yet); the tests drive the passes.
    return oauth_settings(settings, oidc, tmp_path).model_copy(update={"token_refresh_poll_seconds": 3600.0})


@pytest.fixture
async def app(oauth_config: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_config) as application:
        await after_first_pass(application)
        yield application


@pytest.fixture
async def oauth_tenant(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer_oauth(app, tenant)
    return tenant


@pytest.fixture
def receiver() -> Any:
    with webhook_receiver() as running:
        yield running


async def view(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    response = await client.get(VIEW, headers=tenant.headers("c1"))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def refresh_events(receiver: Receiver) -> list[str]:
    types = [json.loads(r.body)["type"] for r in receiver.requests if r.status == 200]
    return [t for t in types if ".token_refresh." in t]


async def wait_for_refresh_events(receiver: Receiver, count: int) -> list[str]:
    for _ in range(500):
        if len(refresh_events(receiver)) >= count:
            break
        await asyncio.sleep(0.02)
    return refresh_events(receiver)


async def set_client_secret(app: FastAPI, tenant: Tenant, secret: str) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_oauth_client(
            connection, application_id=tenant.application_id, service_id=SERVICE_ID, client_id=CLIENT_ID,
            client_secret=secret, ring=runtime.master_keys,
        )  # fmt: skip


async def test_a_token_close_to_expiry_is_refreshed_with_no_read(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    await connect(client, oauth_tenant)
    keeper = keeper_of(app)
    refreshes = oidc.events(*REFRESHES)
    fresh = await keeper.run_once()  # a token just issued (5 minutes) is not due yet
    assert fresh.due == 0 and oidc.events(*REFRESHES) == refreshes
    old = await age_tokens(app, oauth_tenant, seconds_left=5)
    done = await keeper.run_once()
    assert (done.due, done.refreshed) == (1, 1)
    assert oidc.events_once_printed(*REFRESHES, refreshes + 1) == refreshes + 1
    new = await stored_credentials(app, oauth_tenant)
    assert new is not None and new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]  # rotated by the provider, and kept
    row = await connection_row(app, oauth_tenant)
    assert row.refresh_due_at is not None and row.refresh_due_at < new["expires_at"]  # scheduled again
    assert (await keeper.run_once()).due == 0
    assert oidc.events(*REFRESHES) == refreshes + 1
    data = await view(client, oauth_tenant)
    assert (data["health"], data["credentials_expire_at"], data["last_refresh_failed_at"]) == ("ok", 0, 0)


async def test_the_keeper_and_reads_refresh_once(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    await connect(client, oauth_tenant)
    await age_tokens(app, oauth_tenant, seconds_left=5)
    refreshes = oidc.events(*REFRESHES)
    reads = [client.get(CREDENTIALS, headers=oauth_tenant.headers("c1")) for _ in range(10)]
    passed, *answers = await asyncio.gather(keeper_of(app).run_once(), *reads)
    assert all(answer.status_code == 200 for answer in answers)
    assert len({answer.json()["data"]["credentials"]["access_token"] for answer in answers}) == 1
    assert oidc.events_once_printed(*REFRESHES, refreshes + 1) == refreshes + 1
    # Whoever came first refreshed; the keeper either did it or skipped the row (or, had the reads
    # committed before it listed, found nothing due).
    assert passed.refreshed + passed.skipped == passed.due <= 1


async def test_a_connection_refreshed_since_it_was_listed_is_not_claimed(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    """The listing is not a claim: an instance whose list went stale (another one refreshed the
    connection meanwhile) finds the row no longer due when it locks it."""
    await connect(client, oauth_tenant)
    await age_tokens(app, oauth_tenant, seconds_left=5)
    runtime: Runtime = app.state.runtime
    at = now_ms()
    async with runtime.engine.connect() as connection:
        listed = await due_connections(connection, now=at, limit=10)
    assert len(listed) == 1
    assert (await keeper_of(app).run_once(at_ms=at)).refreshed == 1
    async with runtime.engine.begin() as connection:
        assert await claim_due_connection(connection, pk=listed[0].pk, now=at, ring=runtime.master_keys) is None


@pytest.mark.postgres
async def test_two_instances_refresh_once(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider, oauth_config: Settings
) -> None:
    if oauth_config.backend != "postgresql":
        pytest.skip("several instances share PostgreSQL, not SQLite")
    await connect(client, oauth_tenant)
    async with running_app(oauth_config) as second_app:
        second_keeper = await after_first_pass(second_app)
        await age_tokens(app, oauth_tenant, seconds_left=5)
        refreshes = oidc.events(*REFRESHES)
        first, second = await asyncio.gather(keeper_of(app).run_once(), second_keeper.run_once())
    assert oidc.events_once_printed(*REFRESHES, refreshes + 1) == refreshes + 1
    assert first.refreshed + second.refreshed == 1
    assert first.due + second.due == 2  # both saw it due; one of them took it


async def test_a_refused_refresh_token_needs_auth(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider, receiver: Receiver
) -> None:
    await point_webhook(app, oauth_tenant.application_id, receiver.url)
    await connect(client, oauth_tenant)
    stored = await age_tokens(app, oauth_tenant, seconds_left=5)
    async with httpx.AsyncClient(trust_env=False) as http:  # the consumer revoked access at the provider
        revoked = await http.post(
            f"{oidc.issuer}/token/revocation",
            data={"token": stored["refresh_token"], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
    assert revoked.status_code == 200
    refused = oidc.events("grant.error", "refresh_token invalid_grant")
    done = await keeper_of(app).run_once()
    assert done.needs_auth == 1
    assert oidc.events_once_printed("grant.error", "refresh_token invalid_grant", refused + 1) == refused + 1
    data = await view(client, oauth_tenant)
    assert (data["state"], data["health"]) == ("invalid", "needs_auth")
    assert data["last_refresh_failed_at"] > 0 and data["credentials_expire_at"] == 0
    assert await wait_for_refresh_events(receiver, 1) == [FAILED]
    assert (await keeper_of(app).run_once()).due == 0  # given up on: never tried again


async def fail_until_pending(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, oidc: OidcProvider) -> int:
    """With the application's client secret wrong at the provider, fail three times (each after
    the backoff); returns the time of the third failure."""
    await set_client_secret(app, tenant, "not-the-secret")
    keeper = keeper_of(app)
    refused = oidc.events("grant.error", "refresh_token invalid_client")
    at = (await connection_row(app, tenant)).refresh_due_at
    assert at is not None
    delays = []
    for attempt in (1, 2, 3):
        done = await keeper.run_once(at_ms=at)
        assert done.failed == 1, done
        assert oidc.events_once_printed("grant.error", "refresh_token invalid_client", refused + attempt)
        row = await connection_row(app, tenant)
        assert row.refresh_failures == attempt and row.last_refresh_failed_at == at
        assert row.refresh_due_at is not None and row.refresh_due_at > at
        assert (await keeper.run_once(at_ms=at)).due == 0  # backing off: no retry before its time
        health = (await view(client, tenant))["health"]
        assert health == ("pending_refresh" if attempt == 3 else "ok")
        delays.append(row.refresh_due_at - at)
        last, at = at, row.refresh_due_at
    assert delays[0] < delays[1]  # 60 s ± 25 %, then 120 s ± 25 %: exponential
    assert oidc.events("grant.error", "refresh_token invalid_client") == refused + 3
    return last


async def test_repeated_failures_walk_pending_refresh_then_needs_auth(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider, receiver: Receiver
) -> None:
    await point_webhook(app, oauth_tenant.application_id, receiver.url)
    await connect(client, oauth_tenant)
    await age_tokens(app, oauth_tenant, seconds_left=9 * 60, lifetime=3600)  # due, far from expired
    third = await fail_until_pending(app, client, oauth_tenant, oidc)
    data = await view(client, oauth_tenant)
    assert data["state"] == "callable"  # still usable: its access token has not expired
    retention_ms = app.state.runtime.settings.token_refresh_retention_seconds * 1000
    assert (data["credentials_expire_at"], data["last_refresh_failed_at"]) == (third + retention_ms, third)
    assert await wait_for_refresh_events(receiver, 1) == [PENDING]
    async with app.state.runtime.engine.connect() as connection:  # the operator's gauge (GET /metrics)
        counts = await count_connections_by_health(connection, revoked_reason=REVOKED_REASON)
    assert [(c.health, c.count) for c in counts] == [("pending_refresh", 1)]
    keeper = keeper_of(app)
    assert (await keeper.run_once(at_ms=data["credentials_expire_at"] - 1)).failed == 1  # still in the window
    assert (await view(client, oauth_tenant))["health"] == "pending_refresh"
    done = await keeper.run_once(at_ms=data["credentials_expire_at"])  # the window ends
    assert done.needs_auth == 1
    data = await view(client, oauth_tenant)
    assert (data["state"], data["health"], data["credentials_expire_at"]) == ("invalid", "needs_auth", 0)
    assert await wait_for_refresh_events(receiver, 2) == [PENDING, FAILED]


async def test_a_refresh_that_works_again_recovers(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider, receiver: Receiver
) -> None:
    await point_webhook(app, oauth_tenant.application_id, receiver.url)
    await connect(client, oauth_tenant)
    await age_tokens(app, oauth_tenant, seconds_left=9 * 60, lifetime=3600)
    await fail_until_pending(app, client, oauth_tenant, oidc)
    await set_client_secret(app, oauth_tenant, CLIENT_SECRET)  # the operator fixed the OAuth client
    refreshes = oidc.events(*REFRESHES)
    row = await connection_row(app, oauth_tenant)
    done = await keeper_of(app).run_once(at_ms=row.refresh_due_at)
    assert done.refreshed == 1
    assert oidc.events_once_printed(*REFRESHES, refreshes + 1) == refreshes + 1
    data = await view(client, oauth_tenant)
    assert (data["health"], data["credentials_expire_at"], data["last_refresh_failed_at"]) == ("ok", 0, 0)
    assert await wait_for_refresh_events(receiver, 2) == [PENDING, RECOVERED]
    recovered = [json.loads(r.body) for r in receiver.requests if RECOVERED in r.body.decode()]
    assert recovered[0]["payload"]["entity"]["state"] == "callable"


async def test_validate_forces_a_refresh(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    await connect(client, oauth_tenant)
    before = await stored_credentials(app, oauth_tenant)
    assert before is not None
    refreshes = oidc.events(*REFRESHES)
    response = await client.post(VIEW + "/validate", headers=oauth_tenant.headers("c1"))
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"id": f"crm+{SERVICE_ID}", "state": "callable", "problems": []}
    assert oidc.events_once_printed(*REFRESHES, refreshes + 1) == refreshes + 1  # a fresh token, refreshed anyway
    after = await stored_credentials(app, oauth_tenant)
    assert after is not None and after["access_token"] != before["access_token"]
    assert (await view(client, oauth_tenant))["validation_support"] is True
    async with httpx.AsyncClient(trust_env=False) as http:
        await http.post(
            f"{oidc.issuer}/token/revocation",
            data={"token": after["refresh_token"], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
    refused = await client.post(VIEW + "/validate", headers=oauth_tenant.headers("c1"))
    assert refused.status_code == 200, refused.text
    assert refused.json()["data"]["state"] == "invalid"
    assert "invalid_grant" in refused.json()["data"]["problems"][0]


async def test_the_loop_refreshes_with_no_read_and_stops_cleanly(oauth_config: Settings, oidc: OidcProvider) -> None:
    """The production loop, briefly: a short poll, a due token, no read."""
    quick = oauth_config.model_copy(update={"token_refresh_poll_seconds": 0.05})
    async with running_app(quick) as loop_app, client_for(loop_app) as client:
        tenant = await create_tenant(loop_app, name="Loop SaaS")
        await offer_oauth(loop_app, tenant)
        await connect(client, tenant)
        refreshes = oidc.events(*REFRESHES)
        old = await age_tokens(loop_app, tenant, seconds_left=5)
        for _ in range(1000):  # the keeper works in this event loop: wait without blocking it
            if oidc.events(*REFRESHES) > refreshes:
                break
            await asyncio.sleep(0.02)
        assert oidc.events(*REFRESHES) == refreshes + 1
        for _ in range(500):  # the commit follows the provider's answer
            new = await stored_credentials(loop_app, tenant)
            if new is not None and new["access_token"] != old["access_token"]:
                break
            await asyncio.sleep(0.02)
        assert new is not None and new["access_token"] != old["access_token"]
        keeper = keeper_of(loop_app)
        assert keeper.running
    assert not keeper.running  # stopped with the app
    assert oidc.events(*REFRESHES) == refreshes + 1


async def test_the_keeper_survives_a_provider_that_is_down(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oauth_config: Settings, tmp_path: Path
) -> None:
    """A second instance whose catalog points at a port nobody listens on, its loop polling fast."""
    await connect(client, oauth_tenant)
    await age_tokens(app, oauth_tenant, seconds_left=5)
    nowhere = f"http://127.0.0.1:{free_port()}/token"
    down = oauth_config.model_copy(
        update={
            "catalog_file": catalog_with_token_url(oauth_config, tmp_path, nowhere),
            "token_refresh_poll_seconds": 0.02,
            "token_refresh_retry_max_seconds": 100.0,
        }
    )
    errors = refreshes_counted("error")
    async with running_app(down) as down_app:
        keeper = keeper_of(down_app)
        start = keeper.passes
        for _ in range(1000):
            if keeper.passes >= start + 10:
                break
            await asyncio.sleep(0.01)
        assert keeper.passes >= start + 10 and keeper.running  # the loop goes on…
        assert refreshes_counted("error") == errors + 1  # …without hammering the provider: one try, then backoff
        row = await connection_row(down_app, oauth_tenant)
        assert row.refresh_failures == 1 and row.refresh_due_at is not None
        delays = [row.refresh_due_at - (row.last_refresh_failed_at or 0)]
        for _ in range(3):
            at = row.refresh_due_at
            assert (await keeper.run_once(at_ms=at)).failed == 1
            row = await connection_row(down_app, oauth_tenant)
            assert row.refresh_due_at is not None
            delays.append(row.refresh_due_at - at)
        assert delays[0] < delays[1] and max(delays) <= 100_000  # exponential, capped


def catalog_with_token_url(settings: Settings, tmp_path: Path, token_url: str) -> Path:
    assert settings.catalog_file is not None
    catalog = json.loads(settings.catalog_file.read_text())
    catalog["integrations"][0]["oauth"]["token_url"] = token_url
    path = tmp_path / "catalog-down.json"
    path.write_text(json.dumps(catalog))
    return path


async def test_a_failing_pass_does_not_stop_the_loop(oauth_config: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: the database unreachable for a few passes; the loop logs and goes on."""
    quick = oauth_config.model_copy(update={"token_refresh_poll_seconds": 0.01})
    async with running_app(quick) as loop_app:
        keeper = keeper_of(loop_app)
        real_pass = keeper.run_once
        calls = 0

        async def unreachable_then_fine(*, at_ms: int | None = None) -> Any:
            nonlocal calls
            calls += 1
            if calls <= 3:
                raise OSError("connection refused")
            return await real_pass(at_ms=at_ms)

        monkeypatch.setattr(keeper, "run_once", unreachable_then_fine)
        for _ in range(1000):
            if calls >= 6:
                break
            await asyncio.sleep(0.01)
        assert calls >= 6 and keeper.running
