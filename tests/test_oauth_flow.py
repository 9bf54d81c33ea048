"""The OAuth authorization-code flow against the real oidc-provider on loopback, in process:
connect, the state's defences (forged, expired, replayed), denial, a silent provider, and the
binding to the consumer's browser (a link or a provider answer sent to someone else)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.support.hosted import OpenedSession, mint, open_session
from tests.support.live_server import free_port
from tests.support.oauth import (
    CONNECTION_PAGE,
    CREDENTIALS,
    PUBLIC_URL,
    authorize_href,
    callback_url,
    client_for,
    connect,
    oauth_settings,
    offer_oauth,
    running_app,
    stored_credentials,
)
from tests.support.oidc import SERVICE_ID, OidcProvider, consent_as_person
from tests.support.tenants import Tenant, create_tenant
from vaultline.config import Settings
from vaultline.db.schema import oauth_states
from vaultline.oauth.state import STATE_AUDIENCE, OAuthState, mint_oauth_token
from vaultline.runtime import Runtime

CONNECTION = f"/vault/connections/crm/{SERVICE_ID}"


@pytest.fixture
async def app(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_settings(settings, oidc, tmp_path)) as application:
        yield application


@pytest.fixture
async def oauth_tenant(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer_oauth(app, tenant)
    return tenant


def assert_friendly(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text and "{" not in response.text.split("<main", 1)[-1].split("</main>")[0]


async def state_of(client: httpx.AsyncClient, tenant: Tenant, consumer_id: str = "c1") -> str:
    response = await client.get(CONNECTION, headers=tenant.headers(consumer_id))
    assert response.status_code == 200, response.text
    state: str = response.json()["data"]["state"]
    return state


async def test_connect_makes_the_connection_callable(
    app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    codes_before = oidc.events("grant.success", "authorization_code")
    session = await connect(client, oauth_tenant)
    assert oidc.events("grant.success", "authorization_code") == codes_before + 1
    assert await state_of(client, oauth_tenant) == "callable"
    page = await client.get(session.page(CONNECTION_PAGE))
    assert "Connected." in page.text
    credentials = await client.get(CREDENTIALS, headers=oauth_tenant.headers("c1"))
    assert credentials.status_code == 200, credentials.text
    tokens = credentials.json()["data"]["credentials"]
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["token_type"] == "Bearer"
    assert tokens["expires_at"] > time.time() * 1000
    assert tokens == await stored_credentials(app, oauth_tenant)


async def test_authorize_sends_pkce_s256_and_a_signed_state(client: httpx.AsyncClient, oauth_tenant: Tenant) -> None:
    session = await open_session(client, oauth_tenant)
    started = await client.get((await authorize_href(client, session)).removeprefix(PUBLIC_URL))
    assert started.status_code == 302
    assert started.headers["referrer-policy"] == "no-referrer"
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == [f"{PUBLIC_URL}/vault/callback"]
    assert query["state"][0].count(".") == 2


async def test_replayed_state_is_refused_and_changes_nothing(client: httpx.AsyncClient, oauth_tenant: Tenant) -> None:
    _, url = await callback_url(client, oauth_tenant)
    assert (await client.get(url.removeprefix(PUBLIC_URL))).status_code == 303
    before = await client.get(CREDENTIALS, headers=oauth_tenant.headers("c1"))
    replay = await client.get(url.removeprefix(PUBLIC_URL))
    assert_friendly(replay, 400)
    assert "already completed" in replay.text
    after = await client.get(CREDENTIALS, headers=oauth_tenant.headers("c1"))
    assert after.json()["data"]["credentials"] == before.json()["data"]["credentials"]


async def test_forged_state_is_refused_before_any_exchange(
    client: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    _, url = await callback_url(client, oauth_tenant)
    query = parse_qs(urlsplit(url).query)
    header, payload, signature = query["state"][0].split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    codes = oidc.events("grant.success", "authorization_code")
    response = await client.get("/vault/callback?" + urlencode({"code": query["code"][0], "state": forged}))
    assert_friendly(response, 400)
    assert "not valid" in response.text
    assert oidc.events("grant.success", "authorization_code") == codes
    assert await state_of(client, oauth_tenant) == "available"
    # The genuine state still works afterwards: a forgery does not burn it.
    assert (await client.get(url.removeprefix(PUBLIC_URL))).status_code == 303


async def test_expired_state_is_refused(app: FastAPI, client: httpx.AsyncClient, oauth_tenant: Tenant) -> None:
    # Every state carries its browser binding's digest (oauth/browser_binding.py); expiry is checked first.
    state = OAuthState("jti-x", oauth_tenant.application_id, "c1", "crm", SERVICE_ID, "no-session", None, "digest")
    token = mint_oauth_token(app.state.runtime.keyring, state, audience=STATE_AUDIENCE, issuer=PUBLIC_URL)
    header, payload, _ = token.split(".")
    # Expired but correctly signed: mint with a clock an hour behind.
    old = time.time
    try:
        time.time = lambda: old() - 3600  # type: ignore[assignment]
        token = mint_oauth_token(app.state.runtime.keyring, state, audience=STATE_AUDIENCE, issuer=PUBLIC_URL)
    finally:
        time.time = old  # type: ignore[assignment]
    response = await client.get("/vault/callback?" + urlencode({"code": "x", "state": token}))
    assert_friendly(response, 400)
    assert "expired" in response.text


async def test_a_link_state_cannot_be_used_as_a_callback_state(client: httpx.AsyncClient, oauth_tenant: Tenant) -> None:
    session = await open_session(client, oauth_tenant)
    link_state = parse_qs(urlsplit(await authorize_href(client, session)).query)["state"][0]
    response = await client.get("/vault/callback?" + urlencode({"code": "x", "state": link_state}))
    assert_friendly(response, 400)


async def test_denied_consent_goes_back_with_a_notice(client: httpx.AsyncClient, oauth_tenant: Tenant) -> None:
    session, url = await callback_url(client, oauth_tenant, deny=True)
    assert parse_qs(urlsplit(url).query)["error"] == ["access_denied"]
    back = await client.get(url.removeprefix(PUBLIC_URL))
    assert back.status_code == 303
    assert back.headers["location"].endswith(session.page(CONNECTION_PAGE))
    page = await client.get(session.page(CONNECTION_PAGE))
    assert "access was not granted" in page.text
    assert await state_of(client, oauth_tenant) == "available"


async def test_provider_error_without_a_state_is_a_friendly_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/vault/callback?error=access_denied")
    assert_friendly(response, 400)


async def test_a_provider_that_does_not_answer_leaves_the_connection_unchanged(
    settings: Settings, oidc: OidcProvider, tmp_path: Path
) -> None:
    silent = f"http://127.0.0.1:{free_port()}/token"  # nothing listens there
    async with running_app(oauth_settings(settings, oidc, tmp_path, token_url=silent)) as application:
        async with client_for(application) as client:
            tenant = await create_tenant(application, name="Silent")
            await offer_oauth(application, tenant)
            _, url = await callback_url(client, tenant)
            response = await client.get(url.removeprefix(PUBLIC_URL))
            assert_friendly(response, 504)
            assert "did not answer" in response.text
            assert await state_of(client, tenant) == "available"


# The authorization completes only in the browser that holds the Hosted Vault session that started
# it (account-linking CSRF, RFC 6749 §10.12; oauth/browser_binding.py). A second httpx client, with
# its own cookie jar, stands for the victim's browser.
ATTACKER, VICTIM = "mallory", "c1"


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
    assert set(cookies) == {"/vault/authorize", "/vault/callback", "/vault/revoke"}
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
                assert set(cookies) == {"/vault/authorize", "/vault/callback", "/vault/revoke"}
                for header in cookies.values():
                    assert "secure" in header and "httponly" in header and same_site in header
                    assert ("partitioned" in header) == (query is framed)


async def test_the_callback_s_pages_speak_the_language_the_sign_in_began_in(
    client: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    """The session's language lives in a cookie scoped to its pages, which never reaches
    /vault/callback: the signed state carries it there instead."""
    token = await mint(client, oauth_tenant, {"settings": {"allow_actions": ["reauthorize"]}})
    opened = await client.get(f"/session/{token}?locale=de")
    base = "/".join(opened.headers["location"].split("/")[:3])
    session = OpenedSession(token, base.split("/")[2], base)
    started = await client.get((await authorize_href(client, session)).removeprefix(PUBLIC_URL))
    url = await consent_as_person(started.headers["location"])
    assert (await client.get(url.removeprefix(PUBLIC_URL))).status_code == 303
    replay = await client.get(url.removeprefix(PUBLIC_URL), headers={"accept-language": "fr"})
    assert_friendly(replay, 400)
    assert '<html lang="de"' in replay.text
