"""The SDK reads a connection's health and its timestamps from the real server verifying
credentials with a provider stand-in on loopback (a few lines of ``http.server``)."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from conftest import IN_PROCESS_URL, Tenant
from vaultline.app import create_app
from vaultline.catalog.loader import builtin_definitions
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.api_keys import add_api_key
from vaultline.store.applications import create_application
from vaultline.store.integrations import set_integrations_enabled
from vaultline_sdk import AsyncSDK
from vaultline_sdk.models import shared

PIPEDRIVE = ("crm", "pipedrive")
RIGHT, WRONG = "1" * 40, "2" * 40


class _Pipedrive(BaseHTTPRequestHandler):
    """Pipedrive's GET /v1/users/me as documented: 200 for the right api_token, 401 otherwise."""

    timeout = 10

    def do_GET(self) -> None:
        right = f"api_token={RIGHT}" in self.path
        body = {"success": True, "data": {"id": 1}} if right else {"success": False, "error": "unauthorized access"}
        payload = json.dumps(body).encode()
        self.send_response(200 if right else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pipedrive)
    server.daemon_threads, server.block_on_close = True, False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/users/me"
    finally:
        server.shutdown()
        server.server_close()


def _catalog(tmp_path: Path, url: str) -> Path:
    pipedrive = next(d for d in builtin_definitions() if d.service_id == "pipedrive").model_dump(
        mode="json", exclude_none=True
    )
    pipedrive["verification"] = {
        "request": {"url": url, "query": {"api_token": "{api_token}"}},
        "error_message": "error",
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"integrations": [pipedrive]}))
    return path


async def _sdk_for(tmp_path: Path, url: str) -> AsyncIterator[AsyncSDK]:
    settings = Settings(
        data_dir=tmp_path / "data",
        public_url=IN_PROCESS_URL,
        access_log=False,
        catalog_file=_catalog(tmp_path, url),
        verify_credentials=True,
        allow_private_webhooks=True,
        verification_timeout_seconds=2,
    )
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        async with runtime.engine.begin() as connection:
            app = await create_application(connection, name="Health", redirect_origins=(), embed_origins=())
            api_key = await add_api_key(connection, application_id=app.id, hash_key=runtime.api_key_hash_key)
            await set_integrations_enabled(connection, application_id=app.id, service_ids=["pipedrive"], enabled=True)
        tenant = Tenant(server_url=IN_PROCESS_URL, application_id=app.id, api_key=api_key)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application)) as http:
            yield AsyncSDK(
                server_url=tenant.server_url, api_key=tenant.api_key, app_id=tenant.application_id, http_client=http
            )


async def test_refused_and_accepted_credentials_read_as_health(tmp_path: Path, provider: str) -> None:
    async for sdk in _sdk_for(tmp_path, provider):
        refused = await sdk.connections.update("acme", *PIPEDRIVE, enabled=True, settings={"api_token": WRONG})
        assert refused.state == shared.ConnectionState.INVALID
        assert refused.health == shared.ConnectionHealth.NEEDS_AUTH
        assert refused.health_reason == "Pipedrive refused the credentials: unauthorized access"
        accepted = await sdk.connections.update("acme", *PIPEDRIVE, settings={"api_token": RIGHT})
        assert accepted.health == shared.ConnectionHealth.OK and accepted.verified_at
        assert (accepted.last_downstream_error_at, accepted.credentials_expire_at) == (0, 0)
        validation = await sdk.connections.validate("acme", *PIPEDRIVE)
        assert validation.health == shared.ConnectionHealth.OK and validation.problems == []


async def test_an_unreachable_provider_reads_as_degraded(tmp_path: Path) -> None:
    nothing_listens = "http://127.0.0.1:9/v1/users/me"  # the discard port, closed on loopback
    async for sdk in _sdk_for(tmp_path, nothing_listens):
        degraded = await sdk.connections.update("acme", *PIPEDRIVE, enabled=True, settings={"api_token": RIGHT})
        assert degraded.state == shared.ConnectionState.CALLABLE
        assert degraded.health == shared.ConnectionHealth.DEGRADED
        assert degraded.last_downstream_error_at and degraded.last_downstream_error_at > 0
        assert degraded.health_reason == "Pipedrive could not be reached: could not connect"
