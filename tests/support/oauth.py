"""In-process OAuth helpers: an app whose catalog has the loopback provider, a tenant with an
OAuth client for it, and the whole consent dance as a browser would do it."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.connections import offer
from tests.support.hosted import OpenedSession, open_session
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, SERVICE_ID, OidcProvider, consent_as_person
from tests.support.tenants import Tenant
from vaultline.app import create_app
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.connections import get_connection, set_oauth_credentials
from vaultline.store.integrations import set_oauth_client

PUBLIC_URL = "http://vault.test"  # tests/conftest.py
CONNECTION_PAGE = f"/integrations/crm/{SERVICE_ID}"
CREDENTIALS = f"/vault/connections/crm/{SERVICE_ID}/credentials"


def oauth_settings(settings: Settings, oidc: OidcProvider, tmp_path: Path, **catalog: str | None) -> Settings:
    catalog_file = oidc.write_catalog(tmp_path / f"catalog-{len(catalog)}.json", **catalog)
    return settings.model_copy(update={"catalog_file": catalog_file, "allow_private_webhooks": True})


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
        yield http


async def offer_oauth(app: FastAPI, tenant: Tenant) -> None:
    await offer(app, tenant, [SERVICE_ID])
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await set_oauth_client(
            connection,
            application_id=tenant.application_id,
            service_id=SERVICE_ID,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            ring=runtime.master_keys,
        )


async def authorize_href(client: httpx.AsyncClient, session: OpenedSession) -> str:
    page = await client.get(session.page(CONNECTION_PAGE))
    assert page.status_code == 200, page.text
    # The link, not its text: the page may be in any language.
    match = re.search(r'<a class="button primary" href="([^"]+/vault/authorize/[^"]+)">', page.text)
    assert match, "no Authorize link on the connection page"
    return html.unescape(match.group(1))


async def callback_url(
    client: httpx.AsyncClient, tenant: Tenant, *, consumer_id: str = "c1", deny: bool = False
) -> tuple[OpenedSession, str]:
    """Open a session, press Authorize, sign in and consent (or cancel) at the provider; the
    callback URL the provider sends the browser to (not followed yet)."""
    session = await open_session(client, tenant, {"settings": {"allow_actions": ["reauthorize", "disconnect"]}},
                                 consumer_id=consumer_id)  # fmt: skip
    href = await authorize_href(client, session)
    started = await client.get(href.removeprefix(PUBLIC_URL))
    assert started.status_code == 302, started.text
    return session, await consent_as_person(started.headers["location"], deny=deny)


async def connect(client: httpx.AsyncClient, tenant: Tenant, *, consumer_id: str = "c1") -> OpenedSession:
    session, url = await callback_url(client, tenant, consumer_id=consumer_id)
    back = await client.get(url.removeprefix(PUBLIC_URL))
    assert back.status_code == 303, back.text
    return session


async def stored_credentials(app: FastAPI, tenant: Tenant, consumer_id: str = "c1") -> dict[str, Any] | None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        record = await get_connection(
            connection, application_id=tenant.application_id, consumer_id=consumer_id, unified_api="crm",
            service_id=SERVICE_ID, ring=runtime.master_keys,
        )  # fmt: skip
    return record.oauth_credentials if record else None


async def expire_access_token(app: FastAPI, tenant: Tenant, consumer_id: str = "c1") -> None:
    """Make the stored token look about to expire (the provider's own TTL is 5 minutes)."""
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        record = await get_connection(
            connection, application_id=tenant.application_id, consumer_id=consumer_id, unified_api="crm",
            service_id=SERVICE_ID, ring=runtime.master_keys, for_update=True,
        )  # fmt: skip
        assert record is not None and record.oauth_credentials is not None
        credentials = {**record.oauth_credentials, "expires_at": now_ms() + 5_000}
        await set_oauth_credentials(connection, record=record, credentials=credentials, ring=runtime.master_keys)
