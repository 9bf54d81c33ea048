"""``sdk.connection_consents`` against the real server: async in-process (backend and the
consumer's session token) and sync over a socket, with data scopes set by the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

from conftest import Tenant
from vaultline.runtime import Runtime
from vaultline.store.data_scopes import set_data_scopes
from vaultline_sdk import SDK, AsyncSDK, NotFoundError, UnprocessableEntityError

PIPEDRIVE = ("crm", "pipedrive")
TOKEN = "0123456789abcdef0123456789abcdef01234567"
EMAIL = {"crm.contacts": {"email": {"read": True}}}
_VAULTLINE = Path(sys.executable).parent / "vaultline"


@pytest.mark.usefixtures("offer_every_integration")
async def test_consent_lifecycle_in_process(async_sdk: AsyncSDK, server_app: FastAPI, asgi_tenant: Tenant) -> None:
    runtime: Runtime = server_app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_data_scopes(connection, application_id=asgi_tenant.application_id, enabled=True, resources=EMAIL)
    with pytest.raises(NotFoundError):
        await async_sdk.connection_consents.list("acme", *PIPEDRIVE)
    await async_sdk.connections.update("acme", *PIPEDRIVE, enabled=True, settings={"api_token": TOKEN})
    connection = await async_sdk.connections.get("acme", *PIPEDRIVE)
    assert (connection.health, connection.consent_state) == ("needs_consent", "pending")
    assert connection.application_data_scopes is not None and connection.application_data_scopes.enabled
    with pytest.raises(UnprocessableEntityError):
        await async_sdk.connection_consents.update("acme", *PIPEDRIVE, granted=True, resources={"crm.deals": {}})

    consumer = async_sdk.with_options(session_token=(await async_sdk.sessions.create("acme")).session_token)
    record = await consumer.connection_consents.update("acme", *PIPEDRIVE, granted=True, resources=EMAIL)
    assert record.granted and record.id.startswith("con_")
    assert [r.id for r in await async_sdk.connection_consents.list("acme", *PIPEDRIVE)] == [record.id]
    connection = await async_sdk.connections.get("acme", *PIPEDRIVE)
    assert (connection.health, connection.consent_state) == ("ok", "granted")
    assert connection.latest_consent is not None and connection.latest_consent.id == record.id


def _cli(tenant: Tenant, *args: str) -> str:
    result = subprocess.run(
        [str(_VAULTLINE), *args], env=dict(tenant.cli_environment), check=True, capture_output=True, timeout=60,
        text=True,
    )  # fmt: skip
    return result.stdout


def test_consents_over_a_socket(live_tenant: Tenant) -> None:
    created = json.loads(_cli(live_tenant, "apps", "create", "--name", "Consent app", "--json"))
    app_id = created["application_id"]
    _cli(live_tenant, "integrations", "enable", "--app", app_id, "pipedrive")
    _cli(live_tenant, "apps", "data-scopes", app_id, "--resources", json.dumps(EMAIL))
    with SDK(server_url=live_tenant.server_url, api_key=created["api_key"], app_id=app_id) as sdk:
        sdk.connections.update("acme", *PIPEDRIVE, enabled=True, settings={"api_token": TOKEN})
        assert sdk.connections.get("acme", *PIPEDRIVE).health == "needs_consent"
        granted = sdk.connection_consents.update("acme", *PIPEDRIVE, granted=True, resources="*")
        withdrawn = sdk.connection_consents.update("acme", *PIPEDRIVE, granted=False, resources="*")
        assert [r.granted for r in sdk.connection_consents.list("acme", *PIPEDRIVE)] == [True, False]
        assert granted.id != withdrawn.id
        connection = sdk.connections.get("acme", *PIPEDRIVE)
        assert (connection.health, connection.consent_state) == ("needs_consent", "revoked")
