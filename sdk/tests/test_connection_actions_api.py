"""``sdk.connections.add`` / ``imports`` / ``token`` against the real server: in-process (async,
with a client-credentials token endpoint on loopback) and over a socket (sync)."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI

from conftest import IN_PROCESS_URL, Tenant
from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.api_keys import add_api_key
from vaultline.store.applications import create_application
from vaultline.store.integrations import set_integrations_enabled
from vaultline_sdk import SDK, AsyncSDK, PermissionDeniedError, UnprocessableEntityError

CONSUMER = "acme"
PIPEDRIVE = ("crm", "pipedrive")
HUBSPOT = ("crm", "hubspot")
GRANT = ("hris", "loopback-client-credentials")
PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"
CLIENT = ("consumer-client", "consumer-client-secret")
ISSUED = "stand-in-access-token"


@pytest.fixture
def token_endpoint() -> Iterator[str]:
    """A client_credentials token endpoint (RFC 6749 §4.4) answering one fixed token."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return

        def do_POST(self) -> None:
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
            good = (
                form.get("grant_type") == "client_credentials"
                and (form.get("client_id"), form.get("client_secret")) == CLIENT
            )
            body = {"access_token": ISSUED, "token_type": "Bearer", "expires_in": 3600} if good else {
                "error": "invalid_client"
            }  # fmt: skip
            payload = json.dumps(body).encode()
            self.send_response(200 if good else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
async def grant_sdk(tmp_path: Path, token_endpoint: str) -> AsyncIterator[tuple[AsyncSDK, Tenant]]:
    definition = {
        "service_id": GRANT[1], "name": "Loopback client credentials", "unified_api": "hris", "auth_type": "oauth2",
        "form_fields": [{"id": "client_id", "label": "Client ID"},
                        {"id": "client_secret", "label": "Client secret", "type": "password", "sensitive": True}],
        "oauth": {"grant_type": "client_credentials", "token_url": token_endpoint},
    }  # fmt: skip
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"integrations": [definition]}))
    settings = Settings(
        data_dir=tmp_path / "data", public_url=IN_PROCESS_URL, access_log=False,
        catalog_file=catalog, allow_private_webhooks=True,
    )  # fmt: skip
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        async with runtime.engine.begin() as connection:
            app_row = await create_application(connection, name="SDK grants", redirect_origins=(), embed_origins=())
            api_key = await add_api_key(connection, application_id=app_row.id, hash_key=runtime.api_key_hash_key)
            service_ids = [d.service_id for d in runtime.catalog]
            await set_integrations_enabled(connection, application_id=app_row.id, service_ids=service_ids, enabled=True)
        tenant = Tenant(server_url=IN_PROCESS_URL, application_id=app_row.id, api_key=api_key)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application)) as http:
            yield AsyncSDK(server_url=IN_PROCESS_URL, api_key=api_key, app_id=app_row.id, http_client=http), tenant


@pytest.mark.usefixtures("offer_every_integration")
async def test_add_and_import_in_process(async_sdk: AsyncSDK) -> None:
    connections = async_sdk.connections
    added = await connections.add(CONSUMER, *PIPEDRIVE, settings={"api_token": PIPEDRIVE_TOKEN})
    assert added.state == "callable" and added.settings == {"api_token": "********"}
    with pytest.raises(UnprocessableEntityError):
        await connections.add(CONSUMER, *PIPEDRIVE, enabled=True)

    tokens = {"access_token": "imported-access", "refresh_token": "imported-refresh",
              "issued_at": "2030-01-01T00:00:00Z", "expires_in": 3600}  # fmt: skip
    imported = await connections.imports(CONSUMER, *HUBSPOT, credentials=tokens, metadata={"from": "legacy"})
    assert imported.state == "callable" and imported.metadata == {"from": "legacy"}
    assert "imported-access" not in imported.model_dump_json()
    credentials = await connections.credentials(CONSUMER, *HUBSPOT)
    assert credentials.credentials is not None and credentials.credentials["access_token"] == "imported-access"


@pytest.mark.usefixtures("offer_every_integration")
async def test_import_with_a_session_token_is_refused(async_sdk: AsyncSDK, server_app: FastAPI) -> None:
    session = await async_sdk.sessions.create(CONSUMER)
    transport = httpx.ASGITransport(app=server_app)
    async with httpx.AsyncClient(transport=transport) as http:
        as_consumer = AsyncSDK(server_url=IN_PROCESS_URL, session_token=session.session_token, http_client=http)
        with pytest.raises(PermissionDeniedError):
            await as_consumer.connections.imports(CONSUMER, *PIPEDRIVE, settings={"api_token": PIPEDRIVE_TOKEN})


async def test_token_trades_stored_client_credentials(grant_sdk: tuple[AsyncSDK, Tenant]) -> None:
    sdk, _ = grant_sdk
    await sdk.connections.add(CONSUMER, *GRANT, settings={"client_id": CLIENT[0], "client_secret": "wrong"})
    with pytest.raises(UnprocessableEntityError) as refused:
        await sdk.connections.token(CONSUMER, *GRANT)
    assert refused.value.body is not None and refused.value.body.detail == {"provider_error": "invalid_client"}
    await sdk.connections.update(CONSUMER, *GRANT, settings={"client_secret": CLIENT[1]})
    connected = await sdk.connections.token(CONSUMER, *GRANT)
    assert connected.state == "callable" and connected.oauth_grant_type == "client_credentials"
    assert ISSUED not in connected.model_dump_json()
    credentials = await sdk.connections.credentials(CONSUMER, *GRANT)
    assert credentials.credentials is not None and credentials.credentials["access_token"] == ISSUED


@pytest.mark.usefixtures("live_offering_tenant")
def test_connection_actions_over_a_socket(sdk: SDK) -> None:
    consumer = "socket-actions"
    added = sdk.connections.add(consumer, *PIPEDRIVE, settings={"api_token": PIPEDRIVE_TOKEN})
    assert added.state == "callable"
    imported = sdk.connections.imports(consumer, *HUBSPOT, credentials={"access_token": "socket-access"})
    assert imported.state == "callable"
    with pytest.raises(UnprocessableEntityError):  # Pipedrive's token is an API key, not a grant
        sdk.connections.token(consumer, *PIPEDRIVE)
