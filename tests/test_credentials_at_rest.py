"""Credentials at rest: no plaintext in any file of the data directory (or in a pg_dump), and
a master-key rotation re-wraps every sealed value so the old key can be dropped."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.support.connections import offer
from tests.support.tenants import Tenant
from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.crypto.master_key import generate_master_key_text, read_key_file_texts, uses_key_file
from vaultline.crypto.rewrap_all import SEALED_COLUMNS, count_not_under_current, rewrap_all
from vaultline.db.schema import metadata
from vaultline.runtime import Runtime
from vaultline.store.integrations import set_oauth_client

API_KEY_SECRET = "bamboo-SECRET-4f9a2c7e1d"
OAUTH_SECRET = "oauth-client-SECRET-88a1b2"
MARKER_CONSUMER = "plaintext-marker-consumer"


async def store_secrets(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant)
    body = {"enabled": True, "settings": {"subdomain": "acme", "api_key": API_KEY_SECRET}}
    response = await client.patch(
        "/vault/connections/hris/bamboohr", headers=tenant.headers(MARKER_CONSUMER), json=body
    )
    assert response.status_code == 200 and response.json()["data"]["state"] == "callable"
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_oauth_client(
            connection,
            application_id=tenant.application_id,
            service_id="hubspot",
            client_id="hubspot-client",
            client_secret=OAUTH_SECRET,
            ring=runtime.master_keys,
        )


def dump_database(settings: Settings) -> bytes:
    """Every byte the database holds: the SQLite files (db, WAL, SHM) or a real pg_dump."""
    if settings.backend == "sqlite":
        return b"".join(path.read_bytes() for path in sorted(settings.data_dir.iterdir()) if path.is_file())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    assert settings.database_url is not None
    return subprocess.run([pg_dump, settings.database_url], capture_output=True, check=True, timeout=60).stdout


async def test_no_file_in_the_data_directory_holds_a_credential_in_plaintext(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    await store_secrets(app, client, tenant)
    dumped = dump_database(settings)
    assert MARKER_CONSUMER.encode() in dumped  # the search does see what is stored in plaintext
    for secret in (API_KEY_SECRET, OAUTH_SECRET, tenant.api_key):
        assert secret.encode() not in dumped
    if settings.backend == "sqlite":  # and nothing else in the data dir, recursively
        for path in settings.data_dir.rglob("*"):
            if path.is_file():
                assert API_KEY_SECRET.encode() not in path.read_bytes(), path


def test_every_sealed_column_is_rotated() -> None:
    sealed = {(t.name, c.name) for t in metadata.tables.values() for c in t.columns if c.name.endswith("_sealed")}
    assert sealed == {(table.name, name) for table, name in SEALED_COLUMNS}


async def test_rotate_master_rewraps_everything_and_the_old_key_can_be_dropped(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    await store_secrets(app, client, tenant)
    old = ",".join(read_key_file_texts(settings.data_dir)) if uses_key_file(settings) else settings.master_key
    old_text = old.get_secret_value() if isinstance(old, SecretStr) else str(old)
    new_text = generate_master_key_text()

    both = settings.model_copy(update={"master_key": SecretStr(f"{new_text},{old_text}")})
    runtime = await Runtime.open(both, background=False)
    try:
        assert await count_not_under_current(runtime.engine, runtime.master_keys) > 0
        report = await rewrap_all(runtime.engine, runtime.master_keys, batch_size=2)  # several batches
        assert report.rewrapped["connections.settings_sealed"] == 1 and report.total >= 4
        assert await count_not_under_current(runtime.engine, runtime.master_keys) == 0
    finally:
        await runtime.close()

    only_new = settings.model_copy(update={"master_key": SecretStr(new_text)})
    rotated = create_app(only_new)
    async with rotated.router.lifespan_context(rotated):
        transport = httpx.ASGITransport(app=rotated)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as new_client:
            credentials = await new_client.get(
                "/vault/connections/hris/bamboohr/credentials", headers=tenant.headers(MARKER_CONSUMER)
            )
            assert credentials.status_code == 200
            assert credentials.json()["data"]["settings"]["api_key"] == API_KEY_SECRET
            assert (await new_client.post("/vault/sessions", headers=tenant.headers())).status_code == 200
