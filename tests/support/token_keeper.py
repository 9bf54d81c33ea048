"""Helpers for the token keeper's tests: the app's keeper, a connection's row as stored, and
tokens made to look issued long ago (scheduled by the real policy, as the store would)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from tests.support.oidc import SERVICE_ID
from tests.support.tenants import Tenant
from vaultline.clock import now_ms
from vaultline.connections.token_schedule import next_refresh_at
from vaultline.oauth.token_keeper import TokenKeeper
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord, get_connection, set_oauth_credentials


def keeper_of(app: FastAPI) -> TokenKeeper:
    keeper: TokenKeeper | None = app.state.token_keeper
    if keeper is None:
        raise AssertionError("the app runs no token keeper (VAULTLINE_TOKEN_REFRESH_WORKER=false?)")
    return keeper


async def after_first_pass(app: FastAPI) -> TokenKeeper:
    """The keeper once its start-up pass is over, so a test's own passes are the only ones."""
    keeper = keeper_of(app)
    for _ in range(1000):
        if keeper.passes >= 1:
            return keeper
        await asyncio.sleep(0.01)
    raise AssertionError("the token keeper never finished its first pass")


async def connection_row(app: FastAPI, tenant: Tenant, consumer_id: str = "c1") -> ConnectionRecord:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        record = await get_connection(
            connection, application_id=tenant.application_id, consumer_id=consumer_id, unified_api="crm",
            service_id=SERVICE_ID, ring=runtime.master_keys,
        )  # fmt: skip
    if record is None:
        raise AssertionError("no connection")
    return record


async def age_tokens(
    app: FastAPI, tenant: Tenant, *, seconds_left: int, lifetime: int = 300, consumer_id: str = "c1"
) -> dict[str, Any]:
    """Make the stored tokens look issued ``lifetime - seconds_left`` seconds ago (the provider's
    own TTL is 5 minutes) and schedule them as the store does; returns the tokens as they were."""
    runtime: Runtime = app.state.runtime
    definition = runtime.catalog.find(unified_api="crm", service_id=SERVICE_ID)
    assert definition is not None
    now = now_ms()
    async with runtime.engine.begin() as connection:
        record = await get_connection(
            connection, application_id=tenant.application_id, consumer_id=consumer_id, unified_api="crm",
            service_id=SERVICE_ID, ring=runtime.master_keys, for_update=True,
        )  # fmt: skip
        assert record is not None and record.oauth_credentials is not None
        credentials = {**record.oauth_credentials, "expires_at": now + seconds_left * 1000}
        due = next_refresh_at(
            definition, credentials, runtime.settings, stored_at=now - (lifetime - seconds_left) * 1000
        )
        assert due is not None and due <= now, "these tokens should be due for the keeper"
        await set_oauth_credentials(
            connection, record=record, credentials=credentials, ring=runtime.master_keys, refresh_due_at=due
        )
    return credentials
