"""Credentials verified with the provider: a stand-in for Pipedrive on loopback, pointed at
through a catalog file, refuses a wrong token, accepts the right one, and going down leaves a
connection callable but degraded until the background verifier finds it back."""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import offer
from tests.support.consumer_logs import read_logs
from tests.support.hosted import mint
from tests.support.oauth import client_for, running_app
from tests.support.provider_standin import (
    GOOD_TOKEN,
    WRONG_TOKEN,
    PipedriveStandIn,
    pipedrive_definition,
    pipedrive_standin,
    standin_verification,
    write_catalog_file,
)
from tests.support.tenants import Tenant, create_tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.config import Settings
from vaultline.connections.reverification import verify_due
from vaultline.runtime import Runtime

PIPEDRIVE = "/vault/connections/crm/pipedrive"
# Quick retries so a recovery shows within a test's few seconds.
QUICK = {
    "allow_private_webhooks": True,
    "verify_credentials": True,
    "verification_timeout_seconds": 1.0,
    "verification_retry_base_seconds": 0.2,
    "verification_retry_max_seconds": 0.5,
    "verification_poll_seconds": 0.1,
}


@pytest.fixture
def standin() -> Iterator[PipedriveStandIn]:
    with pipedrive_standin() as server:
        yield server


def verifying_settings(settings: Settings, tmp_path: Path, standin: PipedriveStandIn, **overrides: Any) -> Settings:
    catalog = write_catalog_file(tmp_path / "catalog.json", pipedrive_definition(standin_verification(standin.url)))
    return settings.model_copy(update={**QUICK, "catalog_file": catalog, **overrides})


class Vault:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
        self.app, self.client, self.tenant = app, client, tenant

    async def patch(self, body: dict[str, Any], consumer: str = "alice") -> dict[str, Any]:
        response = await self.client.patch(PIPEDRIVE, headers=self.tenant.headers(consumer), json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    async def read(self, consumer: str = "alice") -> dict[str, Any]:
        response = await self.client.get(PIPEDRIVE, headers=self.tenant.headers(consumer))
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    async def event_types(self) -> list[str]:
        return [event["type"] for event in await outbox(self.app, self.tenant.application_id)]

    async def wait_for(self, predicate: Any, *, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = await self.read()
            if predicate(data):
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"the connection did not get there in {timeout} s: {data}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def open_vault(settings: Settings) -> AsyncIterator[Vault]:
    async with running_app(settings) as app, client_for(app) as client:
        tenant = await create_tenant(app, name="Verifying SaaS")
        await offer(app, tenant, ["pipedrive"])
        await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/unused")  # events: read the outbox
        yield Vault(app, client, tenant)


@pytest.fixture
async def vault(settings: Settings, tmp_path: Path, standin: PipedriveStandIn) -> AsyncIterator[Vault]:
    async with open_vault(verifying_settings(settings, tmp_path, standin)) as opened:
        yield opened


async def test_a_wrong_token_is_refused_with_the_providers_message(vault: Vault, standin: PipedriveStandIn) -> None:
    data = await vault.patch({"enabled": True, "settings": {"api_token": WRONG_TOKEN}})
    assert data["state"] == "invalid" and data["health"] == "needs_auth"
    assert data["health_reason"] == "Pipedrive refused the credentials: unauthorized access"
    assert data["verified_at"] is None and data["last_downstream_error_at"] == 0
    [seen] = standin.seen()
    assert seen.method == "GET" and seen.query == {"api_token": [WRONG_TOKEN]}
    assert WRONG_TOKEN not in str(await vault.read())
    assert await vault.event_types() == ["vault.connection.created"]  # never callable


async def test_each_provider_call_is_in_the_consumers_logs_without_the_token(
    vault: Vault, standin: PipedriveStandIn
) -> None:
    await vault.patch({"enabled": True, "settings": {"api_token": WRONG_TOKEN}})
    await vault.patch({"settings": {"api_token": GOOD_TOKEN}})
    logs = await read_logs(vault.app, vault.client, vault.tenant.headers("alice"))
    checks = [entry for entry in logs if entry["operation"]["id"] == "verifyConnectionCredentials"]
    assert [(e["status_code"], e["success"], e["error_message"]) for e in reversed(checks)] == [
        (401, False, "Pipedrive refused the credentials: unauthorized access"),
        (200, True, None),
    ]
    assert {(e["base_url"], e["path"], e["http_method"]) for e in checks} == {
        (f"http://127.0.0.1:{standin.port}", "/v1/users/me", "GET")
    }
    assert checks[0]["service"] == {"id": "pipedrive", "name": "Pipedrive"}
    assert WRONG_TOKEN not in str(logs) and GOOD_TOKEN not in str(logs)


async def test_the_right_token_is_callable_with_health_ok(vault: Vault, standin: PipedriveStandIn) -> None:
    data = await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
    assert data["state"] == "callable" and data["health"] == "ok" and data["health_reason"] is None
    assert data["verified_at"] > 0 and data["last_downstream_error_at"] == 0
    assert data["credentials_expire_at"] == 0 and data["last_refresh_failed_at"] == 0
    assert len(standin.seen()) == 1
    assert await vault.event_types() == ["vault.connection.created", "vault.connection.callable"]
    entity = (await outbox(vault.app, vault.tenant.application_id))[-1]["payload"]["payload"]["entity"]
    assert entity["health"] == "ok" and entity["verified_at"] == data["verified_at"]
    # Saving the same token again asks nobody: nothing the provider judged has changed.
    await vault.patch({"settings": {"api_token": GOOD_TOKEN}})
    assert len(standin.seen()) == 1


async def test_fixing_a_refused_token_makes_it_callable(vault: Vault, standin: PipedriveStandIn) -> None:
    await vault.patch({"enabled": True, "settings": {"api_token": WRONG_TOKEN}})
    data = await vault.patch({"settings": {"api_token": GOOD_TOKEN}})
    assert data["state"] == "callable" and data["health"] == "ok"
    assert (await vault.event_types())[-2:] == ["vault.connection.updated", "vault.connection.callable"]


async def test_a_provider_that_is_down_leaves_the_connection_callable_and_degraded_until_it_is_back(
    vault: Vault, standin: PipedriveStandIn
) -> None:
    standin.stop()
    data = await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
    assert data["state"] == "callable" and data["health"] == "degraded"
    assert data["last_downstream_error_at"] > 0 and data["verified_at"] is None
    assert data["health_reason"].startswith("Pipedrive could not be reached: could not connect")
    assert await vault.event_types() == [
        "vault.connection.created",
        "vault.connection.callable",
        "vault.connection.downstream.degraded",
    ]
    standin.start()
    recovered = await vault.wait_for(lambda d: d["health"] == "ok")
    assert recovered["state"] == "callable" and recovered["last_downstream_error_at"] == 0
    assert recovered["verified_at"] > 0 and len(standin.seen()) >= 1
    assert (await vault.event_types())[-1] == "vault.connection.downstream.recovered"


async def test_a_busy_provider_is_not_a_refusal(vault: Vault, standin: PipedriveStandIn) -> None:
    standin.mode = "busy"
    data = await vault.patch({"enabled": True, "settings": {"api_token": WRONG_TOKEN}})
    assert data["state"] == "callable" and data["health"] == "degraded"
    assert data["health_reason"] == "Pipedrive could not be reached: HTTP 503"
    standin.mode = "normal"  # back, and the token turns out wrong: the background verifier says so
    refused = await vault.wait_for(lambda d: d["state"] == "invalid")
    assert refused["health"] == "needs_auth" and "unauthorized access" in refused["health_reason"]
    types = await vault.event_types()
    assert types[-2:] == ["vault.connection.updated", "vault.connection.downstream.recovered"]


async def test_redirects_are_not_followed(vault: Vault, standin: PipedriveStandIn) -> None:
    standin.mode = "redirect"
    data = await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
    assert data["health"] == "degraded" and "redirect, not followed" in data["health_reason"]
    assert [seen.path for seen in standin.seen()] == ["/v1/users/me"]


async def test_a_provider_that_does_not_answer_in_time_is_degraded(vault: Vault, standin: PipedriveStandIn) -> None:
    standin.mode, standin.stall_seconds = "stall", 3.0  # the timeout is 1 s here
    data = await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
    assert data["state"] == "callable" and data["health"] == "degraded"
    assert data["health_reason"] == "Pipedrive could not be reached: no answer within 1 s"


async def test_credentials_the_provider_echoes_are_stripped_from_its_message(
    vault: Vault, standin: PipedriveStandIn
) -> None:
    standin.mode = "echo"
    data = await vault.patch({"enabled": True, "settings": {"api_token": WRONG_TOKEN}})
    assert data["health_reason"] == "Pipedrive refused the credentials: api_token [redacted] is not valid"
    assert WRONG_TOKEN not in str(data)


async def test_validate_asks_the_provider_again(vault: Vault, standin: PipedriveStandIn) -> None:
    await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
    standin.good_tokens.clear()  # the key was revoked at Pipedrive
    response = await vault.client.post(PIPEDRIVE + "/validate", headers=vault.tenant.headers("alice"))
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "id": "crm+pipedrive",
        "state": "invalid",
        "problems": ["Pipedrive refused the credentials: unauthorized access"],
        "health": "needs_auth",
        "health_reason": "Pipedrive refused the credentials: unauthorized access",
    }
    assert len(standin.seen()) == 2
    assert (await vault.event_types())[-1] == "vault.connection.updated"


async def test_periodic_reverification_finds_a_revoked_key(
    settings: Settings, tmp_path: Path, standin: PipedriveStandIn
) -> None:
    every_few_moments = verifying_settings(settings, tmp_path, standin, reverify_hours=0.3 / 3600)
    async with open_vault(every_few_moments) as vault:
        await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
        standin.good_tokens.clear()
        refused = await vault.wait_for(lambda d: d["state"] == "invalid")
        assert refused["health"] == "needs_auth"


async def test_the_private_address_of_the_standin_is_refused_without_the_flag(
    settings: Settings, tmp_path: Path, standin: PipedriveStandIn
) -> None:
    guarded = verifying_settings(settings, tmp_path, standin, allow_private_webhooks=False)
    async with open_vault(guarded) as vault:
        data = await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
        assert data["state"] == "callable" and data["health"] == "degraded"
        assert "not allowed by this server" in data["health_reason"]
        assert standin.seen() == []


async def test_a_provider_host_that_does_not_resolve_is_named_as_such(
    settings: Settings, tmp_path: Path, standin: PipedriveStandIn
) -> None:
    """Not "not allowed": nothing refused the address, there was none (`.invalid` never resolves, RFC 6761)."""
    nowhere = standin_verification(standin.url.replace("127.0.0.1", "pipedrive.invalid"))
    catalog = write_catalog_file(tmp_path / "nowhere.json", pipedrive_definition(nowhere))
    unresolvable = settings.model_copy(update={**QUICK, "catalog_file": catalog, "allow_private_webhooks": False})
    async with open_vault(unresolvable) as vault:
        data = await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}})
        assert data["state"] == "callable" and data["health"] == "degraded"
        assert data["health_reason"].endswith("the provider's host name does not resolve")
        assert standin.seen() == []
        # The consumer's page says it in their language (the API keeps English).
        token = await mint(vault.client, vault.tenant, {}, "alice")
        opened = await vault.client.get(f"/session/{token}?locale=fr")
        base = "/".join(opened.headers["location"].split("/")[:3])
        page = await vault.client.get(f"{base}/integrations/crm/pipedrive")
        assert page.status_code == 200
        assert "(le nom d’hôte du fournisseur est introuvable)" in html.unescape(page.text)


async def test_without_verification_the_local_checks_decide_as_before(
    settings: Settings, tmp_path: Path, standin: PipedriveStandIn
) -> None:
    switched_off = verifying_settings(settings, tmp_path, standin, verify_credentials=False)
    async with open_vault(switched_off) as vault:
        data = await vault.patch({"enabled": True, "settings": {"api_token": WRONG_TOKEN}})
        assert data["state"] == "callable" and data["health"] == "ok" and data["verified_at"] is None
        assert standin.seen() == []


def test_the_test_suite_never_asks_real_providers(settings: Settings) -> None:
    """tests/conftest.py turns verification off for every server a test starts, unless the test
    turns it on with a stand-in: the suite's made-up keys never leave this machine."""
    assert settings.verify_credentials is False
    assert Settings().verify_credentials is False


async def test_two_instances_ask_the_provider_once_for_a_connection_due(
    settings: Settings, tmp_path: Path, standin: PipedriveStandIn
) -> None:
    # Workers that poll once at start and then sleep: the passes below are driven by the test.
    quiet = verifying_settings(settings, tmp_path, standin, verification_poll_seconds=3600)
    async with open_vault(quiet) as vault:
        standin.mode = "busy"
        assert (await vault.patch({"enabled": True, "settings": {"api_token": GOOD_TOKEN}}))["health"] == "degraded"
        standin.mode = "normal"
        asked_before = len(standin.seen())
        await asyncio.sleep(0.6)  # past the retry's due time (backoff at most 0.5 s here)
        async with running_app(quiet) as other:
            first: Runtime = vault.app.state.runtime
            second: Runtime = other.state.runtime
            # Both may find it due (the second instance's own first pass may, too): one claims it.
            await asyncio.gather(verify_due(first), verify_due(second), verify_due(first), verify_due(second))
            # The claim may be the second instance's own first pass, still writing its verdict:
            # wait for it (bounded) before that instance stops.
            deadline = time.monotonic() + 10
            while (await vault.read())["health"] != "ok" and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        assert len(standin.seen()) == asked_before + 1
        assert (await vault.read())["health"] == "ok"
