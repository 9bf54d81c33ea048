"""The in-memory API-key cache: concurrent requests share one database lookup."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from tests.support.tenants import Tenant
from vaultline.api import auth


async def test_concurrent_requests_with_a_stale_key_share_one_lookup(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = 0
    real_load = auth._load_key

    async def counting_load(runtime, key_hash):  # type: ignore[no-untyped-def]
        nonlocal lookups
        lookups += 1
        await asyncio.sleep(0.05)  # a slow database: every request arrives while it runs
        return await real_load(runtime, key_hash)

    monkeypatch.setattr(auth, "_load_key", counting_load)
    responses = await asyncio.gather(*(client.post("/vault/sessions", headers=tenant.headers()) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert lookups == 1


async def test_an_unknown_key_fails_every_waiter(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {**tenant.headers(), "Authorization": "Bearer vl_live_not_a_key"}
    responses = await asyncio.gather(*(client.post("/vault/sessions", headers=headers) for _ in range(5)))
    assert {r.status_code for r in responses} == {401}
