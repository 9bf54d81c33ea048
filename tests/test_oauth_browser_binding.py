"""An OAuth authorization completes only in the browser that holds the Hosted Vault session
that started it (account-linking CSRF, RFC 6749 §10.12): against the real oidc-provider, with
a second httpx client standing for the victim's browser (its own cookie jar)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.support.hosted import mint, open_session
from tests.support.oauth import (
    PUBLIC_URL,
    authorize_href,
    callback_url,
    client_for,
    oauth_settings,
    offer_oauth,
    running_app,
    stored_credentials,
)
from tests.support.oidc import SERVICE_ID, OidcProvider
from tests.support.tenants import Tenant, create_tenant
from tests.test_oauth_flow import assert_friendly
from vaultline.config import Settings
from vaultline.db.schema import oauth_states
from vaultline.runtime import Runtime

CONNECTION_PAGE = f"/integrations/crm/{SERVICE_ID}"
ATTACKER, VICTIM = "mallory", "c1"


@pytest.fixture
async def app(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_settings(settings, oidc, tmp_path)) as application:
        yield application


@pytest.fixture
async def oauth_tenant(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer_oauth(app, tenant)
    return tenant


@pytest.fixture
async def victim(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser: a cookie jar of its own."""
    async with client_for(app) as browser:
        yield browser


async def pending_authorizations(app: FastAPI) -> int:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(oauth_states))).scalar_one())


def assert_refused_as_another_browser(response: httpx.Response, oidc: OidcProvider) -> None:
    assert_friendly(response, 403)
    assert "location" not in response.headers and oidc.issuer not in response.text
    assert "started in another browser" in response.text


async def test_authorize_link_from_another_browser_is_refused(
    app: FastAPI, client: httpx.AsyncClient, victim: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    session = await open_session(client, oauth_tenant, consumer_id=ATTACKER)
    link = (await authorize_href(client, session)).removeprefix(PUBLIC_URL)
    refused = await victim.get(link)
    assert_refused_as_another_browser(refused, oidc)
    assert await pending_authorizations(app) == 0  # nothing was started
    # The browser that rendered the link still can use it.
    assert (await client.get(link)).headers["location"].startswith(oidc.issuer)


async def test_callback_without_the_binding_cookie_is_refused(
    app: FastAPI, client: httpx.AsyncClient, victim: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    # The attacker passes /vault/authorize in their own browser and sends the provider's page on;
    # the victim signs in there, and the provider sends the victim's browser to our callback.
    _, url = await callback_url(client, oauth_tenant, consumer_id=ATTACKER)
    exchanges = oidc.events("grant.success", "authorization_code")
    refused = await victim.get(url.removeprefix(PUBLIC_URL))
    assert_refused_as_another_browser(refused, oidc)
    assert oidc.events("grant.success", "authorization_code") == exchanges  # the code was never exchanged
    assert await stored_credentials(app, oauth_tenant, ATTACKER) is None
    assert await stored_credentials(app, oauth_tenant, VICTIM) is None


async def test_binding_cookie_of_another_link_is_refused(
    app: FastAPI, client: httpx.AsyncClient, victim: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    # The victim has their own vault open, so their browser holds a binding cookie: for their link only.
    own = await open_session(victim, oauth_tenant, consumer_id=VICTIM)
    own_link = (await authorize_href(victim, own)).removeprefix(PUBLIC_URL)
    assert "vaultline_oauth_binding" in {cookie.name for cookie in victim.cookies.jar}
    attacker = await open_session(client, oauth_tenant, consumer_id=ATTACKER)
    attacker_link = (await authorize_href(client, attacker)).removeprefix(PUBLIC_URL)
    assert_refused_as_another_browser(await victim.get(attacker_link), oidc)
    _, url = await callback_url(client, oauth_tenant, consumer_id=ATTACKER)
    assert_refused_as_another_browser(await victim.get(url.removeprefix(PUBLIC_URL)), oidc)
    assert await stored_credentials(app, oauth_tenant, ATTACKER) is None
    assert await stored_credentials(app, oauth_tenant, VICTIM) is None
    # Their own link still works for them.
    assert (await victim.get(own_link)).headers["location"].startswith(oidc.issuer)


async def test_every_page_of_a_session_binds_the_same_browser(
    client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    """Two tabs of one session (or a reload while the provider's page is open) keep every link valid."""
    session = await open_session(client, oauth_tenant)
    first = (await authorize_href(client, session)).removeprefix(PUBLIC_URL)
    second = (await authorize_href(client, session)).removeprefix(PUBLIC_URL)
    assert first != second
    for link in (first, second):
        assert (await client.get(link)).headers["location"].startswith(oidc.issuer)


def binding_cookies(response: httpx.Response) -> dict[str, str]:
    """Path → the Set-Cookie header of the binding cookie for that path, attribute names lowercased."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("vaultline_oauth_binding="):
            attributes = dict((part.split("=", 1) + [""])[:2] for part in (p.strip() for p in header.split(";")[1:]))
            found[attributes["Path"]] = header.lower()
    return found


async def test_binding_cookie_is_httponly_lax_and_only_on_the_oauth_paths(
    client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    session = await open_session(client, oauth_tenant)
    page = await client.get(session.page(CONNECTION_PAGE))
    cookies = binding_cookies(page)
    assert set(cookies) == {"/vault/authorize", "/vault/callback"}
    for header in cookies.values():
        assert "httponly" in header and "samesite=lax" in header and "max-age=1200" in header
        assert "secure" not in header  # http in tests; https adds Secure (below)


async def test_binding_cookie_on_https_and_inside_vault_js(
    settings: Settings, oidc: OidcProvider, tmp_path: Path
) -> None:
    """On https the cookie is Secure. Inside Vault JS's cross-site iframe a Lax cookie would be
    neither stored nor sent, so it is SameSite=None; Partitioned, like the session cookie."""
    https_settings = oauth_settings(settings, oidc, tmp_path).model_copy(update={"public_url": "https://vault.test"})
    tab: dict[str, str] = {}
    framed = {"embedded": "1", "origin": "https://app.example.com"}
    async with running_app(https_settings) as application:
        embeds = await create_tenant(application, name="Embeds", embed_origins=("https://app.example.com",))
        await offer_oauth(application, embeds)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://vault.test") as browser:
            for query, same_site in ((tab, "samesite=lax"), (framed, "samesite=none")):
                token = await mint(browser, embeds, {})
                opened = await browser.get(f"/session/{token}", params=query)
                assert opened.status_code == 303, opened.text
                base = "/".join(opened.headers["location"].split("/")[:3])
                cookies = binding_cookies(await browser.get(base + CONNECTION_PAGE))
                assert set(cookies) == {"/vault/authorize", "/vault/callback"}
                for header in cookies.values():
                    assert "secure" in header and "httponly" in header and same_site in header
                    assert ("partitioned" in header) == (query is framed)
