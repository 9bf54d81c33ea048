"""``sdk.connection_oauth`` against the real server: ``confirm`` (the second step of the
CSRF-protected OAuth flow) and ``create_callback_state``, async in-process and sync over a
socket. The whole browser flow with a real provider is tests/test_oauth_confirm.py; here the
pending connection is written by the server's own callback writer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

from conftest import Tenant
from vaultline.connections.writes import NewTokens, write_connection_change
from vaultline.oauth.confirmation import new_pending_confirmation
from vaultline.runtime import Runtime
from vaultline.store.connections import ensure_connection, get_connection
from vaultline.store.integrations import set_integrations_enabled, set_oauth_client
from vaultline.store.token_refresh import record_refresh_failure
from vaultline_sdk import SDK, AsyncSDK, BadRequestError, NotFoundError, PermissionDeniedError, UnprocessableEntityError

HUBSPOT = ("crm", "hubspot")
APP_PAGE = "https://app.example/integrations"
_VAULTLINE = Path(sys.executable).parent / "vaultline"


async def offer_hubspot(app: FastAPI, tenant: Tenant) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_integrations_enabled(
            connection, application_id=tenant.application_id, service_ids=["hubspot"], enabled=True
        )
        await set_oauth_client(
            connection, application_id=tenant.application_id, service_id="hubspot",
            client_id="client", client_secret="secret-0123456789", ring=runtime.master_keys,
        )  # fmt: skip


async def pending_connection(app: FastAPI, tenant: Tenant, consumer_id: str) -> str:
    """Tokens stored as the callback stores them after a ``nonce`` flow; the confirm token."""
    runtime: Runtime = app.state.runtime
    definition = runtime.catalog.find(unified_api="crm", service_id="hubspot")
    assert definition is not None
    token, pending = new_pending_confirmation()
    ids = {"application_id": tenant.application_id, "consumer_id": consumer_id, "unified_api": "crm"}
    async with runtime.engine.begin() as connection:
        created = await ensure_connection(connection, **ids, service_id="hubspot")
        before = await get_connection(connection, **ids, service_id="hubspot", ring=runtime.master_keys)
        assert before is not None
        tokens = NewTokens({"access_token": "at-1", "token_type": "Bearer"}, pending_confirmation=pending)
        await write_connection_change(connection, runtime, definition, before, tokens, created=created)
    return token


async def test_confirm_makes_a_pending_connection_callable(
    async_sdk: AsyncSDK, server_app: FastAPI, asgi_tenant: Tenant
) -> None:
    await offer_hubspot(server_app, asgi_tenant)
    token = await pending_connection(server_app, asgi_tenant, "acme")
    pending = await async_sdk.connections.get("acme", *HUBSPOT)
    assert (pending.state, pending.health) == ("authorized", "pending_confirmation")
    with pytest.raises(BadRequestError):
        await async_sdk.connection_oauth.confirm("acme", *HUBSPOT, confirm_token="wrong")
    assert await async_sdk.connection_oauth.confirm("acme", *HUBSPOT, confirm_token=token) is True
    confirmed = await async_sdk.connections.get("acme", *HUBSPOT)
    assert (confirmed.state, confirmed.health) == ("callable", "ok")
    with pytest.raises(UnprocessableEntityError):
        await async_sdk.connection_oauth.confirm("acme", *HUBSPOT, confirm_token=token)


async def test_confirm_without_a_connection_is_not_found(
    async_sdk: AsyncSDK, server_app: FastAPI, asgi_tenant: Tenant
) -> None:
    await offer_hubspot(server_app, asgi_tenant)
    with pytest.raises(NotFoundError):
        await async_sdk.connection_oauth.confirm("nobody", *HUBSPOT, confirm_token="x")


async def test_create_callback_state_in_process(async_sdk: AsyncSDK, server_app: FastAPI, asgi_tenant: Tenant) -> None:
    """The SDK's application has no redirect allowlist: a state is refused until one is set
    (``vaultline apps create --redirect-origin``); a session token may never create one."""
    await offer_hubspot(server_app, asgi_tenant)
    with pytest.raises(UnprocessableEntityError):
        await async_sdk.connection_oauth.create_callback_state("acme", *HUBSPOT, redirect_uri=APP_PAGE)
    token = (await async_sdk.sessions.create("acme")).session_token
    consumer = async_sdk.with_options(session_token=token)
    with pytest.raises(PermissionDeniedError):
        await consumer.connection_oauth.create_callback_state("acme", *HUBSPOT, redirect_uri=APP_PAGE)


def _cli(tenant: Tenant, *args: str) -> str:
    result = subprocess.run(
        [str(_VAULTLINE), *args], env=dict(tenant.cli_environment), check=True, capture_output=True, timeout=60,
        text=True,
    )  # fmt: skip
    return result.stdout


def test_callback_state_and_confirm_over_a_socket(live_tenant: Tenant) -> None:
    origin = ["--redirect-origin", "https://app.example"]
    created = json.loads(_cli(live_tenant, "apps", "create", "--name", "OAuth app", *origin, "--json"))
    app_id = created["application_id"]
    _cli(live_tenant, "integrations", "enable", "--app", app_id, "hubspot", "pipedrive")
    _cli(live_tenant, "integrations", "set-oauth", "--app", app_id, "hubspot", "--client-id", "c",
         "--client-secret", "s" * 16)  # fmt: skip
    with SDK(server_url=live_tenant.server_url, api_key=created["api_key"], app_id=app_id) as sdk:
        state = sdk.connection_oauth.create_callback_state("acme", *HUBSPOT, redirect_uri=APP_PAGE)
        assert state.state.count(".") == 2 and state.code_challenge_method == "S256"
        with pytest.raises(UnprocessableEntityError):
            sdk.connection_oauth.create_callback_state("acme", *HUBSPOT, redirect_uri="https://evil.example/")
        sdk.connections.update("acme", "crm", "pipedrive", enabled=True, settings={"api_token": "f" * 40})
        with pytest.raises(UnprocessableEntityError):  # authorized without a nonce: nothing to confirm
            sdk.connection_oauth.confirm("acme", "crm", "pipedrive", confirm_token="x")
        consumer = sdk.with_options(session_token=sdk.sessions.create("acme").session_token)
        with pytest.raises(PermissionDeniedError):
            consumer.connection_oauth.create_callback_state("acme", *HUBSPOT, redirect_uri=APP_PAGE)


async def test_health_pending_refresh_shows_the_retention_window(
    async_sdk: AsyncSDK, server_app: FastAPI, asgi_tenant: Tenant
) -> None:
    """Refreshes that keep failing (recorded as the server's token keeper records them) show as
    ``pending_refresh`` with Apideck's epoch-millisecond fields; a healthy connection has 0s."""
    await offer_hubspot(server_app, asgi_tenant)
    runtime: Runtime = server_app.state.runtime
    definition = runtime.catalog.find(unified_api="crm", service_id="hubspot")
    assert definition is not None
    ids = {"application_id": asgi_tenant.application_id, "consumer_id": "acme", "unified_api": "crm"}
    async with runtime.engine.begin() as connection:
        created = await ensure_connection(connection, **ids, service_id="hubspot")
        before = await get_connection(connection, **ids, service_id="hubspot", ring=runtime.master_keys)
        assert before is not None
        tokens = NewTokens({"access_token": "at-1", "refresh_token": "rt-1", "expires_at": 4_102_444_800_000})
        await write_connection_change(connection, runtime, definition, before, tokens, created=created)
    healthy = await async_sdk.connections.get("acme", *HUBSPOT)
    assert (healthy.health, healthy.credentials_expire_at, healthy.last_refresh_failed_at) == ("ok", 0, 0)
    async with runtime.engine.begin() as connection:
        await record_refresh_failure(
            connection, pk=before.pk, failures=3, failed_at=1_730_000_000_000, retry_at=1_730_000_060_000,
            credentials_expire_at=1_730_604_800_000,
        )  # fmt: skip
    pending = await async_sdk.connections.get("acme", *HUBSPOT)
    assert (pending.state, pending.health) == ("callable", "pending_refresh")
    assert (pending.credentials_expire_at, pending.last_refresh_failed_at) == (1_730_604_800_000, 1_730_000_000_000)
