"""Fixtures: the real Vaultline server, over a real socket (a ``vaultline serve`` process) and
in-process (``httpx.ASGITransport``). The SDK package never imports the server; these tests do,
only to run it."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.api_keys import add_api_key
from vaultline.store.applications import create_application
from vaultline.store.integrations import set_integrations_enabled
from vaultline_sdk import SDK, AsyncSDK

IN_PROCESS_URL = "http://vault.test"
_VAULTLINE = Path(sys.executable).parent / "vaultline"


@dataclass(frozen=True)
class Tenant:
    """A server and an application on it, as a SaaS engineer has after ``vaultline apps create``."""

    server_url: str
    application_id: str
    api_key: str
    cli_environment: Mapping[str, str] = field(default_factory=dict, repr=False)
    """For ``vaultline`` commands against this server (empty in-process)."""


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own VAULTLINE_* settings must not leak into what the tests prove.
    for name in ("VAULTLINE_API_KEY", "VAULTLINE_APP_ID", "VAULTLINE_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)


def _free_port() -> int:
    # Under pytest-xdist, each worker draws from its own range below the ephemeral ports (as the
    # server's tests/support/live_server.py does): workers never race for one port.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port
    low = 32_000 - (int(worker.removeprefix("gw")) + 1) * 200
    for candidate in random.sample(range(low, low + 200), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    raise RuntimeError(f"no free port in {low}-{low + 199} for xdist worker {worker}")


def _server_environment(data_dir: Path, public_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("VAULTLINE_")}
    env.update(VAULTLINE_DATA_DIR=str(data_dir), VAULTLINE_PUBLIC_URL=public_url, VAULTLINE_ACCESS_LOG="false")
    # The SDK tests' made-up keys must never go to a real provider (tests/conftest.py says why).
    env["VAULTLINE_VERIFY_CREDENTIALS"] = "false"
    return env


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vaultline serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"vaultline serve did not become ready:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenant]:
    """``vaultline serve`` on a free loopback port, and an application created with the CLI."""
    workdir = tmp_path_factory.mktemp("live-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_environment(workdir / "data", url)
    log = workdir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(_VAULTLINE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(url, process, log)
        created = subprocess.run(
            [str(_VAULTLINE), "apps", "create", "--name", "SDK tests", "--json"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        app = json.loads(created.stdout)
        yield Tenant(server_url=url, application_id=app["application_id"], api_key=app["api_key"], cli_environment=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_offering_tenant(live_tenant: Tenant) -> Tenant:
    """The live application offering every catalog integration, enabled as an operator does."""
    subprocess.run(
        [str(_VAULTLINE), "integrations", "enable", "--app", live_tenant.application_id, "--all"],
        env=dict(live_tenant.cli_environment),
        check=True,
        capture_output=True,
        timeout=60,
    )
    return live_tenant


@pytest.fixture
def sdk(live_tenant: Tenant) -> Iterator[SDK]:
    with SDK(
        server_url=live_tenant.server_url, api_key=live_tenant.api_key, app_id=live_tenant.application_id
    ) as client:
        yield client


@pytest.fixture
async def live_async_sdk(live_tenant: Tenant) -> AsyncIterator[AsyncSDK]:
    async with AsyncSDK(
        server_url=live_tenant.server_url, api_key=live_tenant.api_key, app_id=live_tenant.application_id
    ) as client:
        yield client


@pytest.fixture
async def server_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(
        Settings(data_dir=tmp_path / "data", public_url=IN_PROCESS_URL, access_log=False, verify_credentials=False)
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def asgi_tenant(server_app: FastAPI) -> Tenant:
    runtime: Runtime = server_app.state.runtime
    async with runtime.engine.begin() as connection:
        application = await create_application(connection, name="SDK tests", redirect_origins=(), embed_origins=())
        api_key = await add_api_key(connection, application_id=application.id, hash_key=runtime.api_key_hash_key)
    return Tenant(server_url=IN_PROCESS_URL, application_id=application.id, api_key=api_key)


@pytest.fixture
async def async_sdk(server_app: FastAPI, asgi_tenant: Tenant) -> AsyncIterator[AsyncSDK]:
    """The async client on the in-process server (the app, its lifespan and SQLite all real)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server_app)) as http:
        yield AsyncSDK(
            server_url=asgi_tenant.server_url,
            api_key=asgi_tenant.api_key,
            app_id=asgi_tenant.application_id,
            http_client=http,
        )


@pytest.fixture
async def offer_every_integration(server_app: FastAPI, asgi_tenant: Tenant) -> None:
    """The in-process application offers the whole catalog (what ``integrations enable --all`` does)."""
    runtime: Runtime = server_app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_integrations_enabled(
            connection,
            application_id=asgi_tenant.application_id,
            service_ids=[definition.service_id for definition in runtime.catalog],
            enabled=True,
        )
