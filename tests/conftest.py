"""Fixtures: the real app on real SQLite and real PostgreSQL, in-process and over a socket.

Every test that takes ``settings`` (directly or through ``app``/``client``/``tenant``) runs
once per backend. Without PostgreSQL those runs skip locally, but fail under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.live_server import free_port
from tests.support.metrics import METRICS_TOKEN
from tests.support.oidc import OidcProvider, oidc_provider
from tests.support.postgres import PostgresDatabase, postgres_database
from tests.support.tenants import Tenant, create_tenant
from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.db.engine import create_engine, migrate

# Provider APIs cannot be reached from tests, and no test may try: every server these tests
# start (in-process Settings() read this; `vaultline serve` subprocesses get it through
# tests/support/live_server.env_for) verifies credentials with the provider only when a test
# says so, with a catalog file pointing the verification at a stand-in on loopback
# (tests/test_credential_verification.py). Without this, built-in catalog entries with a
# verification block would send the suite's made-up keys to the real providers.
os.environ["VAULTLINE_VERIFY_CREDENTIALS"] = "false"

TEST_REDIS_URL = os.environ.get("VAULTLINE_TEST_REDIS", "redis://127.0.0.1:6379/0")
TEST_MASTER_KEY = "uQ0Yp1fH1iS6yMb9oE0d9k6x1z4b7c2e5a8d3f6g9h0"
PUBLIC_URL = "http://vault.test"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PostgresDatabase | None]:
    with postgres_database() as database:
        yield database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once; each test starts from a copy (migrating per test costs ~0.1 s)."""
    data_dir = tmp_path_factory.mktemp("sqlite-template")
    asyncio.run(_migrate_and_dispose(create_engine(Settings(data_dir=data_dir))))
    return data_dir / "vaultline.db"


async def _migrate_and_dispose(engine: AsyncEngine) -> None:
    await migrate(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server tests share state through (mark such tests ``redis``). Tests must use keys
    no other run uses: other test runs may share this server."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {TEST_REDIS_URL}, and CI=true requires the Redis runs")
        pytest.skip(f"Redis not reachable at {TEST_REDIS_URL} (set CI=true to make this a failure)")
    finally:
        client.close()
    return TEST_REDIS_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database: PostgresDatabase | None, sqlite_template: Path
) -> Iterator[Settings]:
    if request.param == "sqlite":
        data_dir = tmp_path / "data"
        data_dir.mkdir(mode=0o700)
        shutil.copyfile(sqlite_template, data_dir / "vaultline.db")
        yield Settings(data_dir=data_dir, public_url=PUBLIC_URL, access_log=False)
        return
    if pg_database is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432, and CI=true requires the PostgreSQL runs")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (set CI=true to make this a failure)")
    pg_database.truncate_all()
    yield Settings(
        database_url=pg_database.url,
        master_key=TEST_MASTER_KEY,
        data_dir=tmp_path / "data",
        public_url=PUBLIC_URL,
        access_log=False,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


@pytest.fixture
async def metrics_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with ``/metrics`` on (its bearer token: ``tests.support.metrics.METRICS_TOKEN``)."""
    application = create_app(settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def metrics_client(metrics_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=metrics_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        yield http


@pytest.fixture
async def tenant(app: FastAPI) -> Tenant:
    return await create_tenant(app, name="Acme SaaS")


@pytest.fixture(scope="session")
def oauth_vault_port() -> int:
    """The port the browser tests' OAuth server listens on: the provider must know its callback first."""
    return free_port()


@pytest.fixture(scope="session")
def embedded_oauth_vault_port() -> int:
    """The port of the browser tests' server for OAuth inside Vault JS (an embedding origin set)."""
    return free_port()


@pytest.fixture(scope="session")
def oidc(oauth_vault_port: int, embedded_oauth_vault_port: int) -> Iterator[OidcProvider]:
    """The real oidc-provider, one for the run; its client may return to the three test servers."""
    callbacks = [f"{PUBLIC_URL}/vault/callback"] + [
        f"http://127.0.0.1:{port}/vault/callback" for port in (oauth_vault_port, embedded_oauth_vault_port)
    ]
    with oidc_provider(callbacks) as provider:
        yield provider
