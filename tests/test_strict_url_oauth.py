"""/vault/authorize reads its ``redirect_uri`` as a browser does: an address that a browser
would send to another host than the allowlist saw is refused (422 naming the field) before the
consumer is sent to the provider, and so is a link minted with one before the fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.support.hosted import open_session
from tests.support.oauth import PUBLIC_URL, authorize_href, oauth_settings, offer_oauth, running_app
from tests.support.oidc import SERVICE_ID, OidcProvider
from tests.support.tenants import Tenant, create_tenant
from tests.support.urls import ALLOWED_ORIGIN, AMBIGUOUS_FORMS, ATTACK
from vaultline.config import Settings
from vaultline.oauth.browser_binding import binding_digest
from vaultline.oauth.state import LINK_AUDIENCE, OAuthState, mint_oauth_token, new_jti
from vaultline.runtime import Runtime


@pytest.fixture
async def app(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_settings(settings, oidc, tmp_path)) as application:
        yield application


@pytest.fixture
async def strict(app: FastAPI) -> Tenant:
    tenant = await create_tenant(app, name="Strict", redirect_origins=(ALLOWED_ORIGIN,))
    await offer_oauth(app, tenant)
    return tenant


def with_redirect_uri(href: str, redirect_uri: str) -> str:
    parts = urlsplit(href.removeprefix(PUBLIC_URL))
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return f"{parts.path}?{urlencode({**query, 'redirect_uri': redirect_uri})}"


def assert_refused_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers and "evil.com" not in response.text


@pytest.mark.parametrize(("uri", "reason"), AMBIGUOUS_FORMS)
async def test_backslash_redirect_uri_is_refused_at_authorize(
    client: httpx.AsyncClient, strict: Tenant, uri: str, reason: str
) -> None:
    session = await open_session(client, strict)
    href = await authorize_href(client, session)
    refused = await client.get(with_redirect_uri(href, uri))
    if "\x00" in uri:
        assert_refused_page(refused, 400)  # nul_guard refuses a NUL anywhere in a URL, before any route
    else:
        assert_refused_page(refused, 422)
        assert "redirect_uri" in refused.text and reason in refused.text.replace("&#39;", "'"), refused.text
    # The allowlisted origin, written as browsers also write it, still starts the flow.
    started = await client.get(with_redirect_uri(href, "HTTPS://MySaaS.com:443/back"))
    assert started.status_code == 302, started.text


async def test_a_link_minted_with_an_ambiguous_return_is_refused_at_authorize(
    app: FastAPI, client: httpx.AsyncClient, strict: Tenant
) -> None:
    session = await open_session(client, strict)
    href = await authorize_href(client, session)  # also records the session and its connection
    runtime: Runtime = app.state.runtime
    # Bound to this very browser, so the refusal is about the return address, not the binding.
    binding = binding_digest(client.cookies.get("vaultline_oauth_binding", path="/vault/authorize") or "")
    state = OAuthState(new_jti(), strict.application_id, "c1", "crm", SERVICE_ID, session.session_id, ATTACK, binding)
    link = mint_oauth_token(runtime.keyring, state, audience=LINK_AUDIENCE, issuer=PUBLIC_URL)
    path = urlsplit(href).path
    for query in ({"state": link}, {"state": link, "redirect_uri": ATTACK}):
        assert_refused_page(await client.get(f"{path}?{urlencode(query)}"), 400)
