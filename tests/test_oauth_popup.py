"""OAuth inside Vault JS, on the server, against the real oidc-provider: the embedded vault asks
for a popup with its session cookie; the popup, a browser window that holds none of the iframe's
cookies (they may be partitioned), completes the sign-in with the single-use start token alone;
the vault reads the outcome on its session. Browser behaviour: tests/browser/test_vault_js_oauth.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.support.hosted import OpenedSession, open_session
from tests.support.oauth import CONNECTION_PAGE, PUBLIC_URL, client_for, oauth_settings, offer_oauth, running_app
from tests.support.oidc import SERVICE_ID, OidcProvider, consent_as_person
from tests.support.tenants import Tenant
from vaultline.config import Settings
from vaultline.oauth.browser_binding import POPUP_BINDING_COOKIE

CONNECTION = f"/vault/connections/crm/{SERVICE_ID}"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}


@pytest.fixture
async def app(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_settings(settings, oidc, tmp_path)) as application:
        yield application


@pytest.fixture
async def oauth_tenant(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer_oauth(app, tenant)
    return tenant


@pytest.fixture
async def popup_window(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The popup: the same server, a cookie jar of its own (nothing of the iframe's)."""
    async with client_for(app) as http:
        yield http


async def ask_for_popup(client: httpx.AsyncClient, session: OpenedSession) -> dict[str, str]:
    response = await client.post(session.page(f"{CONNECTION_PAGE}/oauth-popup"), headers=SAME_ORIGIN)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, str] = response.json()
    assert body["start_url"].startswith(f"{PUBLIC_URL}/vault/oauth-popup/start?token=")
    return body


async def status_of(client: httpx.AsyncClient, status_url: str) -> httpx.Response:
    response = await client.get(status_url)
    assert response.status_code == 200, response.text
    return response


async def test_the_popup_signs_in_without_the_iframes_cookies(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, oauth_tenant: Tenant, oidc: OidcProvider
) -> None:
    session = await open_session(client, oauth_tenant)
    popup = await ask_for_popup(client, session)
    assert (await status_of(client, popup["status_url"])).json() == {"status": "pending"}

    started = await popup_window.get(popup["start_url"].removeprefix(PUBLIC_URL))
    assert started.status_code == 302, started.text
    assert started.headers["location"].startswith(f"{oidc.issuer}/auth?")
    assert started.headers["referrer-policy"] == "no-referrer"
    cookie = started.headers["set-cookie"]
    assert cookie.startswith(f"{POPUP_BINDING_COOKIE}=") and "Path=/vault/callback" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie  # first-party: the popup is top-level
    assert set(popup_window.cookies.keys()) == {POPUP_BINDING_COOKIE}  # no session, no page binding

    back = await popup_window.get((await consent_as_person(started.headers["location"])).removeprefix(PUBLIC_URL))
    assert back.status_code == 200, back.text
    assert 'data-oauth-popup-result="connected"' in back.text
    assert f'data-opener-origin="{PUBLIC_URL}"' in back.text  # the exact origin, never "*"
    assert "script-src 'self'" in back.headers["content-security-policy"]
    assert POPUP_BINDING_COOKIE not in popup_window.cookies  # spent with the state

    connection = await client.get(CONNECTION, headers=oauth_tenant.headers("c1"))
    assert connection.json()["data"]["state"] == "callable"
    first = await status_of(client, popup["status_url"])
    assert first.json() == {"status": "connected"}
    assert 'vaultline_flash="connected:crm/' in first.headers.get("set-cookie", "")
    page = await client.get(session.page(CONNECTION_PAGE))
    assert "Connected." in page.text and "connection_change" in page.text
    again = await status_of(client, popup["status_url"])
    assert again.json() == {"status": "connected"} and "set-cookie" not in again.headers  # announced once


async def test_a_start_token_opens_one_popup_only(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    session = await open_session(client, oauth_tenant)
    start = (await ask_for_popup(client, session))["start_url"].removeprefix(PUBLIC_URL)
    assert (await popup_window.get(start)).status_code == 302
    replay = await popup_window.get(start)
    assert replay.status_code == 400
    assert "already used or has expired" in replay.text
    assert 'data-oauth-popup-result="failed"' in replay.text  # the vault that opened it is told
    unknown = await popup_window.get("/vault/oauth-popup/start?token=" + "A" * 43)
    assert unknown.status_code == 400 and "Traceback" not in unknown.text
    missing = await popup_window.get("/vault/oauth-popup/start")
    assert missing.status_code in (400, 422) and missing.headers["content-type"].startswith("text/html")


async def test_a_denied_consent_is_recorded_for_the_vault(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    session = await open_session(client, oauth_tenant)
    popup = await ask_for_popup(client, session)
    started = await popup_window.get(popup["start_url"].removeprefix(PUBLIC_URL))
    url = await consent_as_person(started.headers["location"], deny=True)
    back = await popup_window.get(url.removeprefix(PUBLIC_URL))
    assert back.status_code == 200 and 'data-oauth-popup-result="denied"' in back.text
    assert (await status_of(client, popup["status_url"])).json() == {"status": "denied"}
    page = await client.get(session.page(CONNECTION_PAGE))
    assert "access was not granted" in page.text
    assert "connection_change" not in page.text  # nothing changed: no event for the embedding page


async def test_a_callback_in_another_browser_fails_the_popup(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, app: FastAPI, oauth_tenant: Tenant
) -> None:
    session = await open_session(client, oauth_tenant)
    popup = await ask_for_popup(client, session)
    started = await popup_window.get(popup["start_url"].removeprefix(PUBLIC_URL))
    url = await consent_as_person(started.headers["location"])
    async with client_for(app) as stranger:  # holds no binding of this popup
        refused = await stranger.get(url.removeprefix(PUBLIC_URL))
    assert refused.status_code == 403 and "started in another browser" in refused.text
    assert 'data-oauth-popup-result="failed"' in refused.text  # a vault that opened it would be told
    assert (await status_of(client, popup["status_url"])).json() == {"status": "pending"}
    # The genuine popup still finishes: the refusal spent nothing.
    assert (await popup_window.get(url.removeprefix(PUBLIC_URL))).status_code == 200
    assert (await status_of(client, popup["status_url"])).json() == {"status": "connected"}


async def test_a_failure_after_the_state_verified_is_recorded(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    session = await open_session(client, oauth_tenant)
    popup = await ask_for_popup(client, session)
    started = await popup_window.get(popup["start_url"].removeprefix(PUBLIC_URL))
    url = await consent_as_person(started.headers["location"])
    state = parse_qs(urlsplit(url).query)["state"][0]
    no_code = await popup_window.get("/vault/callback", params={"state": state})  # spends the state
    assert no_code.status_code == 400 and 'data-oauth-popup-result="failed"' in no_code.text
    status = (await status_of(client, popup["status_url"])).json()
    assert status["status"] == "failed" and "not valid" in status["message"]


async def test_the_popup_endpoints_belong_to_the_session(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    session = await open_session(client, oauth_tenant)
    popup = await ask_for_popup(client, session)
    # Another browser (no session cookie) learns nothing and starts nothing.
    assert (await popup_window.get(popup["status_url"])).status_code == 401
    foreign = await popup_window.post(session.page(f"{CONNECTION_PAGE}/oauth-popup"), headers=SAME_ORIGIN)
    assert foreign.status_code == 401
    # Another session of the same browser cannot read this one's popup.
    other = await open_session(client, oauth_tenant, consumer_id="c2")
    assert (await client.get(other.page("/oauth-popups/" + popup["status_url"].rsplit("/", 1)[1]))).status_code == 404
    # A cross-site request cannot mint a popup (CSRF), and odd ids are a page, never a 500.
    cross = await client.post(session.page(f"{CONNECTION_PAGE}/oauth-popup"), headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    for odd in ("%00", "x" * 300, "..%2F..", "é"):
        answer = await client.get(session.page(f"/oauth-popups/{odd}"))
        assert answer.status_code in (400, 404), (odd, answer.status_code)  # a NUL is refused before routing
        assert answer.headers["content-type"].startswith("text/html")
    # Only OAuth integrations have a popup.
    not_oauth = await client.post(session.page("/integrations/crm/pipedrive/oauth-popup"), headers=SAME_ORIGIN)
    assert not_oauth.status_code in (404, 422)


async def sign_in_through_a_popup(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, session: OpenedSession
) -> dict[str, str]:
    popup = await ask_for_popup(client, session)
    started = await popup_window.get(popup["start_url"].removeprefix(PUBLIC_URL))
    assert started.status_code == 302, started.text
    back = await popup_window.get((await consent_as_person(started.headers["location"])).removeprefix(PUBLIC_URL))
    assert back.status_code == 200, back.text
    return popup


async def test_replacing_credentials_through_a_popup_needs_reauthorize(
    client: httpx.AsyncClient, popup_window: httpx.AsyncClient, oauth_tenant: Tenant
) -> None:
    allowed = await open_session(client, oauth_tenant, {"settings": {"allow_actions": ["reauthorize"]}})
    first = await sign_in_through_a_popup(client, popup_window, allowed)
    assert (await status_of(client, first["status_url"])).json() == {"status": "connected"}
    again = await sign_in_through_a_popup(client, popup_window, allowed)
    assert (await status_of(client, again["status_url"])).json() == {"status": "reauthorized"}
    # A session without ``reauthorize`` is refused in the popup, as at /vault/authorize, and told.
    refused = await open_session(client, oauth_tenant, {"settings": {"allow_actions": []}})
    popup = await ask_for_popup(client, refused)
    started = await popup_window.get(popup["start_url"].removeprefix(PUBLIC_URL))
    assert started.status_code == 403 and 'data-oauth-popup-result="failed"' in started.text
    status = (await status_of(client, popup["status_url"])).json()
    assert status["status"] == "failed" and status["message"]
